import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Store } from '../../src/store/store.js';
import { describeActivityStoreContract } from './activity-store-contract.js';

const chunk = (text: string, heading = 'Doc > Section', lineStart = 1) => ({
  heading,
  lineStart,
  lineEnd: lineStart + 2,
  text,
  tokenCount: Math.ceil(text.length / 4),
});

/**
 * The store port's contract: every adapter (SQLite file, PostgreSQL) must pass it unchanged.
 *
 * @example
 *   describeStoreContract('sqlite', async () => SqliteStore.open(tempFile()));
 */
export function describeStoreContract(name: string, open: () => Promise<Store>): void {
  describe(`store contract: ${name}`, () => {
    let store: Store;
    beforeEach(async () => {
      store = await open();
    });
    afterEach(async () => {
      await store.close();
    });

    it('creates, finds and lists sources; names are unique per workspace', async () => {
      const source = await store.createSource({
        name: 'docs',
        kind: 'folder',
        location: '/tmp/docs',
        config: { exclude: ['drafts'] },
      });
      expect(await store.getSource(source.id)).toMatchObject({
        name: 'docs',
        lastSyncStatus: 'never',
        config: { exclude: ['drafts'] },
      });
      expect((await store.findSourceByName('docs'))?.id).toBe(source.id);
      expect(await store.listSources()).toHaveLength(1);
      await expect(
        store.createSource({ name: 'docs', kind: 'folder', location: '/x' }),
      ).rejects.toThrow();
    });

    it('keeps a sealed git credential apart from the source, and moves one out of a URL once', async () => {
      const sealed = await store.createSource({
        name: 'private',
        kind: 'git',
        location: 'https://git.example.com/kb.git',
        sealedCredential: 'v1:sealed',
      });
      expect(await store.sourceCredential(sealed.id)).toBe('v1:sealed');
      expect(JSON.stringify(await store.getSource(sealed.id))).not.toContain('v1:sealed');
      const legacy = await store.createSource({
        name: 'legacy',
        kind: 'git',
        location: 'https://bot:pw@git.example.com/kb.git',
      });
      await store.createSource({
        name: 'public',
        kind: 'git',
        location: 'https://example.com/a@b',
      });
      expect(await store.sourceCredential(legacy.id)).toBeUndefined();
      const found = await store.sourcesWithCredentialsInLocation();
      expect(found.map((source) => source.name).sort()).toEqual(['legacy', 'public']);
      const move = {
        from: 'https://bot:pw@git.example.com/kb.git',
        location: 'https://git.example.com/kb.git',
        sealedCredential: 'v1:moved',
      };
      expect(await store.moveSourceCredential(legacy.id, move)).toBe(true);
      // A second process that read the old row finds it moved already and changes nothing.
      expect(
        await store.moveSourceCredential(legacy.id, { ...move, sealedCredential: 'v1:x' }),
      ).toBe(false);
      expect((await store.getSource(legacy.id))?.location).toBe('https://git.example.com/kb.git');
      expect(await store.sourceCredential(legacy.id)).toBe('v1:moved');
    });

    it('replaces a document’s chunks, deletes documents, and reports removed chunk ids', async () => {
      const source = await store.createSource({ name: 'kb', kind: 'folder', location: '/kb' });
      const first = await store.applyDocumentChanges(source.id, 'v1', {
        upserts: [
          {
            path: 'a.md',
            contentHash: 'h1',
            title: 'A',
            chunks: [chunk('alpha one'), chunk('alpha two')],
          },
          { path: 'b.md', contentHash: 'h2', title: 'B', chunks: [chunk('bravo')] },
        ],
        deletes: [],
      });
      expect(first.created).toHaveLength(3);
      expect(first.removed).toEqual([]);
      const second = await store.applyDocumentChanges(source.id, 'v2', {
        upserts: [{ path: 'a.md', contentHash: 'h3', title: 'A', chunks: [chunk('alpha three')] }],
        deletes: ['b.md'],
      });
      expect(second.removed.sort()).toEqual(first.created.map((created) => created.id).sort());
      const hashes = await store.documentHashes(source.id);
      expect([...hashes.keys()]).toEqual(['a.md']);
      expect(hashes.get('a.md')?.contentHash).toBe('h3');
      expect(await store.sourceStats(source.id)).toEqual({ documents: 1, chunks: 1, errors: [] });
    });

    it('searches lexically with stemming, ranks the better match first, and filters by source', async () => {
      const docs = await store.createSource({ name: 'docs', kind: 'folder', location: '/d' });
      const other = await store.createSource({ name: 'other', kind: 'folder', location: '/o' });
      await store.applyDocumentChanges(docs.id, 'v1', {
        upserts: [
          {
            path: 'policies.md',
            contentHash: 'p',
            title: 'Policies',
            chunks: [
              chunk(
                'To roll back a policy, run the rollback command. Rolling back is recorded.',
                'Policies > Rolling back',
              ),
            ],
          },
          {
            path: 'cfg.md',
            contentHash: 'c',
            title: 'Config',
            chunks: [chunk('The port is set with PORT.', 'Configuration')],
          },
        ],
        deletes: [],
      });
      await store.applyDocumentChanges(other.id, 'v1', {
        upserts: [
          {
            path: 'x.md',
            contentHash: 'x',
            title: 'X',
            chunks: [chunk('policy rollback elsewhere')],
          },
        ],
        deletes: [],
      });
      const hits = await store.lexicalSearch(['rolled', 'policies'], { k: 10 });
      expect(hits.length).toBe(2);
      const [best] = await store.getChunks([hits[0]!.chunkId]);
      expect(best?.path).toBe('policies.md');
      expect(hits[0]!.score).toBeGreaterThan(0);
      const scoped = await store.lexicalSearch(['rollback'], { k: 10, sourceIds: [other.id] });
      expect((await store.getChunks(scoped.map((hit) => hit.chunkId))).map((c) => c.path)).toEqual([
        'x.md',
      ]);
      expect(await store.lexicalSearch(['rollback'], { k: 10, sourceIds: [] })).toEqual([]);
    });

    it('counts a term listed twice twice, so a query can weigh its words', async () => {
      const source = await store.createSource({ name: 'weights', kind: 'folder', location: '/w' });
      await store.applyDocumentChanges(source.id, 'v1', {
        upserts: [
          { path: 'port.md', contentHash: 'p', title: 'P', chunks: [chunk('Change the port.')] },
          { path: 'logs.md', contentHash: 'l', title: 'L', chunks: [chunk('Read the logs.')] },
        ],
        deletes: [],
      });
      const bestFor = async (terms: string[]) => {
        const [hit] = await store.lexicalSearch(terms, { k: 2, sourceIds: [source.id] });
        return (await store.getChunks([hit!.chunkId]))[0]?.path;
      };
      expect(await bestFor(['logs', 'port', 'port'])).toBe('port.md');
      expect(await bestFor(['logs', 'logs', 'port'])).toBe('logs.md');
    });

    it('indexes link text, not link targets, and returns the text as written', async () => {
      const source = await store.createSource({ name: 'links', kind: 'folder', location: '/l' });
      const linked = 'Read [the routing guide](https://github.com/fastify/docs/Routes.md).';
      await store.applyDocumentChanges(source.id, 'v1', {
        upserts: [{ path: 'a.md', contentHash: 'a', title: 'A', chunks: [chunk(linked)] }],
        deletes: [],
      });
      const scope = { k: 5, sourceIds: [source.id] };
      expect(await store.lexicalSearch(['github'], scope)).toEqual([]);
      const [hit] = await store.lexicalSearch(['routing'], scope);
      expect((await store.getChunks([hit!.chunkId]))[0]?.text).toBe(linked);
      await store.applyDocumentChanges(source.id, 'v2', { upserts: [], deletes: ['a.md'] });
      expect(await store.lexicalSearch(['routing'], scope)).toEqual([]);
    });

    it('matches FTS syntax in user text literally instead of failing', async () => {
      const source = await store.createSource({ name: 'docs', kind: 'folder', location: '/d' });
      await store.applyDocumentChanges(source.id, 'v1', {
        upserts: [
          { path: 'a.md', contentHash: 'a', title: 'A', chunks: [chunk('near and not or')] },
        ],
        deletes: [],
      });
      await expect(
        store.lexicalSearch(['"near', 'AND', 'NOT*', 'col:umn'], { k: 5 }),
      ).resolves.toBeDefined();
    });

    it('reads one document whole, its chunks in line order', async () => {
      const source = await store.createSource({ name: 'whole', kind: 'folder', location: '/w' });
      await store.applyDocumentChanges(source.id, 'v1', {
        upserts: [
          {
            path: 'guide/b.md',
            contentHash: 'b',
            title: 'B',
            chunks: [chunk('second part', 'B > Two', 10), chunk('first part', 'B > One', 1)],
          },
          { path: 'other.md', contentHash: 'o', title: 'O', chunks: [chunk('elsewhere')] },
        ],
        deletes: [],
      });
      const chunks = await store.documentChunks(source.id, 'guide/b.md');
      expect(chunks.map((part) => part.text)).toEqual(['first part', 'second part']);
      expect(chunks[0]).toMatchObject({ path: 'guide/b.md', sourceName: 'whole', version: 'v1' });
      expect(await store.documentChunks(source.id, 'missing.md')).toEqual([]);
    });

    it('stamps versions, records knowledge versions and sync errors', async () => {
      const source = await store.createSource({ name: 'kb', kind: 'folder', location: '/kb' });
      const { created } = await store.applyDocumentChanges(source.id, 'provisional', {
        upserts: [{ path: 'a.md', contentHash: 'h', title: 'A', chunks: [chunk('text')] }],
        deletes: [],
      });
      await store.stampVersion(source.id, 'abc123');
      expect((await store.getChunks([created[0]!.id]))[0]?.version).toBe('abc123');
      await store.replaceSyncErrors(source.id, [{ path: 'bad.json', message: 'line 3: not JSON' }]);
      expect((await store.sourceStats(source.id)).errors).toEqual([
        { path: 'bad.json', message: 'line 3: not JSON' },
      ]);
      await store.recordKnowledgeVersion({
        sourceId: source.id,
        version: 'abc123',
        createdAt: new Date().toISOString(),
        documents: 1,
        chunks: 1,
        added: 1,
        updated: 0,
        removed: 0,
        errors: 1,
      });
      expect((await store.listKnowledgeVersions(source.id))[0]).toMatchObject({
        version: 'abc123',
        added: 1,
      });
      await store.updateSourceSync(source.id, {
        status: 'partial',
        version: 'abc123',
        message: null,
        at: '2026-01-01T00:00:00.000Z',
      });
      expect(await store.getSource(source.id)).toMatchObject({
        lastSyncStatus: 'partial',
        version: 'abc123',
      });
    });

    it('tracks which chunks have vectors', async () => {
      const source = await store.createSource({ name: 'kb', kind: 'folder', location: '/kb' });
      const { created } = await store.applyDocumentChanges(source.id, 'v', {
        upserts: [
          { path: 'a.md', contentHash: 'h', title: 'A', chunks: [chunk('one'), chunk('two')] },
        ],
        deletes: [],
      });
      expect(await store.chunksWithoutVectors([source.id], 10, 0)).toHaveLength(2);
      await store.markEmbedded([created[0]!.id], true);
      expect((await store.chunksWithoutVectors([source.id], 10, 0)).map((row) => row.id)).toEqual([
        created[1]!.id,
      ]);
      await store.markEmbedded('all', false);
      expect(await store.chunksWithoutVectors([source.id], 10, 0)).toHaveLength(2);
    });

    it('stores policy versions and activations newest first', async () => {
      await store.savePolicyVersion({
        version: 'aaaa11112222',
        files: { 'policy.yaml': 'id: a' },
        createdAt: '2026-01-01T00:00:00Z',
      });
      await store.savePolicyVersion({
        version: 'aaaa11112222',
        files: { 'policy.yaml': 'id: a' },
        createdAt: '2026-01-01T00:00:00Z',
      });
      await store.savePolicyVersion({
        version: 'bbbb33334444',
        files: { 'policy.yaml': 'id: b' },
        createdAt: '2026-01-02T00:00:00Z',
      });
      expect((await store.findPolicyVersions('aaaa')).map((v) => v.version)).toEqual([
        'aaaa11112222',
      ]);
      expect((await store.getPolicyVersion('bbbb33334444'))?.files).toEqual({
        'policy.yaml': 'id: b',
      });
      await store.recordActivation({
        workspaceId: 'default',
        version: 'aaaa11112222',
        previousVersion: null,
        actor: 't',
        reason: 'r',
        activatedAt: '2026-01-01T00:00:00Z',
      });
      await store.recordActivation({
        workspaceId: 'default',
        version: 'bbbb33334444',
        previousVersion: 'aaaa11112222',
        actor: 't',
        reason: 'r',
        activatedAt: '2026-01-02T00:00:00Z',
      });
      expect((await store.listActivations()).map((a) => a.version)).toEqual([
        'bbbb33334444',
        'aaaa11112222',
      ]);
    });

    it('chains audit records', async () => {
      const record = {
        traceId: 't1',
        workspaceId: 'default',
        createdAt: '2026-01-01T00:00:00Z',
        kind: 'chat',
        policyVersion: 'p',
        promptVersion: null,
        agent: 'a',
        provider: 'extractive',
        model: 'm',
        knowledgeVersions: { docs: 'v' },
        inputTokens: 1,
        outputTokens: 2,
        latencyMs: 3,
        decision: 'allowed',
        steps: [{ id: 'input-size', decision: 'allowed', reasons: [] }],
      };
      const sign = (payload: string, previous: string | null) =>
        `${previous ?? 'root'}>${payload.length}`;
      const first = await store.appendAudit(record, sign);
      const second = await store.appendAudit({ ...record, traceId: 't2' }, sign);
      expect(first.previousHash).toBeNull();
      expect(second.previousHash).toBe(first.hash);
      expect((await store.listAudit({ traceId: 't2' }))[0]).toMatchObject({
        agent: 'a',
        knowledgeVersions: { docs: 'v' },
      });

      // Appends that arrive together are written together, and still form one unbroken chain
      // in id order, each caller getting its own record back.
      const signed = (payload: string, previous: string | null) =>
        `${previous ?? 'root'}|${JSON.parse(payload).traceId as string}`;
      const many = await Promise.all(
        Array.from({ length: 40 }, (_, n) =>
          store.appendAudit({ ...record, traceId: `burst-${n}` }, signed),
        ),
      );
      expect(many.map((stored) => stored.traceId)).toEqual(
        Array.from({ length: 40 }, (_, n) => `burst-${n}`),
      );
      const chain = (await store.listAudit({ limit: 100 })).reverse();
      expect(chain).toHaveLength(42);
      chain.forEach((stored, index) => {
        expect(stored.previousHash).toBe(index === 0 ? null : chain[index - 1]!.hash);
        if (index >= 2) expect(stored.hash.endsWith(`|${stored.traceId}`)).toBe(true);
      });
      for (const stored of many) {
        expect(chain.find((row) => row.id === stored.id)?.traceId).toBe(stored.traceId);
      }
    });
  });
  describeActivityStoreContract(name, open);
}
