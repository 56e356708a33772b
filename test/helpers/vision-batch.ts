import { setTimeout as sleep } from 'node:timers/promises';
import { expect } from 'vitest';
import { SKY_JPEG, SKY_PNG, sha256 } from '../fixtures/images.js';
import type { FakeServer } from '../fixtures/providers/fake-server.js';
import { multipartBody } from './multipart.js';
import type { createTestKeel } from './test-keel.js';

type TestKeel = Pick<Awaited<ReturnType<typeof createTestKeel>>, 'app' | 'keel'>;

/** Follows a job through `GET /v1/jobs/{id}` until it is finished (or 10 s have passed). */
async function finishedJob(test: TestKeel, id: string, headers: Record<string, string>) {
  for (let tries = 0; tries < 400; tries += 1) {
    const job = (await test.app.inject({ method: 'GET', url: `/v1/jobs/${id}`, headers })).json();
    if (['completed', 'dead', 'cancelled'].includes(job.state)) return job;
    await sleep(25);
  }
  throw new Error(`job ${id} never finished`);
}

/**
 * The batch path end to end, in whichever shape `test` runs: two images (one twice) posted to
 * `POST /v1/vision/batches` are stored under their hashes in the blob store, a `vision` job
 * analyses them on the fake provider `server`, and the repeated image is served from the cache.
 */
export async function expectVisionBatchWorks(
  test: TestKeel,
  server: FakeServer,
  headers: Record<string, string> = {},
): Promise<void> {
  const form = await multipartBody(
    [SKY_PNG, SKY_JPEG, SKY_PNG].map((bytes, index) => ({
      field: 'image',
      name: `photo-${index}`,
      bytes,
    })),
    { prompt: 'Count the boxes' },
  );
  const accepted = await test.app.inject({
    method: 'POST',
    url: '/v1/vision/batches',
    payload: form.payload,
    headers: { ...form.headers, ...headers },
  });
  expect(accepted.statusCode).toBe(202);
  const job = await finishedJob(test, accepted.json().id, headers);
  expect(job.state).toBe('completed');
  const images = job.result.images as { sha256: string; text: string; cached: boolean }[];
  expect(images.map((image) => image.sha256)).toEqual([SKY_PNG, SKY_JPEG, SKY_PNG].map(sha256));
  expect(images[0]?.text).toContain(sha256(SKY_PNG));
  expect(images[1]?.text).toContain(sha256(SKY_JPEG));
  expect(images.map((image) => image.cached)).toEqual([false, false, true]);
  const imageRequests = server.requests.filter((request) =>
    JSON.stringify(request.body).includes('Count the boxes'),
  );
  expect(imageRequests).toHaveLength(2);
  const workspaceId = job.payload.workspaceId as string;
  expect(await test.keel.vision?.read(workspaceId, sha256(SKY_JPEG))).toEqual(SKY_JPEG);
}
