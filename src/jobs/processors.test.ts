import { OutboundGuard } from '../net/outbound-guard.js';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Registry } from 'prom-client';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LocalBlobStore } from '../blobs/blob-store-local.js';
import { createLogger } from '../telemetry/logger.js';
import {
  AVAILABLE_QUEUES,
  type ProcessorDependencies,
  availableQueue,
  availableQueues,
  createProcessors,
} from './processors.js';
import { SqliteJobQueue } from './sqlite/queue.js';

let folder: string;
let blobs: LocalBlobStore;
beforeEach(() => {
  folder = mkdtempSync(join(tmpdir(), 'keel-processors-'));
  blobs = new LocalBlobStore(join(folder, 'blobs'));
});
afterEach(() => rmSync(folder, { recursive: true, force: true }));

function dependencies(extra: Partial<ProcessorDependencies> = {}): ProcessorDependencies {
  const unused = () => Promise.reject(new Error('not used here'));
  return {
    logger: createLogger('silent'),
    registry: new Registry(),
    ingest: { store: { getSource: unused, sourceStats: unused }, sync: { sync: unused } },
    webhooks: { secretFor: () => undefined, outbound: new OutboundGuard() },
    ...extra,
  };
}

describe('processor registry', () => {
  it('offers an optional queue only when its dependencies are given', () => {
    expect(AVAILABLE_QUEUES).toEqual(['ingest', 'webhooks']);
    expect(availableQueues(dependencies())).toEqual(['ingest', 'webhooks']);
    expect(availableQueues(dependencies({ predictions: { blobs } }))).toEqual([
      'ingest',
      'webhooks',
      'predictions',
    ]);
    // An API process builds no processors; it says what its workers have.
    expect(availableQueues({ generate: true, images: undefined, predictions: true })).toEqual([
      'ingest',
      'generate',
      'webhooks',
      'predictions',
    ]);
  });

  it('builds the processors the dependencies allow, and refuses the others by name', () => {
    const given = dependencies({ predictions: { blobs } });
    expect(Object.keys(createProcessors(given)).sort()).toEqual([
      'ingest',
      'predictions',
      'webhooks',
    ]);
    expect(() => createProcessors(given, ['images'])).toThrow(
      expect.objectContaining({
        code: 'queue_not_available',
        message: expect.stringMatching(/"images" is not configured/),
      }),
    );
    expect(availableQueue('images')).toBe('images');
    expect(availableQueue('memory')).toBe('memory');
  });

  it('runs a registered prediction job on the queue, counted in the job metrics', async () => {
    const given = dependencies({ predictions: { blobs } });
    const rows = Array.from(
      { length: 12 },
      (_, t) => `2024-03-${String(t + 1).padStart(2, '0')},${10 + t}`,
    );
    await blobs.put('series/ws_1/visits.csv', Buffer.from(`timestamp,value\n${rows.join('\n')}\n`));
    const queue = SqliteJobQueue.open({
      file: join(folder, 'jobs.db'),
      accepts: availableQueues(given),
      pollMs: 20,
    });
    try {
      queue.work(availableQueues(given), createProcessors(given));
      const job = await queue.enqueue('predictions', {
        workspaceId: 'ws_1',
        seriesId: 'visits',
        horizon: 2,
      });
      for await (const event of queue.events(job.id)) void event;
      expect(await queue.get(job.id)).toMatchObject({ state: 'completed', result: { horizon: 2 } });
      expect(await given.registry.getSingleMetricAsString('keel_job_attempts_total')).toContain(
        'keel_job_attempts_total{queue="predictions",outcome="completed"} 1',
      );
      await expect(
        queue.enqueue('images', { workspaceId: 'ws_1', prompt: 'a lighthouse' }),
      ).rejects.toMatchObject({ code: 'queue_not_available' });
    } finally {
      await queue.close();
    }
  });
});
