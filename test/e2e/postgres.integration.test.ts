import { execFile } from 'node:child_process';
import { type Server, type Socket, createServer, connect } from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FakeServer } from '../fixtures/providers/fake-server.js';
import { startOpenAiServer } from '../fixtures/providers/openai-server.js';
import { type TestDatabase, createTestDatabase } from '../helpers/postgres-database.js';
import { createTestKeel } from '../helpers/test-keel.js';

const run = promisify(execFile);
const bin = join(import.meta.dirname, '../../bin/keel.js');

/**
 * A TCP relay in front of PostgreSQL: `cut()` closes every relayed connection and refuses new
 * ones, which is what a Keel process sees when the database host goes away.
 */
async function startRelay(target: URL): Promise<{ port: number; cut(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((client) => {
    const upstream = connect(Number(target.port || 5432), target.hostname);
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
      socket.on('error', () => {});
    }
    client.pipe(upstream).pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as { port: number }).port,
    async cut() {
      const closed = new Promise((resolve) => server.close(resolve));
      for (const socket of sockets) socket.destroy();
      await closed;
    },
  };
}

describe('Keel on PostgreSQL (DATABASE_URL), end to end', () => {
  let database: TestDatabase;
  let keel: Awaited<ReturnType<typeof createTestKeel>>;

  // What a user gets from DATABASE_URL alone: no keys, so extractive answers over lexical search.
  beforeAll(async () => {
    database = await createTestDatabase();
    keel = await createTestKeel({
      DATABASE_URL: database.url,
      KEEL_LLM: 'extractive',
      KEEL_EMBEDDINGS: 'none',
    });
  }, 120_000);
  afterAll(async () => {
    await keel?.close();
    await database?.drop();
  });

  it('syncs the bundled knowledge into PostgreSQL and answers with a citation', async () => {
    expect(keel.keel.store.dialect).toBe('postgres');
    const response = await keel.app.inject({
      method: 'POST',
      url: '/v1/chat',
      payload: { message: 'How do I roll back a policy?' },
    });
    expect(response.statusCode).toBe(200);
    const answer = response.json();
    expect(answer.decision.status).toBe('allowed');
    expect(answer.citations[0]).toMatchObject({
      path: 'policies.md',
      heading: expect.stringMatching(/roll/i),
      version: expect.stringMatching(/^[0-9a-f]{12}$/),
    });
  });

  it('searches the knowledge base over HTTP', async () => {
    const response = await keel.app.inject({
      method: 'GET',
      url: '/v1/kb/search?q=roll%20back%20a%20policy&k=5',
    });
    expect(response.statusCode).toBe(200);
    const { hits } = response.json();
    expect(hits).toHaveLength(5);
    expect(hits[0]).toMatchObject({ path: 'policies.md', source: 'keel-docs' });
  });

  it('embeds the knowledge into pgvector and fuses it into search when embeddings are on', async () => {
    const embeddings: FakeServer = await startOpenAiServer();
    const url = await database.freshSchemaUrl();
    const hybrid = await createTestKeel({
      DATABASE_URL: url,
      KEEL_EMBEDDINGS: 'openai',
      OPENAI_API_KEY: 'sk-test',
      OPENAI_BASE_URL: `${embeddings.url}/v1`,
    });
    try {
      expect(await count(url, 'select count(*) as n from chunk_vectors')).toBe(
        await count(url, 'select count(*) as n from chunks'),
      );
      const response = await hybrid.app.inject({ method: 'GET', url: '/v1/kb/search?q=rollback' });
      const { hits } = response.json();
      expect(hits.length).toBeGreaterThan(0);
      expect(
        hits.every((hit: { scores: { fused: number | null } }) => hit.scores.fused !== null),
      ).toBe(true);
      expect(
        hits.some((hit: { scores: { vector: number | null } }) => hit.scores.vector !== null),
      ).toBe(true);
    } finally {
      await hybrid.close();
      await embeddings.close();
    }
  });

  it('runs `keel migrate` on an empty PostgreSQL schema without printing credentials', async () => {
    const url = new URL(await database.freshSchemaUrl());
    url.username = 'postgres';
    url.password = 'not-needed-with-trust';
    const { stdout } = await run(process.execPath, [bin, 'migrate'], {
      env: { ...process.env, DATABASE_URL: url.href, KEEL_LOG_LEVEL: 'silent' },
      timeout: 60_000,
    });
    expect(stdout).toContain(`Database is up to date (postgres, postgres://127.0.0.1:`);
    expect(stdout).not.toContain('not-needed-with-trust');
    const applied = "select count(*) as n from kysely_migration where name = '0005-vectors'";
    expect(await count(url.href, applied)).toBe(1);
  });

  it('reports the database down on /health/ready when PostgreSQL goes away', async () => {
    const relay = await startRelay(new URL(database.url));
    const url = new URL(database.url);
    url.port = String(relay.port);
    const cut = await createTestKeel({ DATABASE_URL: url.href }, { bundled: false });
    try {
      const ready = await cut.app.inject({ method: 'GET', url: '/health/ready' });
      expect(ready.statusCode).toBe(200);
      await relay.cut();
      const down = await cut.app.inject({ method: 'GET', url: '/health/ready' });
      expect(down.statusCode).toBe(503);
      expect(down.json()).toMatchObject({ status: 'unavailable' });
      expect(down.json().checks.database).toMatch(/^failed/);
    } finally {
      await cut.close();
    }
  });
});

async function count(url: string, statement: string): Promise<number> {
  const { default: pg } = await import('pg');
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const result = await client.query<{ n: string }>(statement);
    return Number(result.rows[0]?.n ?? 0);
  } finally {
    await client.end();
  }
}
