import {
  ApiException,
  HttpMethod,
  type KubeConfig,
  KubernetesObjectApi,
  PatchStrategy,
} from '@kubernetes/client-node';
import { RuntimeFailure } from '../runtime.ts';
import { FIELD_MANAGER } from './kube-labels.ts';
import { type KubeManifest, manifestKey } from './kube-manifest.ts';
import { apiStatusCode } from './translate-kube-error.ts';

/** What an apply did. */
export interface Applied {
  /** The object did not exist before: the API server answered 201 Created. */
  created: boolean;
}

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
   * or a cluster-scoped kind given a namespace (a chart reaching outside its preview), fails permanently. Resolves
   * to whether the object was created (the stock client hides the status code, so the request is sent here).
   */
  async apply(manifest: KubeManifest): Promise<Applied> {
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
    let context = this.configuration.baseServer.makeRequestContext(path, HttpMethod.PATCH);
    context.setHeaderParam('Accept', 'application/json, */*;q=0.8');
    context.setHeaderParam('Content-Type', PatchStrategy.ServerSideApply);
    context.setQueryParam('fieldManager', FIELD_MANAGER);
    context.setQueryParam('force', 'true');
    context.setBody(JSON.stringify(manifest));
    await this.configuration.authMethods.default?.applySecurityAuthentication(context);
    for (const middleware of this.configuration.middleware)
      context = await middleware.pre(context).toPromise();
    let response = await this.configuration.httpApi.send(context).toPromise();
    for (const middleware of this.configuration.middleware)
      response = await middleware.post(response).toPromise();
    const status = response.httpStatusCode;
    if (status < 200 || status > 299) {
      throw new ApiException(
        status,
        'Unsuccessful HTTP Request',
        await response.getBodyAsAny(),
        response.headers,
      );
    }
    await response.body.text();
    return { created: status === 201 };
  }
}
