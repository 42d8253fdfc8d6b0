import type { CoreV1Api } from '@kubernetes/client-node';
import type { EnvironmentRef } from '../runtime.ts';
import { MANAGED_BY_LABEL, MANAGED_BY_VALUE, PR_LABEL, REPO_ANNOTATION, REPO_LABEL } from './kube-labels.ts';
import { translateKubeError } from './translate-kube-error.ts';

/** Namespaces labelled as managed by Glimpse, as environment refs (terminating ones included). */
export async function listManagedEnvironments(core: CoreV1Api): Promise<EnvironmentRef[]> {
  try {
    const list = await core.listNamespace({ labelSelector: `${MANAGED_BY_LABEL}=${MANAGED_BY_VALUE}` });
    const refs: EnvironmentRef[] = [];
    for (const ns of list.items) {
      const name = ns.metadata?.name;
      const prNumber = Number(ns.metadata?.labels?.[PR_LABEL]);
      const repoFullName = ns.metadata?.annotations?.[REPO_ANNOTATION] ?? ns.metadata?.labels?.[REPO_LABEL];
      if (name === undefined || repoFullName === undefined || !Number.isInteger(prNumber)) continue;
      refs.push({ namespace: name, repoFullName, prNumber });
    }
    return refs;
  } catch (error) {
    throw translateKubeError(error, 'listing the managed namespaces');
  }
}
