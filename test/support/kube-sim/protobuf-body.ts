import { unsupportedMediaType } from './kube-status.ts';

type Field = { num: number; wire: number; value: bigint | Buffer };

/** Splits a protobuf message into its fields (varints and length-delimited values; fixed ones skipped). */
function fields(buf: Buffer): Field[] {
  const out: Field[] = [];
  let pos = 0;
  const varint = (): bigint => {
    let result = 0n;
    let shift = 0n;
    for (;;) {
      const byte = buf[pos++];
      if (byte === undefined) throw new Error('truncated varint');
      result |= BigInt(byte & 0x7f) << shift;
      if ((byte & 0x80) === 0) return result;
      shift += 7n;
    }
  };
  while (pos < buf.length) {
    const key = Number(varint());
    const num = key >> 3;
    const wire = key & 7;
    if (wire === 0) out.push({ num, wire, value: varint() });
    else if (wire === 2) {
      const len = Number(varint());
      out.push({ num, wire, value: buf.subarray(pos, pos + len) });
      pos += len;
    } else if (wire === 1) pos += 8;
    else if (wire === 5) pos += 4;
    else throw new Error(`unsupported wire type ${wire}`);
  }
  return out;
}

const str = (f: Field): string => (Buffer.isBuffer(f.value) ? f.value.toString('utf8') : String(f.value));
const msg = (f: Field): Field[] => (Buffer.isBuffer(f.value) ? fields(f.value) : []);

function map(entries: Field[], num: number, asBase64 = false): Record<string, string> | undefined {
  const out: Record<string, string> = {};
  for (const e of entries.filter((f) => f.num === num)) {
    const kv = msg(e);
    const k = kv.find((f) => f.num === 1);
    const v = kv.find((f) => f.num === 2);
    if (k === undefined) continue;
    out[str(k)] =
      v === undefined ? '' : asBase64 && Buffer.isBuffer(v.value) ? v.value.toString('base64') : str(v);
  }
  return Object.keys(out).length > 0 ? out : undefined;
}

function objectMeta(parts: Field[]): Record<string, unknown> {
  const meta: Record<string, unknown> = {};
  const names: Record<number, string> = {
    1: 'name',
    2: 'generateName',
    3: 'namespace',
    6: 'resourceVersion',
  };
  for (const f of parts) {
    const name = names[f.num];
    if (name !== undefined) meta[name] = str(f);
  }
  const labels = map(parts, 11);
  const annotations = map(parts, 12);
  if (labels) meta.labels = labels;
  if (annotations) meta.annotations = annotations;
  const finalizers = parts.filter((f) => f.num === 14).map(str);
  if (finalizers.length > 0) meta.finalizers = finalizers;
  return meta;
}

/**
 * Decodes the `k8s\0` protobuf envelope kubectl's typed clients send (`kubectl create ns|configmap|secret`,
 * `kubectl auth can-i`)
 * into the JSON object; other kinds are refused with 415 like an unsupported media type.
 */
export function decodeProtobufObject(buf: Buffer): unknown {
  if (buf.subarray(0, 4).toString('latin1') !== 'k8s\0')
    throw unsupportedMediaType('application/vnd.kubernetes.protobuf', 'application/json, application/yaml');
  const unknown = fields(buf.subarray(4));
  const typeMeta = unknown.find((f) => f.num === 1);
  const raw = unknown.find((f) => f.num === 2);
  const tm = typeMeta === undefined ? [] : msg(typeMeta);
  const apiVersion = tm.find((f) => f.num === 1);
  const kindField = tm.find((f) => f.num === 2);
  const kind = kindField === undefined ? '' : str(kindField);
  const body = raw === undefined ? [] : msg(raw);
  const metaField = body.find((f) => f.num === 1);
  const obj: Record<string, unknown> = {
    apiVersion: apiVersion === undefined ? 'v1' : str(apiVersion),
    kind,
    metadata: metaField === undefined ? {} : objectMeta(msg(metaField)),
  };
  switch (kind) {
    case 'Namespace': {
      const spec = body.find((f) => f.num === 2);
      const finalizers =
        spec === undefined
          ? []
          : msg(spec)
              .filter((f) => f.num === 1)
              .map(str);
      if (finalizers.length > 0) obj.spec = { finalizers };
      return obj;
    }
    case 'ConfigMap': {
      const data = map(body, 2);
      const binaryData = map(body, 3, true);
      if (data) obj.data = data;
      if (binaryData) obj.binaryData = binaryData;
      return obj;
    }
    case 'Secret': {
      const data = map(body, 2, true);
      const type = body.find((f) => f.num === 3);
      if (data) obj.data = data;
      if (type) obj.type = str(type);
      return obj;
    }
    case 'SelfSubjectAccessReview': {
      const spec = body.find((f) => f.num === 2);
      const attrs = spec === undefined ? undefined : msg(spec).find((f) => f.num === 1);
      const names: Record<number, string> = {
        1: 'namespace',
        2: 'verb',
        3: 'group',
        4: 'version',
        5: 'resource',
        6: 'subresource',
        7: 'name',
      };
      const resourceAttributes: Record<string, string> = {};
      for (const f of attrs === undefined ? [] : msg(attrs)) {
        const name = names[f.num];
        if (name !== undefined) resourceAttributes[name] = str(f);
      }
      obj.spec = { resourceAttributes };
      return obj;
    }
    default:
      throw unsupportedMediaType(
        `application/vnd.kubernetes.protobuf for ${kind}`,
        'application/json, application/yaml',
      );
  }
}
