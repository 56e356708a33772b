import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  IMAGE_PNG,
  type ImagesServer,
  startImagesServer,
} from '../../../test/fixtures/providers/images-server.js';
import { LocalBlobStore } from '../../blobs/blob-store-local.js';
import { loadConfig } from '../../config/config.js';
import { type Keel, openKeel } from '../../keel.js';
import { createLogger } from '../../telemetry/logger.js';
import { OpenAiImageProvider } from '../../providers/images-openai.js';
import { SqliteJobQueue } from '../sqlite/queue.js';
import type { JobEvent } from '../queue.js';
import { createImageProcessor, imageKey } from './images.js';

let server: ImagesServer;
let folder: string;
let blobs: LocalBlobStore;
let queue: SqliteJobQueue;
/** The input policy and the quotas every image job goes through, from a real Keel. */
let keel: Keel;
let keelFolder: string;

beforeAll(async () => {
  keelFolder = mkdtempSync(join(tmpdir(), 'keel-images-governor-'));
  keel = await openKeel(
    loadConfig({
      env: { KEEL_DATA_DIR: keelFolder, KEEL_LOG_LEVEL: 'silent', KEEL_EMBEDDINGS: 'none' },
      file: '/nonexistent/keel.yaml',
    }),
    { logger: createLogger('silent') },
  );
});
afterAll(async () => {
  await keel.close();
  rmSync(keelFolder, { recursive: true, force: true });
});

beforeEach(async () => {
  server = await startImagesServer();
  folder = mkdtempSync(join(tmpdir(), 'keel-images-'));
  blobs = new LocalBlobStore(join(folder, 'blobs'));
  const provider = new OpenAiImageProvider({
    name: 'openai',
    baseUrl: server.url,
    apiKey: 'sk-img-test',
    model: 'dall-e-3',
    timeoutMs: 2_000,
    retries: 2,
    backoffBaseMs: 5,
  });
  queue = SqliteJobQueue.open({ file: join(folder, 'jobs.db'), accepts: ['images'], pollMs: 20 });
  queue.work(['images'], {
    images: createImageProcessor({ provider, blobs, answers: keel.answers, quotas: keel.quotas }),
  });
});
afterEach(async () => {
  await queue.close();
  await server.close();
  rmSync(folder, { recursive: true, force: true });
});

async function finish(id: string): Promise<JobEvent[]> {
  const events: JobEvent[] = [];
  for await (const event of queue.events(id)) events.push(event);
  return events;
}

async function generate(
  payload: { prompt: string; size?: string; provider?: string },
  jobId?: string,
) {
  const job = await queue.enqueue(
    'images',
    { workspaceId: 'ws_1', ...payload },
    { backoffMs: 20, ...(jobId && { jobId }) },
  );
  return { id: job.id, events: await finish(job.id) };
}

async function storedPng(key: string): Promise<Buffer> {
  const object = await blobs.get(key);
  const chunks: Buffer[] = [];
  for await (const chunk of object!.body) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

describe('images processor', () => {
  it('generates the image and stores the PNG under the job id', async () => {
    const { id, events } = await generate({ prompt: 'a lighthouse at dusk', size: '512x512' });

    const key = imageKey('ws_1', id);
    expect(events.at(-1)).toMatchObject({
      type: 'job-completed',
      result: {
        blobKey: key,
        bytes: IMAGE_PNG.length,
        model: 'dall-e-3',
        size: '512x512',
        cached: false,
      },
    });
    expect((await storedPng(key)).equals(IMAGE_PNG)).toBe(true);
    expect(await blobs.head(key)).toMatchObject({ contentType: 'image/png' });
    expect(server.requests.map((request) => request.body)).toMatchObject([
      { prompt: 'a lighthouse at dusk', size: '512x512', response_format: 'b64_json', n: 1 },
    ]);
  });

  it('rides out a 500 with a retry and completes in one attempt', async () => {
    Object.assign(server.faults, { failTimes: 1, failStatus: 500 });
    const { id, events } = await generate({ prompt: 'a lighthouse' });
    expect(events.at(-1)).toMatchObject({ type: 'job-completed', result: { size: '1024x1024' } });
    expect(await queue.get(id)).toMatchObject({ state: 'completed', attempts: 1 });
    expect(server.requests).toHaveLength(2);
  });

  it('makes a malformed answer a dead job with a clear error, after one request', async () => {
    server.payload.b64 = Buffer.from('<svg xmlns="http://www.w3.org/2000/svg"/>').toString(
      'base64',
    );
    const { id, events } = await generate({ prompt: 'a lighthouse' });
    expect(events.filter((event) => event.type !== 'job-progress')).toEqual([
      {
        type: 'job-dead',
        jobId: id,
        error:
          'provider_bad_response: openai sent an unusable reply: b64_json does not hold a PNG image',
      },
    ]);
    expect(server.requests).toHaveLength(1);
    expect(await blobs.exists(imageKey('ws_1', id))).toBe(false);
  });

  it('does not generate again for a job whose image is stored', async () => {
    const first = await generate({ prompt: 'a lighthouse' }, 'image-once');
    // A redelivered job (same id) finds its PNG and pays for nothing: this provider would throw.
    const processor = createImageProcessor({
      provider: {
        name: 'openai',
        model: 'dall-e-3',
        generate: () => Promise.reject(new Error('called')),
      },
      blobs,
      answers: keel.answers,
      quotas: keel.quotas,
    });
    const again = await processor({
      id: 'image-once',
      queue: 'images',
      payload: { workspaceId: 'ws_1', prompt: 'a lighthouse' },
      attempt: 2,
      signal: new AbortController().signal,
      report: async () => undefined,
    });
    expect(again).toEqual((first.events.at(-1) as { result: unknown }).result);
    expect(server.requests).toHaveLength(1);
  });

  it('serves the same model, prompt and size from the earlier image; a new size is new', async () => {
    await generate({ prompt: 'a lighthouse' });
    const repeat = await generate({ prompt: 'a lighthouse' });
    expect(repeat.events.at(-1)).toMatchObject({ type: 'job-completed', result: { cached: true } });
    expect((await storedPng(imageKey('ws_1', repeat.id))).equals(IMAGE_PNG)).toBe(true);
    expect(server.requests).toHaveLength(1);

    await generate({ prompt: 'a lighthouse', size: '256x256' });
    expect(server.requests).toHaveLength(2);
  });

  it('refuses a provider it does not have, for good', async () => {
    const { events } = await generate({ prompt: 'x', provider: 'stability' });
    expect(events.at(-1)).toMatchObject({
      type: 'job-dead',
      error: expect.stringMatching(/^image_provider_unknown: No image provider "stability"/),
    });
    expect(server.requests).toHaveLength(0);
  });

  it('stops waiting for the provider when the job is cancelled', async () => {
    server.faults.delayMs = 1_500;
    const job = await queue.enqueue('images', { workspaceId: 'ws_1', prompt: 'slow' });
    while ((await queue.get(job.id))?.state !== 'running')
      await new Promise((resolve) => setTimeout(resolve, 10));
    await new Promise((resolve) => setTimeout(resolve, 50));
    await queue.cancel(job.id);
    expect((await finish(job.id)).at(-1)).toEqual({ type: 'job-cancelled', jobId: job.id });
    expect(await blobs.exists(imageKey('ws_1', job.id))).toBe(false);
  });
});
