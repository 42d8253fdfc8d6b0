import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { PreviewOperations } from '../../services/preview-operations.ts';
import { type AuthenticationDeps, authenticateRequests } from '../authenticate-request.ts';
import { errorBody } from '../error-response.ts';

/**
 * MCP over Streamable HTTP at `/api/mcp`, stateless: each POST gets its own server over the operations of
 * the request's principal (the same bearer tokens as the REST API). GET and DELETE (sessions, server
 * pushes) are not offered: 405. The MCP SDK is loaded with the first request: a server nobody asks over MCP
 * does not hold it in memory (docs/decisions/0011-memory-of-a-busy-server.md).
 */
export function registerMcpRoute(
  http: FastifyInstance,
  auth: AuthenticationDeps,
  operations: (request: FastifyRequest) => PreviewOperations,
): void {
  void http.register(async (scope) => {
    scope.addHook('onRequest', authenticateRequests(auth));
    scope.post('/api/mcp', async (request, reply) => serve(request, reply, operations(request)));
    const notAllowed = async (_request: FastifyRequest, reply: FastifyReply) =>
      reply
        .status(405)
        .header('allow', 'POST')
        .send(errorBody('METHOD_NOT_ALLOWED', 'This MCP endpoint is stateless: send requests with POST.'));
    scope.get('/api/mcp', notAllowed);
    scope.delete('/api/mcp', notAllowed);
  });
}

async function serve(request: FastifyRequest, reply: FastifyReply, operations: PreviewOperations) {
  const [{ StreamableHTTPServerTransport }, { createMcpServer }] = await Promise.all([
    import('@modelcontextprotocol/sdk/server/streamableHttp.js'),
    import('../../mcp/create-mcp-server.ts'),
  ]);
  const server = createMcpServer(operations, {
    onUnexpectedError: (error) => request.log.error({ err: error }, 'MCP tool failed'),
  });
  const transport = new StreamableHTTPServerTransport({
    enableJsonResponse: true,
  });
  reply.hijack();
  reply.raw.on('close', () => {
    void transport.close();
    void server.close();
  });
  await server.connect(transport);
  await transport.handleRequest(request.raw, reply.raw, request.body);
}
