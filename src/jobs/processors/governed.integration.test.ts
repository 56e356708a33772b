import { OutboundGuard } from '../../net/outbound-guard.js';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type ImagesServer,
  startImagesServer,
} from '../../../test/fixtures/providers/images-server.js';
import { TEST_REDIS_URL } from '../../../test/helpers/redis-test-keys.js';
import { loadConfig } from '../../config/config.js';
import { type Keel, openKeel } from '../../keel.js';
import { createImageProvider } from '../../providers/images-openai.js';
import { waitUntilReady } from '../../redis/connection.js';
import { createLogger } from '../../telemetry/logger.js';
import { createProcessors } from '../processors.js';
import { BullmqJobQueue } from '../bullmq/queue.js';
import type { JobEvent } from '../queue.js';

/**
 * The BullMQ queue decides retries itself (attempts, backoff, UnrecoverableError), so the governed
 * jobs are checked on it as well: a refusal by policy or quota is dead after one attempt.
 */
describe('governed jobs on BullMQ (Redis)', () => {
  let images: ImagesServer;
  let keel: Keel;
  let folder: string;
  let queue: BullmqJobQueue;

  beforeAll(async () => {
    images = await startImagesServer();
    folder = mkdtempSync(join(tmpdir(), 'keel-governed-bullmq-'));
    const config = loadConfig({
      env: {
        KEEL_DATA_DIR: folder,
        KEEL_LOG_LEVEL: 'silent',
        KEEL_EMBEDDINGS: 'none',
        KEEL_BUNDLED_KNOWLEDGE: 'false',
        KEEL_IMAGES_URL: `${images.url}/v1`,
        KEEL_QUOTAS: JSON.stringify({ workspace: { day: { calls: 1 } } }),
      },
      file: '/nonexistent/keel.yaml',
    });
    keel = await openKeel(config, { logger: createLogger('silent') });
    queue = BullmqJobQueue.open({
      url: TEST_REDIS_URL,
      accepts: ['generate', 'images'],
      prefix: `keel-test-governed-${randomUUID()}`,
    });
    await waitUntilReady(queue.connection);
    const processors = createProcessors(
      {
        logger: createLogger('silent'),
        registry: keel.metrics.registry,
        ingest: { store: keel.store, sync: keel.sync },
        webhooks: { secretFor: () => undefined, outbound: new OutboundGuard() },
        generate: { answers: keel.answers, quotas: keel.quotas, blobs: keel.blobs },
        images: {
          provider: createImageProvider(config)!,
          blobs: keel.blobs,
          answers: keel.answers,
          quotas: keel.quotas,
        },
      },
      ['generate', 'images'],
    );
    queue.work(['generate', 'images'], processors);
  });
  afterAll(async () => {
    await queue.close();
    await keel.close();
    await images.close();
    rmSync(folder, { recursive: true, force: true });
  });

  async function last(id: string): Promise<JobEvent> {
    let final: JobEvent | undefined;
    for await (const event of queue.events(id)) final = event;
    return final!;
  }

  it('refuses a policy-breaking image prompt and an over-quota job after one attempt each', async () => {
    const refused = await queue.enqueue('images', {
      workspaceId: 'default',
      userId: 'u_1',
      prompt: 'a receipt showing card 4111 1111 1111 1111',
    });
    expect(await last(refused.id)).toMatchObject({
      type: 'job-dead',
      error: expect.stringMatching(/^input_refused: /),
    });

    const first = await queue.enqueue('images', {
      workspaceId: 'default',
      userId: 'u_1',
      prompt: 'a lighthouse',
    });
    expect(await last(first.id)).toMatchObject({ type: 'job-completed' });
    const over = await queue.enqueue('generate', {
      workspaceId: 'default',
      userId: 'u_2',
      prompt: 'What is Keel?',
    });
    expect(await last(over.id)).toMatchObject({
      type: 'job-dead',
      error: expect.stringMatching(/^quota_exceeded: /),
    });
    expect(await queue.get(over.id)).toMatchObject({ state: 'dead', attempts: 1 });
    expect(await queue.get(refused.id)).toMatchObject({ state: 'dead', attempts: 1 });
    expect(images.requests).toHaveLength(1);
    const usage = await keel.store.usage.totals({
      workspaceId: 'default',
      since: new Date(Date.now() - 86_400_000).toISOString(),
    });
    expect(usage.calls).toBe(1);
  });
});
