import type { Job } from '../api/types';

const text = (value: unknown): string | undefined =>
  typeof value === 'string' && value !== '' ? value : undefined;

function excerpt(value: unknown, length = 60): string | undefined {
  const full = text(value)?.replace(/\s+/g, ' ').trim();
  if (!full) return undefined;
  return full.length > length ? `${full.slice(0, length - 1)}…` : full;
}

function hostOf(url: unknown): string | undefined {
  try {
    return new URL(text(url) ?? '').host;
  } catch {
    return undefined;
  }
}

/**
 * One line saying what a job works on, from its payload: the source a sync reads (by name when
 * known), the series a forecast reads, the start of a prompt, where a webhook goes.
 *
 * @example
 *   jobSubject({ queue: 'ingest', payload: { sourceId: 'src_1' } }, new Map([['src_1', 'docs']]));
 *   // 'source docs'
 */
export function jobSubject(
  job: Pick<Job, 'queue' | 'payload'>,
  sourceNames: ReadonlyMap<string, string> = new Map(),
): string | undefined {
  const payload = job.payload ?? {};
  switch (job.queue) {
    case 'ingest': {
      const id = text(payload.sourceId);
      return id && `source ${sourceNames.get(id) ?? id}`;
    }
    case 'predictions': {
      const series = text(payload.seriesId);
      const horizon = typeof payload.horizon === 'number' ? `, ${payload.horizon} steps` : '';
      return series && `series ${series}${horizon}`;
    }
    case 'generate': {
      const document = text(payload.documentId);
      const prompt = excerpt(payload.prompt);
      return document ? `document ${document}: ${prompt ?? ''}`.trim() : prompt;
    }
    case 'images':
      return excerpt(payload.prompt);
    case 'vision': {
      const count = Array.isArray(payload.images) ? payload.images.length : 0;
      const asked = excerpt(payload.prompt) ?? text(payload.agent);
      return count > 0 ? `${count} image${count === 1 ? '' : 's'}: ${asked ?? ''}`.trim() : asked;
    }
    case 'webhooks': {
      const event = text(payload.event);
      const host = hostOf(payload.url);
      return event && host ? `${event} → ${host}` : (event ?? host);
    }
    case 'memory': {
      const conversation = text(payload.conversationId);
      return conversation && `conversation ${conversation}`;
    }
    default:
      return undefined;
  }
}
