import type { CoreV1Api, V1ConfigMap } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import { type KubeManifest, manifestKey } from './kube-manifest.ts';
import type { Applied, ServerSideApplyApi } from './server-side-apply-api.ts';
import { apiStatusCode, translateKubeError } from './translate-kube-error.ts';

/** The ConfigMap in each preview namespace that records what the last render applied (see docs). */
export const APPLIED_RECORD = 'glimpse-applied';

export interface ObjectRef {
  apiVersion: string;
  kind: string;
  name: string;
}

export interface ApplyContext {
  objects: ServerSideApplyApi;
  core: CoreV1Api;
  namespace: string;
  labels: Record<string, string>;
  signal: AbortSignal;
  log: Logger | undefined;
  /** The namespace was created by this deploy: no earlier render left a record to read. */
  createdNamespace: boolean;
}

/**
 * What pods need to exist before they are created: admission applies quotas and limit ranges to a new pod, and a
 * pod mounts config, secrets, claims and its service account. These go in the first wave; the rest after.
 */
const FIRST_WAVE = new Set([
  'ResourceQuota',
  'LimitRange',
  'NetworkPolicy',
  'ServiceAccount',
  'Role',
  'RoleBinding',
  'Secret',
  'ConfigMap',
  'PersistentVolumeClaim',
]);

/**
 * Server-side apply (field manager `glimpse`, forced) of every object: those pods depend on first, then the rest,
 * each wave at once, so a deploy waits for two round trips instead of one per object. On failure, every request of
 * the wave is answered first; the error of the first failing object in manifest order is thrown. Resolves to what
 * each apply did, in the order of `manifests`.
 */
export async function applyObjects(
  manifests: KubeManifest[],
  ctx: Pick<ApplyContext, 'objects' | 'signal'>,
): Promise<Applied[]> {
  const applied = new Map<KubeManifest, Applied>();
  const first = manifests.filter((m) => FIRST_WAVE.has(m.kind));
  const rest = manifests.filter((m) => !FIRST_WAVE.has(m.kind));
  for (const wave of [first, rest]) {
    ctx.signal.throwIfAborted();
    const results = await Promise.allSettled(wave.map((manifest) => ctx.objects.apply(manifest)));
    results.forEach((r, i) => {
      if (r.status === 'fulfilled') applied.set(wave[i] as KubeManifest, r.value);
    });
    const index = results.findIndex((r) => r.status === 'rejected');
    const failed = results[index];
    if (failed?.status === 'rejected')
      throw translateKubeError(failed.reason, `applying ${manifestKey(wave[index] as KubeManifest)}`);
  }
  return manifests.map((m) => applied.get(m) as Applied);
}

/**
 * Applies the objects of a render, then deletes what the previous render of this environment applied and this one
 * no longer contains. The record of applied objects lives in the `glimpse-applied` ConfigMap; while a prune is under
 * way it holds both sets, so an interrupted prune is finished by the next deploy. In a namespace this deploy created
 * there is no record yet: none is read, and the new one is applied with the objects.
 */
export async function applyAndPrune(manifests: KubeManifest[], ctx: ApplyContext): Promise<void> {
  const current = manifests.map(refOf);
  if (ctx.createdNamespace) {
    // Nothing to prune: the record goes with the first wave (a ConfigMap), a round trip fewer. Should a later
    // object fail, the record names one that is not there, which the next deploy applies or prunes (a 404).
    await applyObjects([...manifests, recordManifest(ctx, current)], ctx);
    return;
  }
  const [previous] = await Promise.all([
    readAppliedRecord(ctx.core, ctx.namespace),
    applyObjects(manifests, ctx),
  ]);
  const keys = new Set(current.map(refKey));
  const stale = (previous ?? []).filter((r) => !keys.has(refKey(r)));
  await writeRecord(ctx, [...current, ...stale]);
  for (const ref of stale) {
    ctx.signal.throwIfAborted();
    try {
      await ctx.objects.delete(
        {
          apiVersion: ref.apiVersion,
          kind: ref.kind,
          metadata: { name: ref.name, namespace: ctx.namespace },
        },
        undefined,
        undefined,
        undefined,
        undefined,
        'Background',
      );
      ctx.log?.info({ object: refKey(ref) }, 'pruned object of an earlier render');
    } catch (error) {
      if (apiStatusCode(error) !== 404) throw translateKubeError(error, `deleting ${refKey(ref)}`);
    }
  }
  if (stale.length > 0) await writeRecord(ctx, current);
}

function refOf(m: KubeManifest): ObjectRef {
  return { apiVersion: m.apiVersion, kind: m.kind, name: m.metadata.name };
}

function refKey(r: ObjectRef): string {
  return `${r.apiVersion} ${r.kind} ${r.name}`;
}

/** What the last render applied in `namespace`; undefined when there is no record (none finished, or it was deleted). */
export async function readAppliedRecord(
  core: CoreV1Api,
  namespace: string,
): Promise<ObjectRef[] | undefined> {
  try {
    return appliedRecordOf(await core.readNamespacedConfigMap({ name: APPLIED_RECORD, namespace }));
  } catch (error) {
    if (apiStatusCode(error) === 404) return undefined;
    throw translateKubeError(error, 'reading the record of applied objects');
  }
}

/** The objects a `glimpse-applied` ConfigMap lists; none when its content is not such a list. */
export function appliedRecordOf(record: V1ConfigMap): ObjectRef[] {
  try {
    const parsed: unknown = JSON.parse(record.data?.objects ?? '[]');
    return Array.isArray(parsed) ? parsed.filter(isObjectRef) : [];
  } catch (error) {
    if (error instanceof SyntaxError) return [];
    throw error;
  }
}

function recordManifest(ctx: ApplyContext, refs: ObjectRef[]): KubeManifest {
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: APPLIED_RECORD, namespace: ctx.namespace, labels: ctx.labels },
    data: { objects: JSON.stringify(refs) },
  };
}

async function writeRecord(ctx: ApplyContext, refs: ObjectRef[]): Promise<void> {
  await applyObjects([recordManifest(ctx, refs)], ctx);
}

function isObjectRef(value: unknown): value is ObjectRef {
  const v = value as Partial<ObjectRef> | null;
  return (
    typeof v === 'object' &&
    v !== null &&
    typeof v.apiVersion === 'string' &&
    typeof v.kind === 'string' &&
    typeof v.name === 'string'
  );
}
