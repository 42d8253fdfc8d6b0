import { arrayField, field, isJsonObject, type KubeObject, objectField } from './kube-object.ts';
import type { StatusCause } from './kube-status.ts';
import type { ResourceType } from './resource-types.ts';
import { selectorObjectMatches } from './selectors.ts';

const dns1123Label = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const dns1123Subdomain = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const labelNamed = new Set(['Namespace', 'Service']);

function required(fieldPath: string): StatusCause {
  return { reason: 'FieldValueRequired', message: 'Required value', field: fieldPath };
}

function invalidValue(fieldPath: string, value: unknown, why: string): StatusCause {
  return {
    reason: 'FieldValueInvalid',
    message: `Invalid value: ${JSON.stringify(value)}: ${why}`,
    field: fieldPath,
  };
}

/** The validation errors the real API server reports for the fields Glimpse writes. */
export function validate(type: ResourceType, o: KubeObject): StatusCause[] {
  const causes: StatusCause[] = [];
  const name = o.metadata.name;
  if (!name) causes.push(required('metadata.name'));
  else if (labelNamed.has(type.kind)) {
    if (name.length > 63 || !dns1123Label.test(name)) {
      causes.push(
        invalidValue(
          'metadata.name',
          name,
          name.length > 63
            ? 'must be no more than 63 characters'
            : "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')",
        ),
      );
    }
  } else if (type.kind !== 'Event' && (name.length > 253 || !dns1123Subdomain.test(name))) {
    causes.push(
      invalidValue(
        'metadata.name',
        name,
        "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')",
      ),
    );
  }
  for (const [k, v] of Object.entries(o.metadata.labels ?? {})) {
    if (typeof v !== 'string' || v.length > 63 || !/^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/.test(v)) {
      causes.push(
        invalidValue(
          `metadata.labels`,
          v,
          `a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.' (key ${k})`,
        ),
      );
    }
  }
  switch (type.kind) {
    case 'Pod':
      causes.push(...validatePodSpec(objectField(o, 'spec'), 'spec'));
      break;
    case 'Deployment':
    case 'ReplicaSet':
    case 'StatefulSet':
      causes.push(...validateWorkload(o));
      break;
    case 'Service':
      for (const [i, p] of arrayField(o, 'spec', 'ports').entries()) {
        const port = field(p, 'port');
        if (typeof port !== 'number' || port < 1 || port > 65535) {
          causes.push(
            invalidValue(`spec.ports[${i}].port`, port ?? 0, 'must be between 1 and 65535, inclusive'),
          );
        }
      }
      break;
    default:
  }
  return causes;
}

function validateWorkload(o: KubeObject): StatusCause[] {
  const causes: StatusCause[] = [];
  const selector = field(o, 'spec', 'selector');
  const labels = objectField(o, 'spec', 'template', 'metadata', 'labels') as Record<string, string>;
  if (!isJsonObject(selector)) causes.push(required('spec.selector'));
  else if (!selectorObjectMatches(selector, labels)) {
    causes.push(
      invalidValue('spec.template.metadata.labels', labels, '`selector` does not match template `labels`'),
    );
  }
  const replicas = field(o, 'spec', 'replicas');
  if (typeof replicas === 'number' && replicas < 0) {
    causes.push(invalidValue('spec.replicas', replicas, 'must be greater than or equal to 0'));
  }
  causes.push(...validatePodSpec(objectField(o, 'spec', 'template', 'spec'), 'spec.template.spec'));
  return causes;
}

function validatePodSpec(spec: Record<string, unknown>, path: string): StatusCause[] {
  const containers = Array.isArray(spec.containers) ? spec.containers : [];
  if (containers.length === 0) return [required(`${path}.containers`)];
  const causes: StatusCause[] = [];
  containers.forEach((c, i) => {
    if (typeof field(c, 'name') !== 'string') causes.push(required(`${path}.containers[${i}].name`));
    if (typeof field(c, 'image') !== 'string' || field(c, 'image') === '') {
      causes.push(required(`${path}.containers[${i}].image`));
    }
  });
  return causes;
}
