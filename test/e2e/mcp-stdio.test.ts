import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const bin = join(import.meta.dirname, '../../bin/keel.js');

/** `npx keel mcp` as Claude Desktop or Cursor start it: a child process spoken to over stdio. */
describe('keel mcp over stdio, with the MCP SDK client', () => {
  let client: Client;

  beforeAll(async () => {
    const env = Object.fromEntries(
      Object.entries(process.env).filter(
        (entry): entry is [string, string] => entry[1] !== undefined,
      ),
    );
    client = new Client({ name: 'keel-stdio-test', version: '1.0.0' });
    await client.connect(
      new StdioClientTransport({
        command: process.execPath,
        args: [bin, 'mcp'],
        env: {
          ...env,
          KEEL_DATA_DIR: join(mkdtempSync(join(tmpdir(), 'keel-mcp-')), 'data'),
          KEEL_LOG_LEVEL: 'silent',
        },
        stderr: 'ignore',
      }),
    );
  }, 60_000);
  afterAll(() => client?.close());

  it('lists the tools and answers a cited question from the bundled docs', async () => {
    const { tools } = await client.listTools();
    expect(tools.map((tool) => tool.name).sort()).toEqual([
      'ask',
      'list_sources',
      'search_knowledge',
    ]);
    const result = (await client.callTool({
      name: 'ask',
      arguments: { question: 'How do I roll back a policy?' },
    })) as { isError?: boolean; content: { text: string }[] };
    expect(result.isError).toBeFalsy();
    expect(result.content[0]?.text).toMatch(/rollback/i);
    expect(result.content[0]?.text).toMatch(/\[1\] policies\.md#.* @ [0-9a-f]{12}/);
  });

  it('reads a bundled document as a resource', async () => {
    const { resources } = await client.listResources();
    const readme = resources.find((resource) => resource.name === 'keel-docs/README.md');
    expect(readme).toBeDefined();
    const { contents } = await client.readResource({ uri: readme!.uri });
    expect((contents[0] as { text: string }).text.length).toBeGreaterThan(100);
  });
});
