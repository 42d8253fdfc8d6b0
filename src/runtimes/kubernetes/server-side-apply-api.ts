import { HttpMethod, type KubeConfig, KubernetesObjectApi, PatchStrategy } from '@kubernetes/client-node';
import { RuntimeFailure } from '../runtime.ts';
import { FIELD_MANAGER } from './kube-labels.ts';
import { type KubeManifest, manifestKey } from './kube-manifest.ts';
import { apiStatusCode } from './translate-kube-error.ts';

/**
 * KubernetesObjectApi with a server-side apply that sends the manifest exactly as rendered. The stock `patch` runs
 * bodies through the typed model serializer, which drops fields it does not know under their JSON names (such as a
 * LimitRange's `default`, or fields newer than the client).
 */
export class ServerSideApplyApi extends KubernetesObjectApi {
  static forConfig(kc: KubeConfig): ServerSideApplyApi {
    const client = kc.makeApiClient(ServerSideApplyApi);
    client.setDefaultNamespace(kc);
    return client;
  }

  /**
   * PATCH with `application/apply-patch+yaml`, field manager `glimpse`, forced. A kind the cluster does not serve,
   * or a cluster-scoped kind given a namespace (a chart reaching outside its preview), fails permanently.
   */
  async apply(manifest: KubeManifest): Promise<unknown> {
    const served = await this.resource(manifest.apiVersion, manifest.kind).catch((error: unknown) => {
      if (apiStatusCode(error) === 404) return undefined;
      throw error;
    });
    if (served === undefined) {
      throw new RuntimeFailure(`the cluster does not serve ${manifest.apiVersion} ${manifest.kind}`, {
        transient: false,
      });
    }
    if (!served.namespaced && manifest.metadata.namespace !== undefined) {
      throw new RuntimeFailure(
        `${manifestKey(manifest)} is cluster-scoped: a preview may only create objects in its namespace`,
        { transient: false },
      );
    }
    const path = await this.specUriPath(manifest, 'patch');
    const context = this.configuration.baseServer.makeRequestContext(path, HttpMethod.PATCH);
    context.setHeaderParam('Accept', 'application/json, */*;q=0.8');
    context.setHeaderParam('Content-Type', PatchStrategy.ServerSideApply);
    context.setQueryParam('fieldManager', FIELD_MANAGER);
    context.setQueryParam('force', 'true');
    context.setBody(JSON.stringify(manifest));
    return this.requestPromise(context);
  }
}
