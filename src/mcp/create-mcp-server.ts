import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import {
  CallToolRequestSchema,
  type CallToolResult,
  ListToolsRequestSchema,
  type Tool,
} from '@modelcontextprotocol/sdk/types.js';
import { z } from 'zod';
import { DomainError, NotFound } from '../domain/errors.ts';
import { parseInput } from '../services/parse-input.ts';
import type { PreviewOperations } from '../services/preview-operations.ts';
import { GLIMPSE_VERSION } from '../version.ts';
import { previewTools } from './preview-tools.ts';
import { toolError } from './tool-error.ts';

function objectSchema(schema: z.ZodType, io: 'input' | 'output'): Tool['inputSchema'] {
  const { $schema: _ignored, ...rest } = z.toJSONSchema(schema, { io }) as Record<string, unknown>;
  return { ...rest, type: 'object' };
}

const tools: Tool[] = previewTools.map((t) => ({
  name: t.name,
  description: t.description,
  inputSchema: objectSchema(t.input, 'input'),
  outputSchema: objectSchema(t.output, 'output'),
  annotations: t.annotations,
}));

/**
 * The Glimpse MCP server over one PreviewOperations (the services for one principal, or the REST client).
 * Inputs are parsed here with the tools' zod schemas, so every failure, bad input included, goes through
 * `toolError`.
 */
export function createMcpServer(
  operations: PreviewOperations,
  options: { onUnexpectedError?: (error: unknown) => void } = {},
): Server {
  const server = new Server(
    { name: 'glimpse', version: GLIMPSE_VERSION },
    {
      capabilities: { tools: {} },
      instructions:
        'Glimpse runs a preview environment per GitHub pull request. List environments first, then read, retry, redeploy, deploy or delete them by id or namespace.',
    },
  );
  server.setRequestHandler(ListToolsRequestSchema, async () => ({ tools }));
  server.setRequestHandler(CallToolRequestSchema, async (request): Promise<CallToolResult> => {
    try {
      const spec = previewTools.find((t) => t.name === request.params.name);
      if (spec === undefined)
        throw new NotFound(`No tool "${request.params.name}": list the tools to see what Glimpse offers.`);
      const input = parseInput(spec.input, request.params.arguments ?? {}, `arguments of ${spec.name}`);
      const output = await spec.run(operations, input);
      return {
        content: [{ type: 'text', text: JSON.stringify(output, null, 2) }],
        structuredContent: output,
      };
    } catch (error) {
      if (!(error instanceof DomainError)) options.onUnexpectedError?.(error);
      return toolError(error);
    }
  });
  return server;
}
