import { createServer, type Server, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { describeBlobStoreContract } from '../../test/contracts/blob-store-contract.js';
import {
  s3rverCredentials,
  type S3TestServer,
  startS3Server,
} from '../../test/fixtures/s3-server.js';
import { S3BlobStore, type S3BlobStoreOptions } from './blob-store-s3.js';
import { openBlobStore } from './open-blob-store.js';

const secrets = {
  accessKeyId: 'AKIAKEELLEAKCHECK01',
  secretAccessKey: 'keel-secret-never-in-messages',
};

let server: S3TestServer;
beforeAll(async () => {
  server = await startS3Server();
});
afterAll(async () => {
  await server?.close();
});

let buckets = 0;
function storeOptions(overrides: Partial<S3BlobStoreOptions> = {}): S3BlobStoreOptions {
  return {
    endpoint: server.endpoint,
    bucket: `keel-test-${++buckets}`,
    region: 'us-east-1',
    forcePathStyle: true,
    ...s3rverCredentials,
    ...overrides,
  };
}

/** A TCP port that was free a moment ago, so connecting to it is refused. */
async function closedPort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as { port: number };
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

/** Accepts connections and never answers, like a firewall that swallows requests. */
async function silentServer(): Promise<{ endpoint: string; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const silent: Server = createServer((socket) => sockets.add(socket));
  await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
  const { port } = silent.address() as { port: number };
  return {
    endpoint: `http://127.0.0.1:${port}`,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => silent.close(resolve));
    },
  };
}

function expectNoCredentials(error: unknown): void {
  const { message, details, stack } = error as { message: string; details: unknown; stack: string };
  const text = JSON.stringify({ message, details, stack });
  expect(text).not.toContain(secrets.accessKeyId);
  expect(text).not.toContain(secrets.secretAccessKey);
}

describeBlobStoreContract('s3 (s3rver)', async () => {
  const store = new S3BlobStore(storeOptions());
  await store.ensureBucket();
  return store;
});

describe('S3 blob store', () => {
  it('creates its bucket when missing, and again is a no-op', async () => {
    const store = new S3BlobStore(storeOptions());
    await expect(store.put('a.txt', Buffer.from('x'))).rejects.toMatchObject({
      code: 'blob_store_unavailable',
      details: { reason: 'NoSuchBucket' },
    });
    await store.ensureBucket();
    await store.ensureBucket();
    expect(await store.put('a.txt', Buffer.from('x'))).toMatchObject({ size: 1 });
    await store.close();
  });

  it('is what openBlobStore returns when S3 is configured', async () => {
    const s3 = { ...storeOptions(), accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' };
    const store = await openBlobStore(
      { dataDir: '/nonexistent', blobs: { s3 } },
      { createBucket: true },
    );
    expect(store).toBeInstanceOf(S3BlobStore);
    expect(await store.put('b.txt', Buffer.from('y'))).toMatchObject({ size: 1 });
    await store.close();
  });

  it('reports an unreachable server as blob_store_unavailable without credentials', async () => {
    const endpoint = `http://127.0.0.1:${await closedPort()}`;
    const store = new S3BlobStore(storeOptions({ endpoint, ...secrets }));
    for (const attempt of [
      () => store.put('a.txt', Buffer.from('x')),
      () => store.get('a.txt'),
      () => store.list(''),
      () => store.ensureBucket(),
    ]) {
      const error = await attempt().catch((caught: unknown) => caught);
      expect(error).toMatchObject({ code: 'blob_store_unavailable', status: 503, retryable: true });
      expectNoCredentials(error);
    }
    await store.close();
  }, 10_000);

  it('gives up on a server that never answers after its request timeout', async () => {
    const silent = await silentServer();
    const store = new S3BlobStore(
      storeOptions({
        endpoint: silent.endpoint,
        requestTimeoutMs: 300,
        idleTimeoutMs: 300,
        maxAttempts: 2,
      }),
    );
    await expect(store.head('a.txt')).rejects.toMatchObject({ code: 'blob_store_unavailable' });
    await store.close();
    await silent.close();
  }, 10_000);

  it('keeps credentials out of errors the server words with them', async () => {
    // s3rver answers InvalidAccessKeyId with the key id in the body, as S3 does.
    const store = new S3BlobStore(storeOptions({ ...secrets }));
    const error = await store.get('a.txt').catch((caught: unknown) => caught);
    expect(error).toMatchObject({
      code: 'blob_store_unavailable',
      details: { reason: 'InvalidAccessKeyId' },
    });
    expectNoCredentials(error);
    await store.close();
  });

  it('validates keys before reaching for the network', async () => {
    const store = new S3BlobStore(
      storeOptions({ endpoint: `http://127.0.0.1:${await closedPort()}` }),
    );
    await expect(store.get('../x')).rejects.toMatchObject({ code: 'blob_key_invalid' });
    await store.close();
  });
});
