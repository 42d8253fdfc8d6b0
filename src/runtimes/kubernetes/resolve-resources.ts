import type { GlimpseConfig } from '../../domain/glimpse-config.ts';
import { parseQuantity } from '../../domain/quantity.ts';
import { RuntimeFailure } from '../runtime.ts';
import type { ResolvedKubernetesOptions, ResourceAmounts } from './kubernetes-runtime-options.ts';

export interface PreviewResources {
  limits: ResourceAmounts;
  requests: ResourceAmounts;
}

/**
 * Per-container resources for a preview: the runtime's defaults, overridden by `kubernetes.resources`.
 * Asking for more than the cluster maximum, or requesting more than the limit, fails permanently.
 */
export function resolveResources(
  config: GlimpseConfig,
  options: ResolvedKubernetesOptions,
): PreviewResources {
  const asked = config.kubernetes?.resources;
  const limits = { ...options.defaultLimits, ...definedOnly(asked?.limits) };
  const requests = { ...options.defaultRequests, ...definedOnly(asked?.requests) };
  const problems: string[] = [];
  for (const kind of ['cpu', 'memory'] as const) {
    const max = parseQuantity(options.maxResources[kind]) ?? Number.POSITIVE_INFINITY;
    const limit = parseQuantity(limits[kind]);
    const request = parseQuantity(requests[kind]);
    if (limit === undefined)
      problems.push(`kubernetes.resources.limits.${kind} "${limits[kind]}" is not a quantity`);
    if (request === undefined)
      problems.push(`kubernetes.resources.requests.${kind} "${requests[kind]}" is not a quantity`);
    if (limit !== undefined && limit > max) {
      problems.push(
        `kubernetes.resources.limits.${kind} ${limits[kind]} exceeds the cluster maximum ${options.maxResources[kind]}`,
      );
    }
    if (request !== undefined && request > max) {
      problems.push(
        `kubernetes.resources.requests.${kind} ${requests[kind]} exceeds the cluster maximum ${options.maxResources[kind]}`,
      );
    } else if (request !== undefined && limit !== undefined && request > limit) {
      // A request above the default limit raises the limit with it, unless the limit was set explicitly.
      if (asked?.limits?.[kind] !== undefined) {
        problems.push(
          `kubernetes.resources.requests.${kind} ${requests[kind]} is more than the limit ${limits[kind]}`,
        );
      } else {
        limits[kind] = requests[kind];
      }
    }
  }
  if (problems.length > 0) {
    throw new RuntimeFailure(
      `${problems.join('; ')}: lower it in .glimpse.yml or ask an admin to raise the maximum`,
      {
        transient: false,
      },
    );
  }
  return { limits, requests };
}

function definedOnly(amounts: { cpu?: string | undefined; memory?: string | undefined } | undefined) {
  const out: Partial<ResourceAmounts> = {};
  if (amounts?.cpu !== undefined) out.cpu = amounts.cpu;
  if (amounts?.memory !== undefined) out.memory = amounts.memory;
  return out;
}
