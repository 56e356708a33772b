import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { Command } from 'commander';
import { LOCAL_PRINCIPAL, type Principal } from '../../auth/principal.js';
import { loadConfig } from '../../config/config.js';
import { openKeel, syncBundledKnowledge } from '../../keel.js';
import { createMcpServer } from '../../mcp/server.js';
import { createLogger } from '../../telemetry/logger.js';

/**
 * `keel mcp`: Keel as an MCP server over stdio, for Claude Desktop, Cursor or an agent framework
 * that starts it as a child process. With KEEL_API_KEY it acts as that key (its workspace and
 * scopes); without, as the local operator, who already holds the data folder.
 */
export function mcpCommand(): Command {
  return new Command('mcp').action(async () => {
    // stdout carries the protocol: logs go to stderr only.
    const logger = createLogger(process.env.KEEL_LOG_LEVEL ?? 'warn', process.stderr);
    const keel = await openKeel(loadConfig(), { logger });
    await syncBundledKnowledge(keel);
    const apiKey = process.env.KEEL_API_KEY;
    const principal: Principal = apiKey ? await keel.apiKeys.authenticate(apiKey) : LOCAL_PRINCIPAL;
    const server = createMcpServer(keel, principal);
    const transport = new StdioServerTransport();
    const closed = new Promise<void>((resolve) => {
      transport.onclose = resolve;
      process.stdin.once('end', resolve);
    });
    await server.connect(transport);
    await closed;
    await server.close();
    await keel.close();
  });
}
