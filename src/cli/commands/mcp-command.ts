import type { Command } from 'commander';
import type { CliIo } from '../cli-io.ts';
import { requireServer, type ServerFlags } from '../server-target.ts';

/**
 * `glimpse mcp`: the MCP tools over stdio for a local agent, acting through the REST API of the server in
 * GLIMPSE_URL with GLIMPSE_TOKEN. Stdout carries the protocol; nothing else is printed there. The MCP SDK is
 * loaded only when this command runs, so other commands (`serve` above all) do not hold it in memory.
 */
export function registerMcpCommand(program: Command, io: CliIo): void {
  program
    .command('mcp')
    .description('serve the Glimpse MCP tools over stdio (uses GLIMPSE_URL and GLIMPSE_TOKEN)')
    .option('--server <url>', 'the Glimpse server (default: GLIMPSE_URL)')
    .option('--token <token>', 'API token (default: GLIMPSE_TOKEN)')
    .action(async (flags: ServerFlags) => {
      const [{ StdioServerTransport }, { createMcpServer }] = await Promise.all([
        import('@modelcontextprotocol/sdk/server/stdio.js'),
        import('../../mcp/create-mcp-server.ts'),
      ]);
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
