import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type S3TestServer, s3rverCredentials, startS3Server } from '../fixtures/s3-server.js';
import { type FakeOpenAiServer, startOpenAiServer } from '../fixtures/providers/openai-server.js';
import { type TestDatabase, createTestDatabase } from '../helpers/postgres-database.js';
import {
  type PrivateService,
  privateServicesAvailable,
  startPrivateRedis,
} from '../helpers/private-services.js';
import { skipUnlessCi } from '../helpers/skip-unless-ci.js';
import { createTestKeel } from '../helpers/test-keel.js';
import { expectVisionBatchWorks } from '../helpers/vision-batch.js';

/*
 * The vision batch path in server mode: an API Keel without a worker and a worker Keel sharing a
 * PostgreSQL database, a Redis (BullMQ) and an S3 bucket of this test's own. The API stores the
 * images in S3 under their hashes; the worker reads them from there and analyses them.
 */
describe.skipIf(skipUnlessCi(privateServicesAvailable, 'redis-server'))(
  'vision batches in server mode (PostgreSQL + Redis + S3, separate worker)',
  () => {
    let database: TestDatabase;
    let redis: PrivateService;
    let s3: S3TestServer;
    let provider: FakeOpenAiServer;
    let api: Awaited<ReturnType<typeof createTestKeel>>;
    let worker: Awaited<ReturnType<typeof createTestKeel>>;

    beforeAll(async () => {
      [database, redis, s3, provider] = await Promise.all([
        createTestDatabase(),
        startPrivateRedis(),
        startS3Server(),
        startOpenAiServer(),
      ]);
      const env = {
        DATABASE_URL: database.url,
        REDIS_URL: redis.url,
        S3_ENDPOINT: s3.endpoint,
        S3_ACCESS_KEY_ID: s3rverCredentials.accessKeyId,
        S3_SECRET_ACCESS_KEY: s3rverCredentials.secretAccessKey,
        KEEL_LLM: 'extractive',
        KEEL_EMBEDDINGS: 'none',
        KEEL_VISION: 'openai',
        OPENAI_API_KEY: 'sk-test-vision',
        OPENAI_BASE_URL: `${provider.url}/v1`,
      };
      api = await createTestKeel(env, { bundled: false, worker: false });
      worker = await createTestKeel(env, { bundled: false });
    }, 180_000);
    afterAll(async () => {
      await api?.close();
      await worker?.close();
      await Promise.all([redis?.destroy(), database?.drop(), s3?.close(), provider?.close()]);
    }, 60_000);

    it('stores the images in S3, runs the vision job on the worker and caches the repeat', async () => {
      expect(api.keel.store.dialect).toBe('postgres');
      expect(api.keel.config.blobs.s3?.endpoint).toBe(s3.endpoint);
      await expectVisionBatchWorks(api, provider);
      const [job] = await api.keel.jobs.list({ queue: 'vision' });
      expect(job).toMatchObject({ state: 'completed' });
    }, 60_000);
  },
);
