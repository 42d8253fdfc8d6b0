import { deleteObject } from './deletion.ts';
import { arrayField, type JsonObject, objectField, stringField } from './kube-object.ts';
import { type ObjectStore, timestamp } from './object-store.ts';
import { isStored, mustType, resourceTypes } from './resource-types.ts';

const nsType = mustType('', 'namespaces');
const saType = mustType('', 'serviceaccounts');

/**
 * Terminating namespaces: deletes their content, reports what remains in conditions, then removes the
 * `kubernetes` spec finalizer and the namespace (unless a test made it stuck). Active namespaces get
 * their `default` ServiceAccount.
 */
export function syncNamespaces(store: ObjectStore, stuck: Set<string>): void {
  for (const ns of store.scan(nsType)) {
    const name = ns.metadata.name;
    if (ns.metadata.deletionTimestamp === undefined) {
      if (store.get(saType, name, 'default') === undefined) {
        store.insert(saType, {
          apiVersion: 'v1',
          kind: 'ServiceAccount',
          metadata: { name: 'default', namespace: name } as never,
        });
      }
      continue;
    }
    const remaining = new Map<string, number>();
    for (const type of resourceTypes.filter((t) => t.namespaced && isStored(t))) {
      for (const obj of store.scan(type, name)) {
        remaining.set(type.plural, (remaining.get(type.plural) ?? 0) + 1);
        if (obj.metadata.deletionTimestamp === undefined) {
          try {
            deleteObject(store, type, name, obj.metadata.name, { propagationPolicy: 'Background' });
          } catch {
            // raced with another deletion
          }
        }
      }
    }
    const current = store.get(nsType, undefined, name);
    if (current === undefined) continue;
    if (remaining.size > 0 || stuck.has(name)) {
      const message =
        remaining.size > 0
          ? `Some resources are remaining: ${[...remaining].map(([p, n]) => `${p} has ${n} resource instances`).join(', ')}`
          : 'All content successfully removed';
      const status: JsonObject = {
        phase: 'Terminating',
        conditions: [
          {
            type: 'NamespaceContentRemaining',
            status: remaining.size > 0 ? 'True' : 'False',
            lastTransitionTime: conditionTime(current.status),
            reason: remaining.size > 0 ? 'SomeResourcesRemain' : 'ContentRemoved',
            message,
          },
          ...(stuck.has(name)
            ? [
                {
                  type: 'NamespaceFinalizersRemaining',
                  status: 'True',
                  lastTransitionTime: conditionTime(current.status),
                  reason: 'SomeFinalizersRemain',
                  message:
                    'Some content in the namespace has finalizers remaining: example.com/stuck in 1 resource instances',
                },
              ]
            : []),
        ],
      };
      if (JSON.stringify(current.status) !== JSON.stringify(status)) {
        current.status = status;
        store.replace(nsType, current);
      }
      continue;
    }
    const spec = objectField(current, 'spec');
    spec.finalizers = [];
    if ((current.metadata.finalizers ?? []).length === 0) store.remove(nsType, undefined, name);
    else {
      current.spec = spec;
      store.replace(nsType, current);
    }
  }
}

function conditionTime(status: unknown): string {
  return stringField(arrayField(status, 'conditions')[0], 'lastTransitionTime') ?? timestamp();
}
