import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { Database } from '../../db/database.ts';
import { Forbidden, NotFound, Unauthorized } from '../../domain/errors.ts';
import {
  APP_MANIFEST_CALLBACK_PATH,
  APP_MANIFEST_START_PATH,
  githubAppManifest,
  githubWebUrl,
  newAppUrl,
} from '../../domain/github-app-manifest.ts';
import { convertAppManifest } from '../../github/convert-app-manifest.ts';
import { escapeHtml } from '../../runtimes/local/proxy-pages.ts';
import { principalOfUser } from '../../services/auth/authenticate-token.ts';
import { type ConnectTicket, issueTicket, readTicket } from '../../services/github-app/connect-ticket.ts';
import { saveGithubApp } from '../../services/github-app/github-app-store.ts';
import type { SecretBox } from '../../services/github-app/secret-box.ts';
import { parseInput } from '../../services/parse-input.ts';
import { readCookie, SESSION_COOKIE, type SessionSealer } from '../session-cookie.ts';

export interface GithubAppRouteDeps {
  db: Database;
  box: SecretBox;
  /** Session cookies, so a signed-in administrator can start the flow from the dashboard without a ticket. */
  sessions: SessionSealer | undefined;
  publicUrl: string;
  apiUrl: string;
  now: () => Date;
}

/**
 * The GitHub App manifest flow: `glimpse github connect` prints a signed link to the first route (or a signed-in
 * administrator opens it, e.g. from the dashboard's "Connect GitHub" button, with `?organization=` if wanted),
 * whose page posts the manifest to GitHub; GitHub creates the App and sends the browser back to the second
 * route with a code, which Glimpse exchanges for the App's id, key and secrets, and stores them encrypted.
 */
export function registerGithubAppRoutes(http: FastifyInstance, deps: GithubAppRouteDeps): void {
  const webUrl = githubWebUrl(deps.apiUrl);

  http.get(APP_MANIFEST_START_PATH, async (request, reply) => {
    const query = parseInput(
      z.object({ ticket: z.string().min(1).optional(), organization: z.string().min(1).max(100).optional() }),
      request.query,
      'query',
    );
    const start: Pick<ConnectTicket, 'organization' | 'name'> | undefined =
      query.ticket === undefined
        ? await adminStart(request, query.organization)
        : readTicket(deps.box, query.ticket, 'start', deps.now().getTime());
    if (start === undefined)
      throw new Unauthorized(
        'This link is not valid or has expired: run "glimpse github connect" for a new one.',
      );
    const name = start.name ?? `Glimpse ${new URL(deps.publicUrl).host}`;
    const manifest = githubAppManifest(deps.publicUrl, name);
    const state = issueTicket(
      deps.box,
      { purpose: 'state', ...(start.organization === undefined ? {} : { organization: start.organization }) },
      deps.now().getTime(),
    );
    const action = `${newAppUrl(webUrl, start.organization)}?state=${encodeURIComponent(state)}`;
    const account =
      start.organization === undefined ? 'your GitHub account' : `the organisation ${start.organization}`;
    return (
      reply
        .header('content-type', 'text/html; charset=utf-8')
        // GitHub answers the form with a redirect back to Glimpse's callback, and browsers hold redirects after a
        // form post to form-action too: without Glimpse's own origin, Chromium blocks the way back.
        .header(
          'content-security-policy',
          `default-src 'none'; form-action ${webUrl} ${new URL(deps.publicUrl).origin}`,
        )
        .send(
          page(
            'Connect Glimpse to GitHub',
            `<p>GitHub will create the private GitHub App <b>${escapeHtml(name)}</b> for ${escapeHtml(account)}, ` +
              `sending its webhooks to ${escapeHtml(manifest.hook_attributes.url)}.</p>` +
              `<form method="post" action="${escapeHtml(action)}">` +
              `<input type="hidden" name="manifest" value="${escapeHtml(JSON.stringify(manifest))}">` +
              '<button type="submit">Create the GitHub App on GitHub</button></form>',
          ),
        )
    );
  });

  /** Without a ticket: the session's user, who must be a Glimpse administrator. */
  async function adminStart(
    request: FastifyRequest,
    organization: string | undefined,
  ): Promise<Pick<ConnectTicket, 'organization'>> {
    const cookie = readCookie(request.headers.cookie, SESSION_COOKIE);
    const session = cookie === undefined ? undefined : deps.sessions?.unseal(cookie, deps.now().getTime());
    if (session === undefined)
      throw new Unauthorized(
        'Sign in as a Glimpse administrator first, or run "glimpse github connect" for a link.',
      );
    const principal = await principalOfUser(deps.db, session.userId);
    if (!principal.isAdmin) throw new Forbidden('Only Glimpse administrators may connect GitHub.');
    return organization === undefined ? {} : { organization };
  }

  http.get(APP_MANIFEST_CALLBACK_PATH, async (request, reply) => {
    const query = parseInput(
      z.object({ code: z.string().min(1), state: z.string().min(1) }),
      request.query,
      'query',
    );
    if (readTicket(deps.box, query.state, 'state', deps.now().getTime()) === undefined)
      throw new Unauthorized(
        'GitHub sent back a state this server did not issue, or it has expired: run "glimpse github connect" again.',
      );
    const app = await convertAppManifest(deps.apiUrl, query.code).catch((error: unknown) => {
      if (error instanceof NotFound)
        throw new NotFound(
          'GitHub no longer knows this code (it lasts one hour and works once): run "glimpse github connect" again.',
          { cause: error },
        );
      throw error;
    });
    await saveGithubApp(deps.db, deps.box, deps.apiUrl, app);
    return reply
      .header('content-type', 'text/html; charset=utf-8')
      .header('content-security-policy', "default-src 'none'")
      .send(
        page(
          'GitHub App connected',
          `<p>Glimpse stored the GitHub App <b>${escapeHtml(app.name)}</b> (id ${app.id}), encrypted. ` +
            'Restart Glimpse to use it, then install the App on the repositories that should get previews: ' +
            `<a href="${escapeHtml(`${app.html_url}/installations/new`)}">install ${escapeHtml(app.slug)}</a>.</p>`,
        ),
      );
  });
}

/** A page without styles or scripts, so a CSP of `default-src 'none'` holds. */
function page(title: string, body: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title></head><body><h1>${escapeHtml(title)}</h1>${body}</body></html>`;
}
