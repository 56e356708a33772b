import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { createMcpServer, type McpServices } from '../../mcp/server.js';
import { errorBody } from '../error-handler.js';

/**
 * MCP over Streamable HTTP at `/mcp`, behind the same API-key (or access-token) authentication as
 * every route; each tool checks the key's scopes. Stateless: every POST gets its own server and
 * transport, so any API process can answer any call and nothing is kept between calls.
 */
export const mcpRoutes =
  (services: McpServices): FastifyPluginAsyncZod =>
  async (app) => {
    app.post(
      '/mcp',
      {
        config: { access: { role: 'user', rateLimit: 'chat' } },
        schema: {
          operationId: 'mcp',
          summary:
            'Model Context Protocol (Streamable HTTP): tools search_knowledge, ask, list_sources',
          tags: ['mcp'],
          body: z.unknown().describe('A JSON-RPC request, notification or batch (MCP)'),
          response: {
            200: z
              .object({ jsonrpc: z.literal('2.0') })
              .loose()
              .describe('JSON-RPC response'),
          },
        },
      },
      async (request, reply) => {
        const server = createMcpServer(services, request.principal);
        const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined });
        reply.raw.on('close', () => {
          void transport.close();
          void server.close();
        });
        await server.connect(transport);
        reply.hijack();
        await transport.handleRequest(request.raw, reply.raw, request.body);
      },
    );

    // Stateless: no server-initiated stream to resume and no session to end.
    for (const method of ['GET', 'DELETE'] as const) {
      app.route({
        method,
        url: '/mcp',
        config: { access: { role: 'user' } },
        schema: {
          operationId: `mcp${method === 'GET' ? 'Stream' : 'EndSession'}`,
          tags: ['mcp'],
          hide: true,
        },
        handler: async (_request, reply) =>
          reply
            .status(405)
            .header('allow', 'POST')
            .send(errorBody('method_not_allowed', 'This MCP endpoint is stateless: POST only')),
      });
    }
  };
