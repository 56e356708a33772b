import { createHmac } from 'node:crypto';
import { UpstreamError, ValidationError } from '../../errors.js';
import type { JobProcessor } from '../queue.js';
import type { OutboundGuard } from '../../net/outbound-guard.js';
import { postOutbound } from '../../net/outbound-post.js';

export interface WebhookDependencies {
  /**
   * The signing secret for a delivery's `secretRef` (undefined: the default secret), or undefined
   * when none is configured; such a delivery is dead at once, since retrying cannot help.
   */
  secretFor(secretRef: string | undefined): string | undefined;
  /** Checks the receiver's address and pins the connection to it. */
  outbound: OutboundGuard;
  /** How long a receiver may take to answer; default 10 s. */
  timeoutMs?: number;
  /** Milliseconds since the epoch; tests pass a fixed clock. */
  now?: () => number;
}

export interface WebhookDeliveryResult {
  status: number;
  durationMs: number;
}

/**
 * The `X-Keel-Signature` value: `t=<unix seconds>,v1=<hex HMAC-SHA256 of "t.body">`. A receiver
 * recomputes it over the raw body with the shared secret, compares in constant time, and refuses
 * old timestamps to stop replays.
 *
 * @example
 *   signatureHeader('whsec_…', 1700000000, '{"event":"job.completed"}'); // 't=1700000000,v1=5d4…'
 */
export function signatureHeader(secret: string, timestamp: number, body: string): string {
  const digest = createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex');
  return `t=${timestamp},v1=${digest}`;
}

/** Asking again later can help: the receiver timed out, is rate limiting, or failed itself. */
const isRetryableStatus = (status: number) => status === 408 || status === 429 || status >= 500;

/**
 * Delivers one webhook: POSTs `{ id, event, payload }` as JSON, signed. The job id goes along as
 * `X-Keel-Delivery` and stays the same across retries, so a receiver can drop duplicates of an
 * at-least-once delivery. Redirects are not followed: a signed POST goes where it was sent.
 *
 * @example
 *   const webhooks = createWebhookProcessor({ secretFor: () => config.webhookSecret });
 */
export function createWebhookProcessor(
  dependencies: WebhookDependencies,
): JobProcessor<'webhooks'> {
  const timeoutMs = dependencies.timeoutMs ?? 10_000;
  const now = dependencies.now ?? Date.now;
  return async ({ id, payload, signal }) => {
    const secret = dependencies.secretFor(payload.secretRef);
    if (!secret) {
      throw new ValidationError('webhook_secret_missing', 'No signing secret for this webhook', {
        secretRef: payload.secretRef ?? null,
      });
    }
    const body = JSON.stringify({ id, event: payload.event, payload: payload.payload });
    const host = new URL(payload.url).host;
    const started = Date.now();
    const timeout = AbortSignal.timeout(timeoutMs);
    let status: number;
    try {
      status = await postOutbound(dependencies.outbound, payload.url, {
        body,
        headers: {
          'content-type': 'application/json',
          'user-agent': 'Keel-Webhooks/1',
          'x-keel-event': payload.event,
          'x-keel-delivery': id,
          'x-keel-signature': signatureHeader(secret, Math.floor(now() / 1000), body),
        },
        signal: AbortSignal.any([signal, timeout]),
      });
    } catch (error) {
      if (signal.aborted || error instanceof ValidationError) throw error;
      // The host, never the URL: a URL may carry a token in its query.
      if (timeout.aborted) {
        throw new UpstreamError('webhook_timeout', `${host} did not answer in ${timeoutMs} ms`, {
          host,
        });
      }
      throw new UpstreamError('webhook_unreachable', `Could not reach ${host}`, { host });
    }
    if (status >= 200 && status < 300) {
      return { status, durationMs: Date.now() - started } satisfies WebhookDeliveryResult;
    }
    const retryable = isRetryableStatus(status);
    throw new UpstreamError(
      retryable ? 'webhook_failed' : 'webhook_rejected',
      `${host} answered ${status}`,
      { host, status },
      retryable,
    );
  };
}
