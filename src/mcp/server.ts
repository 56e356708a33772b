import { randomUUID } from 'node:crypto';
import { McpServer, ResourceTemplate } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { z } from 'zod';
import { actorOf } from '../auth/actor.js';
import { type Principal, type Scope, assertScope } from '../auth/principal.js';
import { isKeelError } from '../errors.js';
import { citationLabel } from '../governor/prompt.js';
import { workspaceSourceIds } from '../kb/sources.js';
import { type GovernedCallServices, governedCall } from '../limits/governed-call.js';
import { type SearchService, hitView } from '../search/search-service.js';
import type { KnowledgeStore } from '../store/store.js';

/** What the MCP server uses: governed answers, search, and the knowledge sources it lists. */
export interface McpServices extends GovernedCallServices {
  search: Pick<SearchService, 'search'>;
  store: KnowledgeStore;
}

const DOCUMENT_TEMPLATE = 'keel://documents/{sourceId}/{path}';
/** Enough for a resource picker; a larger knowledge base is reached through search. */
const MAX_LISTED_DOCUMENTS = 500;

export function documentUri(sourceId: string, path: string): string {
  return `keel://documents/${encodeURIComponent(sourceId)}/${encodeURIComponent(path)}`;
}

/** A refusal or failure as a tool result the model can read, never a protocol error. */
function toolError(error: unknown): CallToolResult {
  if (!isKeelError(error)) throw error;
  return {
    isError: true,
    content: [{ type: 'text', text: `${error.code}: ${error.message}` }],
    structuredContent: { error: { code: error.code, message: error.message } },
  };
}

async function guarded(
  principal: Principal,
  scope: Scope,
  run: () => Promise<CallToolResult>,
): Promise<CallToolResult> {
  try {
    assertScope(principal, scope);
    return await run();
  } catch (error) {
    return toolError(error);
  }
}

/**
 * Keel as an MCP server for one caller: tools `search_knowledge`, `ask` (governed, cited) and
 * `list_sources`, and the workspace's documents as resources. Every tool checks the caller's
 * API-key scopes as the HTTP routes do (`kb:read`, `chat`); `ask` is governed and metered
 * exactly as `POST /v1/chat`.
 *
 * @example
 *   const server = createMcpServer(keel, principal);
 *   await server.connect(new StdioServerTransport());
 */
export function createMcpServer(keel: McpServices, principal: Principal): McpServer {
  const server = new McpServer(
    { name: 'keel', version: '0.1.0' },
    { instructions: 'Answers from a governed, versioned knowledge base; every answer is cited.' },
  );

  server.registerTool(
    'search_knowledge',
    {
      title: 'Search the knowledge base',
      description:
        'Hybrid (lexical + vector) search over the knowledge sources of your workspace; each hit names its path, heading, lines and version.',
      inputSchema: {
        query: z.string().min(1).max(2000),
        k: z.number().int().min(1).max(50).optional(),
      },
      annotations: { readOnlyHint: true },
    },
    async ({ query, k }) =>
      guarded(principal, 'kb:read', async () => {
        const sourceIds = await workspaceSourceIds(keel.store, principal.workspaceId);
        const hits = (await keel.search.search(query, { k: k ?? 5, sourceIds })).map(hitView);
        const text = hits
          .map((hit, index) => `[${index + 1}] ${citationLabel(hit)}\n${hit.text}`)
          .join('\n\n');
        return {
          content: [{ type: 'text', text: text || 'No passage matches.' }],
          structuredContent: { hits },
        };
      }),
  );

  server.registerTool(
    'ask',
    {
      title: 'Ask a governed question',
      description:
        'A cited answer from the knowledge base, under the active policy (input checks, output validation, quota, audit).',
      inputSchema: {
        question: z.string().min(1).max(100_000),
        agent: z.string().min(1).max(64).optional(),
      },
    },
    async ({ question, agent }) =>
      guarded(principal, 'chat', async () => {
        const answer = await governedCall(
          keel,
          principal,
          { message: question, ...(agent && { agent }) },
          { traceId: randomUUID(), actor: `${actorOf(principal)} via mcp` },
        );
        const sources = answer.citations
          .map((citation) => `[${citation.index}] ${citationLabel(citation)}`)
          .join('\n');
        return {
          content: [
            { type: 'text', text: sources ? `${answer.answer}\n\n${sources}` : answer.answer },
          ],
          structuredContent: {
            answer: answer.answer,
            citations: answer.citations,
            decision: answer.decision,
            policy: answer.policy,
            traceId: answer.traceId,
          },
        };
      }),
  );

  server.registerTool(
    'list_sources',
    {
      title: 'List knowledge sources',
      description: 'The knowledge sources of your workspace with their version and last sync.',
      inputSchema: {},
      annotations: { readOnlyHint: true },
    },
    async () =>
      guarded(principal, 'kb:read', async () => {
        const sources = (await keel.store.listSources(principal.workspaceId)).map((source) => ({
          id: source.id,
          name: source.name,
          kind: source.kind,
          version: source.version,
          lastSyncAt: source.lastSyncAt,
          lastSyncStatus: source.lastSyncStatus,
        }));
        const text = sources
          .map((source) => `${source.name} (${source.kind}) @ ${source.version ?? 'never synced'}`)
          .join('\n');
        return {
          content: [{ type: 'text', text: text || 'No knowledge sources.' }],
          structuredContent: { sources },
        };
      }),
  );

  server.registerResource(
    'document',
    new ResourceTemplate(DOCUMENT_TEMPLATE, {
      list: async () => {
        assertScope(principal, 'kb:read');
        const resources = [];
        for (const source of await keel.store.listSources(principal.workspaceId)) {
          for (const path of (await keel.store.documentHashes(source.id)).keys()) {
            if (resources.length >= MAX_LISTED_DOCUMENTS) break;
            resources.push({
              uri: documentUri(source.id, path),
              name: `${source.name}/${path}`,
              mimeType: path.endsWith('.md') ? 'text/markdown' : 'text/plain',
            });
          }
        }
        return { resources };
      },
    }),
    {
      title: 'Knowledge document',
      description: 'One document of a knowledge source, as its chunks in line order.',
    },
    async (uri, variables) => {
      assertScope(principal, 'kb:read');
      const sourceId = decodeURIComponent(String(variables.sourceId));
      const path = decodeURIComponent(String(variables.path));
      const source = await keel.store.getSource(sourceId);
      const chunks =
        source && source.workspaceId === principal.workspaceId
          ? await keel.store.documentChunks(source.id, path)
          : [];
      if (chunks.length === 0) throw new Error(`No document ${uri.href}`);
      return {
        contents: [
          {
            uri: uri.href,
            mimeType: path.endsWith('.md') ? 'text/markdown' : 'text/plain',
            text: chunks.map((chunk) => chunk.text).join('\n\n'),
            _meta: { version: chunks[0]!.version, source: chunks[0]!.sourceName },
          },
        ],
      };
    },
  );

  return server;
}
