import {
  type ApiConstructor,
  type ApiType,
  createConfiguration,
  HttpMethod,
  IsomorphicFetchHttpLibrary,
  KubeConfig,
  RequestContext,
  ServerConfiguration,
  setHeaderMiddleware,
  wrapHttpLibrary,
} from '@kubernetes/client-node';
import type { GlimpseMetrics } from '../../metrics/glimpse-metrics.ts';
import { GLIMPSE_VERSION } from '../../version.ts';
import { kubeRequestLabels } from './kube-request-labels.ts';

type Dispatcher = NonNullable<ReturnType<RequestContext['getDispatcher']>>;

interface Authentication {
  headers: Record<string, string>;
  dispatcher: Dispatcher | undefined;
}

/**
 * A KubeConfig whose API calls share their connections and their credentials. @kubernetes/client-node 2.0 builds
 * a new undici Agent for every request, and decodes (or reads from disk) the CA, client certificate and key for
 * it: each API call did its own TLS handshake and left its socket open until the server's idle timeout, and 500
 * previews made ~10,000 connections and as many sets of certificate buffers. Here the headers and the dispatcher
 * are worked out once per cluster and user and reused. Users whose credentials come from an exec plugin or auth
 * provider (which may hand out tokens or client certificates that rotate) keep the per-request behaviour.
 */
export class PooledKubeConfig extends KubeConfig {
  readonly #authentications = new Map<string, Promise<Authentication>>();
  readonly #metrics: GlimpseMetrics | undefined;

  /** `metrics`: every request of the API clients it makes is counted by verb, resource and status code. */
  constructor(metrics?: GlimpseMetrics) {
    super();
    this.#metrics = metrics;
  }

  override makeApiClient<T extends ApiType>(apiClientType: ApiConstructor<T>): T {
    const metrics = this.#metrics;
    const cluster = this.getCurrentCluster();
    if (metrics === undefined || cluster === null) return super.makeApiClient(apiClientType);
    // As client-node builds it, with an HTTP library that counts each request once it is answered.
    const fetcher = new IsomorphicFetchHttpLibrary();
    const httpApi = wrapHttpLibrary({
      async send(request) {
        const { verb, resource } = kubeRequestLabels(request.getHttpMethod(), request.getUrl());
        try {
          const response = await fetcher.send(request).toPromise();
          metrics.kubernetesRequest(verb, resource, response.httpStatusCode);
          return response;
        } catch (error) {
          metrics.kubernetesRequest(verb, resource, undefined);
          throw error;
        }
      },
    });
    return new apiClientType(
      createConfiguration({
        baseServer: new ServerConfiguration(cluster.server, {}),
        authMethods: { default: this },
        middleware: [setHeaderMiddleware('User-Agent', `glimpse/${GLIMPSE_VERSION}`)],
        httpApi,
      }),
    );
  }

  override async applySecurityAuthentication(context: RequestContext): Promise<void> {
    const user = this.getCurrentUser();
    const cluster = this.getCurrentCluster();
    if (user === null || user.exec !== undefined || user.authProvider !== undefined) {
      return super.applySecurityAuthentication(context);
    }
    const key = JSON.stringify([cluster?.name, cluster?.server, user.name]);
    let authentication = this.#authentications.get(key);
    if (authentication === undefined) {
      authentication = this.#authenticate(context.getUrl());
      this.#authentications.set(key, authentication);
      authentication.catch(() => this.#authentications.delete(key));
    }
    const { headers, dispatcher } = await authentication;
    for (const [name, value] of Object.entries(headers)) context.setHeaderParam(name, value);
    if (dispatcher !== undefined) context.setDispatcher(dispatcher);
  }

  /** What client-node applies to a request of this user, taken from a request made for the purpose. */
  async #authenticate(url: string): Promise<Authentication> {
    const probe = new RequestContext(url, HttpMethod.GET);
    await super.applySecurityAuthentication(probe);
    return { headers: probe.getHeaders(), dispatcher: probe.getDispatcher() };
  }

  /** Closes the shared connections (the runtime is closing). */
  async closeConnections(): Promise<void> {
    const authentications = [...this.#authentications.values()];
    this.#authentications.clear();
    const settled = await Promise.allSettled(authentications);
    await Promise.allSettled(
      settled.map((s) => (s.status === 'fulfilled' ? s.value.dispatcher?.destroy() : undefined)),
    );
  }
}
