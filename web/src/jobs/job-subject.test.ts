import { describe, expect, it } from 'vitest';
import { jobSubject } from './job-subject';

describe('jobSubject', () => {
  it('names the source of a sync, by name when it is known', () => {
    const job = { queue: 'ingest', payload: { sourceId: 'src_1', workspaceId: 'default' } };
    expect(jobSubject(job, new Map([['src_1', 'keel-docs']]))).toBe('source keel-docs');
    expect(jobSubject(job)).toBe('source src_1');
  });

  it('says what the other queues work on', () => {
    expect(jobSubject({ queue: 'predictions', payload: { seriesId: 'views', horizon: 7 } })).toBe(
      'series views, 7 steps',
    );
    expect(
      jobSubject({
        queue: 'generate',
        payload: { prompt: 'Write the\nrelease notes', documentId: 'notes' },
      }),
    ).toBe('document notes: Write the release notes');
    expect(jobSubject({ queue: 'images', payload: { prompt: 'x'.repeat(100) } })).toHaveLength(60);
    expect(
      jobSubject({ queue: 'vision', payload: { images: ['a', 'b'], prompt: 'Read the labels' } }),
    ).toBe('2 images: Read the labels');
    expect(
      jobSubject({
        queue: 'webhooks',
        payload: { event: 'report.ready', url: 'https://hooks.example.com/keel' },
      }),
    ).toBe('report.ready → hooks.example.com');
  });

  it('says nothing rather than guess when the payload lacks the fields', () => {
    expect(jobSubject({ queue: 'ingest', payload: {} })).toBeUndefined();
    expect(jobSubject({ queue: 'webhooks', payload: { url: 'not a url' } })).toBeUndefined();
    expect(jobSubject({ queue: 'unknown-queue', payload: { a: 1 } })).toBeUndefined();
  });
});
