import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import type { Command } from 'commander';
import { createMcpServer } from '../../mcp/create-mcp-server.ts';
import type { CliIo } from '../cli-io.ts';
import { requireServer, type ServerFlags } from '../server-target.ts';

/**
 * `glimpse mcp`: the MCP tools over stdio for a local agent, acting through the REST API of the server in
 * GLIMPSE_URL with GLIMPSE_TOKEN. Stdout carries the protocol; nothing else is printed there.
 */
export function registerMcpCommand(program: Command, io: CliIo): void {
  program
    .command('mcp')
    .description('serve the Glimpse MCP tools over stdio (uses GLIMPSE_URL and GLIMPSE_TOKEN)')
    .option('--server <url>', 'the Glimpse server (default: GLIMPSE_URL)')
    .option('--token <token>', 'API token (default: GLIMPSE_TOKEN)')
    .action(async (flags: ServerFlags) => {
      const server = createMcpServer(requireServer(io, flags, 'mcp'));
      const transport = new StdioServerTransport();
      const closed = new Promise<void>((resolve) => {
        transport.onclose = resolve;
        process.stdin.once('end', () => void transport.close());
      });
      await server.connect(transport);
      await closed;
    });
}
