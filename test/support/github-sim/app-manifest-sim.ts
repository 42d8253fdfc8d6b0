import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { userJson } from './fixtures.ts';
import { readBody } from './oauth-sim.ts';
import { validateResponse } from './openapi-validator.ts';
import type { SimUser } from './sim-state.ts';

/** A manifest a "browser" posted to the simulator's new-App page, as GitHub would receive it. */
export interface PostedManifest {
  /** The organisation the App is created for; undefined for the signed-in user. */
  organization: string | undefined;
  manifest: Record<string, unknown>;
  state: string;
}

/** The App the manifest flow creates: the simulator's own App, with fresh secrets. */
export interface CreatedApp {
  id: number;
  slug: string;
  webhookSecret: string;
  clientId: string;
  clientSecret: string;
}

export interface SimAppManifests {
  /** Every manifest posted, in order. */
  posted: PostedManifest[];
  /** The App created by the last conversion, once the code was exchanged. */
  created: CreatedApp | undefined;
}

export interface AppManifestRoutes {
  api: SimAppManifests;
  handle(request: IncomingMessage, response: ServerResponse, baseUrl: string): Promise<boolean>;
}

const NEW_APP_PATH = /^\/(?:organizations\/([^/]+)\/)?settings\/apps\/new$/;
const CONVERSION_PATH = /^\/app-manifests\/([^/]+)\/conversions$/;

/**
 * GitHub's App manifest flow: the page a browser posts the manifest to (it creates the App and redirects to the
 * manifest's `redirect_url` with a one-time code), and `POST /app-manifests/{code}/conversions`, which trades
 * the code for the App with its private key and secrets. The App created is the simulator's own (its id and key),
 * so everything the product then does with it works against the other routes.
 */
export function createAppManifestRoutes(options: {
  appId: number;
  appSlug: string;
  privateKeyPem: string;
  /** The GitHub user whose browser posts the manifest (owner of an App not made for an organisation). */
  user: SimUser;
  nowIso: () => string;
  /** Sign-in through the new App's OAuth client works once it exists. */
  onCreated: (app: CreatedApp) => void;
}): AppManifestRoutes {
  const api: SimAppManifests = { posted: [], created: undefined };
  const codes = new Map<string, PostedManifest>();

  function send(response: ServerResponse, status: number, body: unknown) {
    validateResponse('POST', '/app-manifests/{code}/conversions', status, body);
    response.writeHead(status, { 'content-type': 'application/json; charset=utf-8' });
    response.end(JSON.stringify(body));
  }

  async function handle(
    request: IncomingMessage,
    response: ServerResponse,
    baseUrl: string,
  ): Promise<boolean> {
    const url = new URL(request.url ?? '/', 'http://sim.invalid');
    const newApp = NEW_APP_PATH.exec(url.pathname);
    if (request.method === 'POST' && newApp !== null) {
      const form = await readBody(request);
      const manifest = JSON.parse(form.manifest ?? 'null') as Record<string, unknown> | null;
      const redirect = typeof manifest?.redirect_url === 'string' ? manifest.redirect_url : undefined;
      if (manifest === null || redirect === undefined) {
        response.writeHead(422, { 'content-type': 'text/plain' });
        response.end('manifest with a redirect_url required');
        return true;
      }
      const posted = {
        organization: newApp[1] === undefined ? undefined : decodeURIComponent(newApp[1]),
        manifest,
        state: url.searchParams.get('state') ?? '',
      };
      api.posted.push(posted);
      const code = randomBytes(10).toString('hex');
      codes.set(code, posted);
      const target = new URL(redirect);
      target.searchParams.set('code', code);
      target.searchParams.set('state', posted.state);
      response.writeHead(302, { location: target.toString() });
      response.end();
      return true;
    }
    const conversion = CONVERSION_PATH.exec(url.pathname);
    if (request.method !== 'POST' || conversion === null) return false;
    const posted = codes.get(conversion[1] ?? '');
    codes.delete(conversion[1] ?? '');
    if (posted === undefined) {
      send(response, 404, { message: 'Not Found', documentation_url: 'https://docs.github.com/rest' });
      return true;
    }
    const created: CreatedApp = {
      id: options.appId,
      slug: options.appSlug,
      webhookSecret: randomBytes(20).toString('hex'),
      clientId: `Iv1.${randomBytes(8).toString('hex')}`,
      clientSecret: randomBytes(20).toString('hex'),
    };
    api.created = created;
    options.onCreated(created);
    const owner: SimUser =
      posted.organization === undefined
        ? options.user
        : { login: posted.organization, id: 20_001, type: 'Organization' };
    const at = options.nowIso();
    send(response, 201, {
      id: created.id,
      slug: created.slug,
      node_id: Buffer.from(`App${created.id}`).toString('base64'),
      client_id: created.clientId,
      owner: userJson(baseUrl, owner),
      name: String(posted.manifest.name ?? created.slug),
      description: null,
      external_url: String(posted.manifest.url ?? ''),
      html_url: `https://github.com/apps/${created.slug}`,
      created_at: at,
      updated_at: at,
      permissions: posted.manifest.default_permissions ?? {},
      events: posted.manifest.default_events ?? [],
      client_secret: created.clientSecret,
      webhook_secret: created.webhookSecret,
      pem: options.privateKeyPem,
    });
    return true;
  }

  return { api, handle };
}
