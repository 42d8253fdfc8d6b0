import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from '../../src/db/drizzle-orm.ts';
import { queryRows } from '../../src/db/query-rows.ts';
import { cli } from '../support/cli.ts';
import { connectMcpClient } from '../support/mcp-client.ts';
import { type PreviewWorld, seedPreviewWorld } from '../support/seed-previews.ts';
import { type ApiServer, startApiServer } from '../support/start-api-server.ts';
import { databaseTargets } from '../support/test-database.ts';

type Actor = keyof PreviewWorld['tokens'];
type Target = 'running' | 'failed' | 'foreign';
type Op =
  | { kind: 'list' }
  | { kind: 'get' | 'logs' | 'retry' | 'redeploy' | 'delete'; target: Target }
  | { kind: 'deploy'; repo: string; pr: number };
type Expected = 'OK' | 'NOT_FOUND' | 'FORBIDDEN' | 'UNAUTHORIZED' | 'CONFLICT';

interface Case {
  actor: Actor;
  op: Op;
  expected: Expected;
  /** For lists: the namespaces the actor sees. */
  sees?: Target[];
}

const env = (kind: 'get' | 'logs' | 'retry' | 'redeploy' | 'delete', target: Target): Op => ({
  kind,
  target,
});

/** One table, run through REST, MCP and the CLI: each must give the same outcome. */
const cases: Case[] = [
  { actor: 'outsider', op: { kind: 'list' }, expected: 'OK', sees: ['foreign'] },
  { actor: 'outsider', op: env('get', 'running'), expected: 'NOT_FOUND' },
  { actor: 'outsider', op: env('logs', 'running'), expected: 'NOT_FOUND' },
  { actor: 'outsider', op: env('retry', 'failed'), expected: 'NOT_FOUND' },
  { actor: 'outsider', op: env('redeploy', 'running'), expected: 'NOT_FOUND' },
  { actor: 'outsider', op: env('delete', 'running'), expected: 'NOT_FOUND' },
  { actor: 'outsider', op: { kind: 'deploy', repo: 'acme/web', pr: 1 }, expected: 'NOT_FOUND' },
  { actor: 'member', op: { kind: 'list' }, expected: 'OK', sees: ['failed', 'running'] },
  { actor: 'member', op: env('get', 'running'), expected: 'OK' },
  { actor: 'member', op: env('get', 'foreign'), expected: 'NOT_FOUND' },
  { actor: 'member', op: env('logs', 'running'), expected: 'OK' },
  { actor: 'member', op: env('retry', 'failed'), expected: 'OK' },
  { actor: 'member', op: env('retry', 'running'), expected: 'CONFLICT' },
  { actor: 'member', op: env('redeploy', 'running'), expected: 'OK' },
  { actor: 'member', op: env('delete', 'running'), expected: 'FORBIDDEN' },
  { actor: 'member', op: { kind: 'deploy', repo: 'acme/web', pr: 1 }, expected: 'OK' },
  { actor: 'teamAdmin', op: env('delete', 'running'), expected: 'OK' },
  { actor: 'teamAdmin', op: env('delete', 'foreign'), expected: 'NOT_FOUND' },
  { actor: 'glimpseAdmin', op: { kind: 'list' }, expected: 'OK', sees: ['foreign', 'failed', 'running'] },
  { actor: 'glimpseAdmin', op: env('get', 'foreign'), expected: 'OK' },
  { actor: 'glimpseAdmin', op: env('delete', 'foreign'), expected: 'OK' },
  { actor: 'glimpseAdmin', op: env('retry', 'failed'), expected: 'OK' },
  { actor: 'revoked', op: { kind: 'list' }, expected: 'UNAUTHORIZED' },
  { actor: 'revoked', op: env('get', 'running'), expected: 'UNAUTHORIZED' },
];

interface Outcome {
  code: Expected | 'INVALID_INPUT' | 'SERVER_ERROR';
  message: string | undefined;
  /** Namespaces of a list, or the environment's namespace. */
  namespaces: string[];
}

const MCP_CODE: Record<Expected, string> = {
  OK: 'OK',
  NOT_FOUND: 'NOT_FOUND',
  FORBIDDEN: 'UNAUTHORIZED',
  UNAUTHORIZED: 'UNAUTHORIZED',
  CONFLICT: 'INVALID_INPUT',
};

describe.each(databaseTargets())('the authorization matrix on %s', (target) => {
  let server: ApiServer;
  let world: PreviewWorld;
  const ns = (t: Target) => world[t].namespace;

  beforeAll(async () => {
    server = await startApiServer(target);
    world = await seedPreviewWorld(server.db);
    server.runtime.push(world.running.namespace, {
      time: new Date('2026-11-22T01:00:00Z'),
      source: 'web',
      text: 'listening on 3000',
    });
  });
  afterAll(() => server.close());

  /** Every case starts from the seeded state. */
  async function reset() {
    await server.db.execute(sql`update environments set desired_state = 'active', generation = 1`);
    await server.db.execute(sql`update environments set phase = 'failed' where id = ${world.failed.id}`);
  }

  const STATUS: Record<number, Expected> = {
    200: 'OK',
    202: 'OK',
    401: 'UNAUTHORIZED',
    403: 'FORBIDDEN',
    404: 'NOT_FOUND',
    409: 'CONFLICT',
  };

  async function viaRest(token: string, op: Op): Promise<Outcome> {
    const [method, path] =
      op.kind === 'list'
        ? ['GET', '/environments']
        : op.kind === 'deploy'
          ? ['POST', `/repos/${op.repo}/pulls/${op.pr}/deploy`]
          : op.kind === 'get'
            ? ['GET', `/environments/${ns(op.target)}`]
            : op.kind === 'logs'
              ? ['GET', `/environments/${ns(op.target)}/logs`]
              : op.kind === 'delete'
                ? ['DELETE', `/environments/${ns(op.target)}`]
                : ['POST', `/environments/${ns(op.target)}/${op.kind}`];
    const response = await server.fetch(`${server.url}/api/v1${path}`, {
      method,
      headers: { authorization: `Bearer ${token}` },
    });
    const code = STATUS[response.status] ?? 'SERVER_ERROR';
    const text = await response.text();
    if (code !== 'OK')
      return {
        code,
        message: (JSON.parse(text) as { error: { message: string } }).error.message,
        namespaces: [],
      };
    if (op.kind === 'logs') return { code, message: undefined, namespaces: [], ...{ logs: text } };
    const body = JSON.parse(text) as {
      items?: { namespace: string }[];
      namespace?: string;
      environment?: { namespace: string };
    };
    return { code, message: undefined, namespaces: namespacesOf(body) };
  }

  async function viaMcp(token: string, op: Op): Promise<Outcome> {
    const transport = new StreamableHTTPClientTransport(new URL(`${server.url}/api/mcp`), {
      requestInit: { headers: { authorization: `Bearer ${token}` } },
    });
    let client: Client;
    try {
      client = await connectMcpClient(transport, 'matrix');
    } catch (error) {
      expect((error as { code?: number }).code).toBe(401);
      return { code: 'UNAUTHORIZED', message: undefined, namespaces: [] };
    }
    try {
      const [name, args] =
        op.kind === 'list'
          ? ['list_preview_environments', {}]
          : op.kind === 'deploy'
            ? ['deploy_preview_environment', { repoFullName: op.repo, prNumber: op.pr }]
            : [
                {
                  get: 'get_preview_environment',
                  logs: 'get_preview_logs',
                  retry: 'retry_preview_deployment',
                  redeploy: 'redeploy_preview_environment',
                  delete: 'delete_preview_environment',
                }[op.kind],
                { namespace: ns(op.target) },
              ];
      const result = await client.callTool({ name, arguments: args });
      if (result.isError) {
        const text = (result.content as { text: string }[])[0]?.text ?? '';
        const [code = '', ...rest] = text.split(': ');
        expect(result._meta?.code).toBe(code);
        return { code: code as Outcome['code'], message: rest.join(': '), namespaces: [] };
      }
      return { code: 'OK', message: undefined, namespaces: namespacesOf(result.structuredContent as object) };
    } finally {
      await client.close();
    }
  }

  async function viaCli(
    token: string,
    op: Op,
  ): Promise<{ exitCode: number; stdout: string; stderr: string }> {
    const flags = ['--server', server.url, '--token', token];
    const argv =
      op.kind === 'list'
        ? ['env', 'ls', '--json', ...flags]
        : op.kind === 'deploy'
          ? ['env', 'deploy', op.repo, String(op.pr), '--json', ...flags]
          : op.kind === 'get'
            ? ['env', 'show', ns(op.target), '--json', ...flags]
            : op.kind === 'logs'
              ? ['env', 'logs', ns(op.target), ...flags]
              : ['env', op.kind, ns(op.target), '--json', ...flags];
    return cli({}, ...argv);
  }

  function namespacesOf(body: object): string[] {
    const b = body as {
      items?: { namespace: string }[];
      namespace?: string;
      environment?: { namespace: string };
    };
    if (b.items) return b.items.map((i) => i.namespace);
    if (b.environment) return [b.environment.namespace];
    return b.namespace ? [b.namespace] : [];
  }

  it.each(
    cases.map(
      (c) =>
        [`${c.actor} ${c.op.kind}${'target' in c.op ? ` ${c.op.target}` : ''} -> ${c.expected}`, c] as const,
    ),
  )('%s, identically over REST, MCP and the CLI', async (_name, c) => {
    const token = world.tokens[c.actor];
    await reset();
    const rest = await viaRest(token, c.op);
    await reset();
    const mcp = await viaMcp(token, c.op);
    await reset();
    const cliResult = await viaCli(token, c.op);

    expect(rest.code).toBe(c.expected);
    expect(mcp.code).toBe(MCP_CODE[c.expected]);
    if (c.expected === 'OK') {
      expect(cliResult).toMatchObject({ exitCode: 0, stderr: '' });
      if (c.op.kind === 'logs') {
        expect(cliResult.stdout).toBe('2026-11-22T01:00:00.000Z [web] listening on 3000\n');
      } else {
        const fromCli = namespacesOf(JSON.parse(cliResult.stdout) as object);
        expect(fromCli).toEqual(rest.namespaces);
        expect(mcp.namespaces).toEqual(rest.namespaces);
      }
      if (c.sees) expect([...rest.namespaces].sort()).toEqual(c.sees.map(ns).sort());
    } else {
      expect(cliResult.exitCode).toBe(1);
      if (c.expected !== 'UNAUTHORIZED') expect(mcp.message).toBe(rest.message);
      expect(cliResult.stderr).toBe(`Error: ${rest.message}\n`);
    }
  });

  it('records every mutation attempt in the audit log, refused ones included', async () => {
    const rows = await queryRows<{ actor: string; action: string; outcome: string; n: number }>(
      server.db,
      sql`select actor, action, outcome, cast(count(*) as int) as n from audit_events group by 1, 2, 3 order by 1, 2, 3`,
    );
    // three transports per case
    expect(rows).toEqual(
      expect.arrayContaining([
        { actor: 'olive', action: 'delete', outcome: 'not_found', n: 3 },
        { actor: 'olive', action: 'retry', outcome: 'not_found', n: 3 },
        { actor: 'olive', action: 'deploy', outcome: 'not_found', n: 3 },
        { actor: 'mia', action: 'delete', outcome: 'denied', n: 3 },
        { actor: 'mia', action: 'retry', outcome: 'ok', n: 3 },
        { actor: 'mia', action: 'retry', outcome: 'conflict', n: 3 },
        { actor: 'mia', action: 'deploy', outcome: 'ok', n: 3 },
        { actor: 'ada', action: 'delete', outcome: 'ok', n: 3 },
        { actor: 'root', action: 'delete', outcome: 'ok', n: 3 },
      ]),
    );
    const hidden = await queryRows<{ environment_id: string | null }>(
      server.db,
      sql`select environment_id from audit_events where actor = 'olive' and action = 'delete'`,
    );
    expect(hidden.map((r) => r.environment_id)).toEqual([
      world.running.id,
      world.running.id,
      world.running.id,
    ]);
  });
});
