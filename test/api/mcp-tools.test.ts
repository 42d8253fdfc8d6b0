import { fileURLToPath } from 'node:url';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from '../../src/db/drizzle-orm.ts';
import { deployments } from '../../src/db/schema.ts';
import { connectMcpClient } from '../support/mcp-client.ts';
import { type PreviewWorld, seedPreviewWorld } from '../support/seed-previews.ts';
import { type ApiServer, startApiServer } from '../support/start-api-server.ts';

const MAIN = fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url));

const TOOLS = {
  list_preview_environments: { readOnlyHint: true, destructiveHint: false, idempotentHint: true },
  get_preview_environment: { readOnlyHint: true, destructiveHint: false, idempotentHint: true },
  get_preview_logs: { readOnlyHint: true, destructiveHint: false, idempotentHint: true },
  get_preview_events: { readOnlyHint: true, destructiveHint: false, idempotentHint: true },
  explain_pull_request: { readOnlyHint: true, destructiveHint: false, idempotentHint: true },
  retry_preview_deployment: { readOnlyHint: false, destructiveHint: false, idempotentHint: false },
  redeploy_preview_environment: { readOnlyHint: false, destructiveHint: false, idempotentHint: false },
  delete_preview_environment: { readOnlyHint: false, destructiveHint: true, idempotentHint: true },
  deploy_preview_environment: { readOnlyHint: false, destructiveHint: false, idempotentHint: true },
  get_current_user: { readOnlyHint: true, destructiveHint: false, idempotentHint: true },
};

describe('the MCP server, through the official client', () => {
  let server: ApiServer;
  let world: PreviewWorld;

  beforeAll(async () => {
    server = await startApiServer('pglite');
    world = await seedPreviewWorld(server.db);
    await server.db.insert(deployments).values({
      environmentId: world.failed.id,
      commitSha: 'f'.repeat(40),
      generation: 1,
      trigger: 'webhook',
      status: 'failed',
      githubDeploymentId: 4711,
      error: 'npm ERR! missing script',
    });
    server.runtime.push(world.failed.namespace, {
      time: new Date('2026-11-22T01:00:00Z'),
      source: 'build',
      text: 'npm ERR! missing script',
    });
  });
  afterAll(() => server.close());

  const transports: Record<string, (token: string) => Transport> = {
    'Streamable HTTP': (token) =>
      new StreamableHTTPClientTransport(new URL(`${server.url}/api/mcp`), {
        requestInit: { headers: { authorization: `Bearer ${token}` } },
      }),
    'stdio (glimpse mcp)': (token) =>
      new StdioClientTransport({
        command: process.execPath,
        args: [MAIN, 'mcp'],
        env: { PATH: process.env.PATH ?? '', GLIMPSE_URL: server.url, GLIMPSE_TOKEN: token },
        stderr: 'pipe',
      }),
  };

  describe.each(Object.keys(transports))('over %s', (name) => {
    let client: Client;
    beforeAll(async () => {
      await server.db.execute(sql`update environments set desired_state = 'active'`);
      client = await connectMcpClient(
        (transports[name] as (token: string) => Transport)(world.tokens.teamAdmin),
      );
    });
    afterAll(() => client.close());

    it('lists every tool with a description, schemas and hints', async () => {
      const { tools } = await client.listTools();
      expect(tools.map((t) => t.name).sort()).toEqual(Object.keys(TOOLS).sort());
      for (const tool of tools) {
        expect(tool.description?.length, tool.name).toBeGreaterThan(40);
        expect(tool.inputSchema.type).toBe('object');
        expect(tool.outputSchema?.type).toBe('object');
        expect(tool.annotations).toMatchObject(TOOLS[tool.name as keyof typeof TOOLS]);
      }
      const logs = tools.find((t) => t.name === 'get_preview_logs');
      expect(logs?.inputSchema.properties).toMatchObject({
        tailLines: { default: 500, minimum: 1, maximum: 10000 },
        timestamps: { default: true },
      });
    });

    it('calls every tool', async () => {
      const call = async (tool: string, args: Record<string, unknown>) => {
        const result = await client.callTool({ name: tool, arguments: args });
        expect(result.isError, `${tool}: ${JSON.stringify(result.content)}`).toBeFalsy();
        return result.structuredContent as Record<string, unknown>;
      };
      expect(await call('get_current_user', {})).toEqual({
        login: 'ada',
        isAdmin: false,
        teams: [{ slug: 'acme', name: 'acme', role: 'admin' }],
      });
      const list = await call('list_preview_environments', { repoFullName: 'acme/web', status: 'failed' });
      expect((list.items as { namespace: string }[]).map((e) => e.namespace)).toEqual([
        world.failed.namespace,
      ]);
      // The SDK client checks this against the tool's outputSchema, which names every field a deployment has.
      expect(await call('get_preview_environment', { id: world.failed.id })).toMatchObject({
        namespace: world.failed.namespace,
        deployments: [
          {
            commitSha: 'f'.repeat(40),
            attempt: 1,
            status: 'failed',
            trigger: 'webhook',
            actor: null,
            error: 'npm ERR! missing script',
          },
        ],
      });
      expect(await call('get_preview_logs', { namespace: world.failed.namespace })).toEqual({
        logs: '2026-11-22T01:00:00.000Z [build] npm ERR! missing script\n',
        lineCount: 1,
      });
      expect(
        await call('get_preview_logs', { namespace: world.failed.namespace, timestamps: false }),
      ).toMatchObject({
        logs: '[build] npm ERR! missing script\n',
      });
      expect(await call('retry_preview_deployment', { namespace: world.failed.namespace })).toMatchObject({
        accepted: true,
        action: 'retry',
      });
      expect(await call('redeploy_preview_environment', { id: world.running.id })).toMatchObject({
        action: 'redeploy',
      });
      expect(
        await call('deploy_preview_environment', { repoFullName: 'acme/web', prNumber: 1 }),
      ).toMatchObject({ action: 'deploy' });
      expect(await call('delete_preview_environment', { namespace: world.running.namespace })).toMatchObject({
        action: 'delete',
      });
    });

    it('answers bad input and missing things with an error code and a message to act on', async () => {
      const errorOf = async (tool: string, args: Record<string, unknown>) => {
        const result = await client.callTool({ name: tool, arguments: args });
        expect(result.isError).toBe(true);
        return (result.content as { text: string }[])[0]?.text;
      };
      expect(await errorOf('get_preview_environment', {})).toBe(
        'INVALID_INPUT: Give exactly one of id or namespace (list_preview_environments shows both).',
      );
      expect(await errorOf('get_preview_environment', { id: world.running.id, namespace: 'x' })).toMatch(
        /^INVALID_INPUT: Give exactly one/,
      );
      expect(await errorOf('get_preview_logs', { namespace: world.failed.namespace, tailLines: 0 })).toMatch(
        /^INVALID_INPUT: .*tailLines/,
      );
      expect(await errorOf('get_preview_environment', { namespace: 'pr-nothing-1' })).toMatch(
        /^NOT_FOUND: No environment "pr-nothing-1"/,
      );
      expect(await errorOf('retry_preview_deployment', { namespace: world.running.namespace })).toBe(
        'INVALID_INPUT: Environment is not in a failed state',
      );
      expect(
        await errorOf('deploy_preview_environment', { repoFullName: 'acme/web', prNumber: 99_999_999_999 }),
      ).toMatch(/^INVALID_INPUT: .*prNumber/);
      expect(await errorOf('list_preview_environments', { query: 'a\u0000b' })).toMatch(
        /^INVALID_INPUT: .*q: must not contain control characters/,
      );
    });
  });

  it('stdio refuses to start without a server and token, saying what to set', async () => {
    const client = new Client({ name: 'test', version: '1' });
    const transport = new StdioClientTransport({
      command: process.execPath,
      args: [MAIN, 'mcp'],
      env: { PATH: process.env.PATH ?? '' },
      stderr: 'pipe',
    });
    let stderr = '';
    transport.stderr?.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    await expect(client.connect(transport)).rejects.toThrow();
    await expect.poll(() => stderr).toContain('set GLIMPSE_URL and GLIMPSE_TOKEN');
  });
});
