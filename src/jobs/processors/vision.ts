import { isKeelError, NotFoundError } from '../../errors.js';
import { jobCaller } from '../../limits/governed-call.js';
import type { VisionService } from '../../vision/vision-service.js';
import type { JobProcessor } from '../queue.js';

export interface VisionDependencies {
  vision: Pick<VisionService, 'analyze' | 'read'>;
}

/** One image's outcome in a batch: the analysis, or why this image has none. */
export type VisionBatchItem =
  | {
      sha256: string;
      text: string;
      decision: { status: string; reasons: string[] };
      cached: boolean;
      model: string;
    }
  | { sha256: string; error: { code: string; message: string } };

/**
 * Analyses a batch of stored images with one prompt (or agent). Each image goes through the same
 * governed path as `POST /v1/vision/analyze` (policies, quota, cache), so a redelivered job pays
 * only for the images its first run had not finished: their results are cached by hash. An image
 * the caller got wrong (missing, refused by a policy) is reported in its slot and the batch goes
 * on; a provider failure worth retrying fails the attempt.
 *
 * @example
 *   await jobs.enqueue('vision', { workspaceId, userId, images: [sha256], prompt: 'Read the label' });
 */
export function createVisionProcessor(dependencies: VisionDependencies): JobProcessor<'vision'> {
  const { vision } = dependencies;
  return async ({ id, payload, signal, report }) => {
    const results: VisionBatchItem[] = [];
    for (const [position, sha256] of payload.images.entries()) {
      signal.throwIfAborted();
      await report({
        progress: position / payload.images.length,
        message: `Analysing image ${position + 1} of ${payload.images.length}`,
      });
      try {
        const image = await vision.read(payload.workspaceId, sha256);
        if (!image) {
          throw new NotFoundError('image_not_found', `No stored image ${sha256} in this workspace`);
        }
        const analysis = await vision.analyze({
          caller: jobCaller(payload),
          image,
          prompt: payload.prompt,
          agent: payload.agent,
          traceId: `${id}:${position}`,
          signal,
        });
        const { text, decision, cached, model } = analysis;
        results.push({ sha256, text, decision, cached, model });
      } catch (error) {
        if (!isKeelError(error) || error.retryable || error.status >= 500) throw error;
        results.push({ sha256, error: { code: error.code, message: error.message } });
      }
    }
    return { images: results };
  };
}
