import type { AppsV1Api, CoreV1Api, V1ListMeta, V1ObjectMeta } from '@kubernetes/client-node';
import { APPLIED_RECORD, appliedRecordOf, type ObjectRef } from './apply-objects.ts';
import { ENVIRONMENT_LABEL } from './kube-labels.ts';
import { translateKubeError } from './translate-kube-error.ts';

/** Objects per page of a list across namespaces: a thousand previews take two pages, not one large answer. */
const PAGE_SIZE = 500;

const WORKLOAD_KINDS = new Set(['Deployment', 'StatefulSet']);

/** The Deployments and StatefulSets of a record of applied objects. */
export function recordedWorkloads(record: readonly ObjectRef[]): ObjectRef[] {
  return record.filter((ref) => ref.apiVersion === 'apps/v1' && WORKLOAD_KINDS.has(ref.kind));
}

/**
 * Of these preview namespaces, the ones whose last deploy's record of applied objects is gone (with the namespace,
 * or deleted by hand) or names a Deployment or StatefulSet that is gone. One list of the records across every
 * namespace, then one list of each workload kind the records name (objects Glimpse applies carry the environment
 * label), however many previews there are; a page holds PAGE_SIZE objects.
 */
export async function findVanishedEnvironments(
  api: { core: CoreV1Api; apps: AppsV1Api },
  namespaces: readonly string[],
): Promise<Set<string>> {
  if (namespaces.length === 0) return new Set();
  try {
    const records = new Map<string, ObjectRef[]>();
    const listedRecords = await listAllPages((page) =>
      api.core.listConfigMapForAllNamespaces({
        labelSelector: ENVIRONMENT_LABEL,
        fieldSelector: `metadata.name=${APPLIED_RECORD}`,
        ...page,
      }),
    );
    for (const record of listedRecords) {
      const namespace = record.metadata?.namespace;
      if (namespace !== undefined) records.set(namespace, recordedWorkloads(appliedRecordOf(record)));
    }
    const kinds = new Set(
      namespaces.flatMap((namespace) => (records.get(namespace) ?? []).map((ref) => ref.kind)),
    );
    const present = new Set<string>();
    const note = (kind: string, items: { metadata?: V1ObjectMeta }[]) => {
      for (const { metadata } of items) present.add(`${metadata?.namespace}/${kind}/${metadata?.name}`);
    };
    if (kinds.has('Deployment')) {
      note(
        'Deployment',
        await listAllPages((page) =>
          api.apps.listDeploymentForAllNamespaces({ labelSelector: ENVIRONMENT_LABEL, ...page }),
        ),
      );
    }
    if (kinds.has('StatefulSet')) {
      note(
        'StatefulSet',
        await listAllPages((page) =>
          api.apps.listStatefulSetForAllNamespaces({ labelSelector: ENVIRONMENT_LABEL, ...page }),
        ),
      );
    }
    return new Set(
      namespaces.filter((namespace) => {
        const workloads = records.get(namespace);
        return (
          workloads === undefined ||
          workloads.some((ref) => !present.has(`${namespace}/${ref.kind}/${ref.name}`))
        );
      }),
    );
  } catch (error) {
    throw translateKubeError(error, 'looking for previews whose resources vanished');
  }
}

/** Every item of a list, page by page. */
async function listAllPages<T>(
  list: (page: { limit: number; _continue?: string }) => Promise<{ items: T[]; metadata?: V1ListMeta }>,
): Promise<T[]> {
  const items: T[] = [];
  let next: string | undefined;
  do {
    const page = await list({ limit: PAGE_SIZE, ...(next === undefined ? {} : { _continue: next }) });
    items.push(...page.items);
    next = page.metadata?._continue || undefined;
  } while (next !== undefined);
  return items;
}
