import { namespaceUsage } from './admission.ts';
import { sameStatus } from './controller-util.ts';
import { objectField } from './kube-object.ts';
import type { ObjectStore } from './object-store.ts';
import { formatQuantity } from './quantity.ts';
import { mustType } from './resource-types.ts';

const quotaType = mustType('', 'resourcequotas');

/** Keeps ResourceQuota status.hard and status.used current. */
export function syncQuotas(store: ObjectStore): void {
  for (const stored of store.scan(quotaType)) {
    const hard = objectField(stored, 'spec', 'hard');
    const usage = namespaceUsage(store, stored.metadata.namespace ?? '');
    const used: Record<string, string> = {};
    for (const key of Object.keys(hard)) used[key] = formatQuantity(usage.get(key) ?? 0, key);
    const status = { hard, used };
    if (sameStatus(stored.status, status)) continue;
    const quota = store.get(quotaType, stored.metadata.namespace, stored.metadata.name);
    if (quota === undefined) continue;
    quota.status = status;
    store.replace(quotaType, quota);
  }
}
