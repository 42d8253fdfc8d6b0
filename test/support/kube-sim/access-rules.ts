import { KubeStatusError } from './kube-status.ts';

export interface AccessAttributes {
  verb: string;
  resource: string;
  group?: string;
  namespace?: string;
  subresource?: string;
  name?: string;
}

export interface DenyRule {
  verb?: string;
  resource?: string;
  group?: string;
  namespace?: string;
  subresource?: string;
}

export const simUser = 'system:serviceaccount:glimpse:glimpse';

/** Authorization: everything is allowed unless a test denies a verb/resource (then 403, and SSARs say no). */
export class AccessRules {
  private readonly rules: DenyRule[] = [];

  deny(rule: DenyRule): void {
    this.rules.push(rule);
  }

  clear(): void {
    this.rules.length = 0;
  }

  isAllowed(a: AccessAttributes): boolean {
    return !this.rules.some(
      (r) =>
        (r.verb === undefined || r.verb === a.verb || r.verb === '*') &&
        (r.resource === undefined || r.resource === a.resource) &&
        (r.group === undefined || r.group === (a.group ?? '')) &&
        (r.namespace === undefined || r.namespace === a.namespace) &&
        (r.subresource === undefined || r.subresource === a.subresource),
    );
  }

  denialReason(a: AccessAttributes): string {
    const where = a.namespace === undefined ? 'at the cluster scope' : `in the namespace "${a.namespace}"`;
    const res = a.subresource === undefined ? a.resource : `${a.resource}/${a.subresource}`;
    return `User "${simUser}" cannot ${a.verb} resource "${res}" in API group "${a.group ?? ''}" ${where}`;
  }

  check(a: AccessAttributes): void {
    if (this.isAllowed(a)) return;
    const qualified = a.group ? `${a.resource}.${a.group}` : a.resource;
    const subject = a.name === undefined ? qualified : `${qualified} "${a.name}"`;
    const details: Record<string, string> = { kind: a.resource };
    if (a.name !== undefined) details.name = a.name;
    if (a.group) details.group = a.group;
    throw new KubeStatusError(403, 'Forbidden', `${subject} is forbidden: ${this.denialReason(a)}`, details);
  }
}
