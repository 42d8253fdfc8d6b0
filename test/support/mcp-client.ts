import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';

/**
 * The official MCP client, connected and with the tool list read: the SDK then checks every tool result's
 * structured content against the tool's `outputSchema` (as the MCP Inspector does), so a test cannot pass on
 * a result a real client rejects.
 */
export async function connectMcpClient(transport: Transport, name = 'glimpse-test'): Promise<Client> {
  const client = new Client({ name, version: '1' });
  await client.connect(transport);
  const { tools } = await client.listTools();
  if (tools.some((tool) => tool.outputSchema === undefined))
    throw new Error('every Glimpse tool declares an outputSchema');
  return client;
}
