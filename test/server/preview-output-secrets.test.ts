import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FRAGMENT_LENGTH } from '../../src/domain/redactor.ts';
import type { LocalRuntime } from '../../src/runtimes/local/local-runtime.ts';
import { createApiToken } from '../../src/services/api-tokens.ts';
import { BOOTSTRAP_ADMIN_LOGIN, ensureBootstrapAdmin } from '../../src/services/bootstrap-admin.ts';
import { createAppRepo } from '../local-runtime/support/app-repo.ts';
import { cli } from '../support/cli.ts';
import {
  type GlimpseHarness,
  getPreview,
  HARNESS_SECRET,
  type PullRequestFields,
  startGlimpseHarness,
} from '../support/glimpse-harness.ts';
import { createTestDatabase, databaseTargets, type TestDatabase } from '../support/test-database.ts';
import { waitFor } from '../support/wait-for.ts';

const FULL_NAME = 'acme/probe';

/** Canary values for the secrets Glimpse reads from its configuration. */
const CANARY_ENV = {
  GITHUB_CLIENT_ID: 'Iv1.canaryclientid',
  GITHUB_CLIENT_SECRET: 'canary-client-secret-5b1e0c9d7a',
  GLIMPSE_SESSION_SECRET: 'canary-session-secret-0f3a9c2e71d84b6a5c',
  DATABASE_URL: 'postgres://glimpse:canary-db-pass-81c3e5@db.invalid:5432/glimpse',
  GLIMPSE_TOKEN: 'glp_canary-cli-token-6d2f8a41c0',
  // Redaction is what holds whatever the sandbox: without one, the probe reaches the file of canaries.
  GLIMPSE_LOCAL_SANDBOX: 'none',
};

/**
 * A preview that prints what a process can read from its parent (`/proc/$PPID/environ`), here from a file
 * with the same bytes, so every secret's canary reaches the preview's output: the App's private key with its
 * real line breaks and JSON-escaped, every other secret, and the one-time admin token. Its start command is
 * `start` (the file's path in $PROBE).
 */
function probeConfig(probeFile: string, start: string): string {
  return `env:\n  PROBE: ${JSON.stringify(probeFile)}\nlocal:\n  start: ${JSON.stringify(start)}\n  health: /health\n`;
}

describe.each(databaseTargets())('secrets never leave through a preview’s output (%s)', (target) => {
  const temp = mkdtempSync(path.join(tmpdir(), 'glimpse-probe-'));
  const probeFile = path.join(temp, 'environ');
  let database: TestDatabase;
  let harness: GlimpseHarness;
  /** The one-time admin token, held by Glimpse in clear once created. */
  let bootstrap: string;
  /** An API token of the admin, for reading what Glimpse shows (Glimpse holds only its hash). */
  let token: string;
  let repo: PullRequestFields['repo'];
  let secrets: string[];
  let keyLines: string[];

  beforeAll(async () => {
    database = await createTestDatabase(target);
    bootstrap = (await ensureBootstrapAdmin(database.handle.db)) ?? '';
    token = (await createApiToken(database.handle.db, { login: BOOTSTRAP_ADMIN_LOGIN })).token;
    harness = await startGlimpseHarness(target, { database, env: CANARY_ENV });
    // As `serve` does with the one-time admin token it makes once it listens.
    harness.app.redactor.remember(bootstrap);
    const privateKey = harness.github.privateKey;
    keyLines = privateKey.split('\n').filter((line) => line.length >= FRAGMENT_LENGTH);
    secrets = [
      privateKey,
      HARNESS_SECRET,
      CANARY_ENV.GITHUB_CLIENT_SECRET,
      CANARY_ENV.GLIMPSE_SESSION_SECRET,
      'canary-db-pass-81c3e5',
      CANARY_ENV.GLIMPSE_TOKEN,
      bootstrap,
    ];
    const environ = [
      'PROBE_BEGIN=1',
      `GITHUB_PRIVATE_KEY=${privateKey}`,
      `GITHUB_PRIVATE_KEY_ESCAPED=${privateKey.replace(/\n/g, '\\n')}`,
      `GITHUB_WEBHOOK_SECRET=${HARNESS_SECRET}`,
      ...Object.entries(CANARY_ENV).map(([name, value]) => `${name}=${value}`),
      `BOOTSTRAP_TOKEN=${bootstrap}`,
      `HALF_OF_A_KEY_LINE=${keyLines[2]?.slice(10, 10 + FRAGMENT_LENGTH + 4)}`,
      'PROBE_END=1',
    ];
    writeFileSync(probeFile, `${environ.join('\0')}\0`);

    const app = createAppRepo(path.join(temp, 'repo'));
    app.commit('v1', { '.glimpse.yml': probeConfig(probeFile, 'exit 1') });
    const id = await harness.connectRepo(FULL_NAME, app.dir);
    repo = { id, fullName: FULL_NAME, cloneUrl: `file://${app.dir}` };
    const open = async (number: number, start: string) => {
      const sha = app.commit(`pr-${number}`, { '.glimpse.yml': probeConfig(probeFile, start) });
      await harness.pullRequest('opened', { repo, number, sha, updatedAt: '2024-01-01T00:00:00Z' });
    };
    // 1 serves after printing everything, NUL-separated and line by line; 2 and 3 fail after printing the
    // start or the end of it, so each part reaches the 20 lines a failure shows on the PR.
    await open(1, 'cat "$PROBE"; echo; tr "\\000" "\\n" < "$PROBE"; exec node server.cjs');
    await open(2, 'tr "\\000" "\\n" < "$PROBE" | head -n 22; exit 3');
    await open(3, 'tr "\\000" "\\n" < "$PROBE" | tail -n 20; exit 3');
    await harness.waitForPhase(1, 'running', 60_000);
    await harness.waitForPhase(2, 'failed', 60_000);
    await harness.waitForPhase(3, 'failed', 60_000);
  }, 180_000);
  afterAll(async () => {
    await harness?.close();
    await database?.close();
    rmSync(temp, { recursive: true, force: true });
  });

  /** `text` reached us and holds neither a secret nor a line of the key nor a piece of one. */
  const expectClean = (where: string, text: string, shows: string) => {
    expect(text, `${where} shows the probe's output`).toContain(shows);
    for (const secret of secrets) expect(text.includes(secret), `${where} holds a secret`).toBe(false);
    for (const line of keyLines) expect(text.includes(line), `${where} holds a key line`).toBe(false);
    for (const line of keyLines) {
      for (let i = 0; i + FRAGMENT_LENGTH <= line.length; i += FRAGMENT_LENGTH) {
        expect(text.includes(line.slice(i, i + FRAGMENT_LENGTH)), `${where} holds part of a key line`).toBe(
          false,
        );
      }
    }
  };
  const api = (urlPath: string) =>
    fetch(`${harness.url}/api/v1${urlPath}`, { headers: { authorization: `Bearer ${token}` } });

  it('keeps them out of the PR comments and the deployment statuses', async () => {
    for (const number of [2, 3]) {
      const body = await waitFor(() =>
        harness.github.comments(FULL_NAME, number).find((c) => c.body.includes('Failed')),
      );
      expectClean(`the comment on PR ${number}`, body.body, number === 2 ? 'app: [REDACTED]' : 'PROBE_END');
    }
    const statuses = harness.github
      .deployments(FULL_NAME)
      .flatMap((d) => d.statuses)
      .map((s) => JSON.stringify(s));
    expectClean('the deployment statuses', statuses.join('\n'), '"failure"');
    expectClean(
      'every request Glimpse sent to GitHub',
      harness.github.requests.map((r) => JSON.stringify(r.body ?? '')).join('\n'),
      'PROBE_',
    );
  });

  it('keeps them out of the logs API, its event stream, MCP and the CLI', async () => {
    const text = await (await api('/environments/pr-probe-1/logs?tailLines=1000')).text();
    expectClean('the logs API', text, 'PROBE_END');

    const abort = new AbortController();
    const stream = await fetch(
      `${harness.url}/api/v1/environments/pr-probe-1/logs?follow=true&tailLines=1000`,
      {
        headers: { authorization: `Bearer ${token}` },
        signal: abort.signal,
      },
    );
    let events = '';
    const decoder = new TextDecoder();
    for await (const chunk of stream.body ?? []) {
      events += decoder.decode(chunk as Uint8Array, { stream: true });
      if (events.includes('listening on')) break;
    }
    abort.abort();
    expectClean('the followed logs', events, 'PROBE_END');

    const client = new Client({ name: 'probe', version: '1' });
    await client.connect(
      new StreamableHTTPClientTransport(new URL(`${harness.url}/api/mcp`), {
        requestInit: { headers: { authorization: `Bearer ${token}` } },
      }),
    );
    try {
      const result = await client.callTool({
        name: 'get_preview_logs',
        arguments: { namespace: 'pr-probe-1', tailLines: 1000 },
      });
      expectClean('MCP get_preview_logs', JSON.stringify(result), 'PROBE_END');
    } finally {
      await client.close();
    }

    const logs = await cli({ GLIMPSE_URL: harness.url, GLIMPSE_TOKEN: token }, 'env', 'logs', 'pr-probe-1');
    expect(logs.exitCode).toBe(0);
    expectClean('glimpse env logs', logs.stdout, 'PROBE_END');
  });

  it('keeps them out of the environment’s error, its deployments and the failed preview’s page', async () => {
    for (const number of [2, 3]) {
      const detail = await (await api(`/environments/pr-probe-${number}`)).text();
      expectClean(`the API's environment ${number}`, detail, 'exit');
      const shown = await cli(
        { GLIMPSE_URL: harness.url, GLIMPSE_TOKEN: token },
        'env',
        'show',
        `pr-probe-${number}`,
        '--json',
      );
      expectClean(`glimpse env show ${number}`, shown.stdout, 'exit');
      const page = await getPreview(harness.runtime as LocalRuntime, `pr-probe-${number}`);
      expectClean(`the page of preview ${number}`, page.body, 'This preview failed');
    }
  });
});
