import { createHash } from 'node:crypto';
import { z } from 'zod';
import type { BlobInfo, BlobStore } from '../../blobs/blob-store.js';
import { ValidationError } from '../../errors.js';
import type { Answerer } from '../../governor/answerer.js';
import { checkInput, jobCaller, meteredModelCall } from '../../limits/governed-call.js';
import type { QuotaService } from '../../limits/quotas.js';
import type { ImageProvider } from '../../providers/image-provider.js';
import type { JobProcessor } from '../queue.js';
import { keySegment, putBlobJson, readBlobJson } from './blob-io.js';

export interface ImageDependencies {
  provider: ImageProvider;
  blobs: BlobStore;
  /** The input policy every prompt passes before it leaves for the provider. */
  answers: Pick<Answerer, 'check'>;
  /** The job's user and workspace quotas: each generated image is one call. */
  quotas: QuotaService;
}

export const DEFAULT_IMAGE_SIZE = '1024x1024';

/** Where an image job stores its PNG. */
export const imageKey = (workspaceId: string, jobId: string) =>
  `images/${keySegment('workspaceId', workspaceId)}/${jobId}.png`;

/**
 * The workspace's index entry for one (provider, model, prompt, size). Per workspace, so one
 * workspace cannot tell from a suspiciously fast job what another one asked for.
 */
const cacheKey = (workspaceId: string, hash: string) =>
  `images/${keySegment('workspaceId', workspaceId)}/by-prompt/${hash}.json`;

const cacheEntrySchema = z.object({ key: z.string(), sha256: z.string(), model: z.string() });

export interface ImageResult {
  blobKey: string;
  bytes: number;
  sha256: string;
  model: string;
  size: string;
  /** True when the PNG was copied from an earlier job with the same model, prompt and size. */
  cached: boolean;
}

// Blob metadata travels as HTTP headers: printable ASCII only.
const headerSafe = (text: string) => text.replace(/[^\x21-\x7e]/g, '_').slice(0, 200) || '_';

function fromStored(info: BlobInfo, size: string, model: string): ImageResult {
  return {
    blobKey: info.key,
    bytes: info.size,
    sha256: info.metadata.sha256 ?? '',
    model: info.metadata.model ?? model,
    size: info.metadata.size ?? size,
    cached: info.metadata.cached === 'true',
  };
}

/**
 * Generates one image on the configured provider and stores the PNG at `images/<ws>/<job>.png`.
 * Idempotent: a job whose PNG is already stored (a redelivery after a crash) returns it without
 * paying for another. The same model, prompt and size asked again in the workspace is served from
 * the earlier PNG, since image generation is the slow, billed part; a new prompt is a new image.
 * The prompt passes the input policy first (a refusal kills the job with `input_refused`), and
 * each generated image reserves and records one call on the job's user and workspace quotas
 * (`quota_exceeded` kills the job; neither is retried).
 *
 * @example
 *   const images = createImageProcessor({ provider: createImageProvider(config)!, blobs,
 *     answers: keel.answers, quotas: keel.quotas });
 *   await jobs.enqueue('images', { workspaceId, prompt: 'a lighthouse at dusk', size: '1024x1024' });
 */
export function createImageProcessor(dependencies: ImageDependencies): JobProcessor<'images'> {
  const { provider, blobs } = dependencies;
  return async ({ id, payload, signal, report }) => {
    if (payload.provider !== undefined && payload.provider !== provider.name) {
      throw new ValidationError(
        'image_provider_unknown',
        `No image provider "${payload.provider}"; this Keel has "${provider.name}"`,
        { provider: payload.provider, available: [provider.name] },
      );
    }
    const size = payload.size ?? DEFAULT_IMAGE_SIZE;
    const key = imageKey(payload.workspaceId, id);
    const stored = await blobs.head(key);
    if (stored) return fromStored(stored, size, provider.model);

    // A prompt the input policy refuses fails the job for good, before the cache or the provider
    // sees it; what the provider receives is the prompt as the policy left it (redacted).
    const prompt = await checkInput(dependencies.answers, payload.prompt, id);
    const hash = createHash('sha256')
      .update(JSON.stringify([provider.name, provider.model, prompt, size]))
      .digest('hex');
    const indexKey = cacheKey(payload.workspaceId, hash);
    const entry = await readBlobJson(blobs, indexKey, cacheEntrySchema);
    const earlier = entry && (await blobs.get(entry.key));
    if (entry && earlier) {
      await report({
        progress: 0.5,
        message: 'Copying the image generated earlier for this prompt',
      });
      const copy = await blobs.put(key, earlier.body, {
        contentType: 'image/png',
        metadata: { sha256: entry.sha256, model: headerSafe(entry.model), size, cached: 'true' },
      });
      return {
        blobKey: key,
        bytes: copy.size,
        sha256: copy.sha256,
        model: entry.model,
        size,
        cached: true,
      };
    }

    await report({ progress: 0.1, message: `Generating a ${size} image with ${provider.model}` });
    const image = await meteredModelCall(
      dependencies.quotas,
      jobCaller(payload),
      { traceId: id },
      async () => {
        const generated = await provider.generate({ prompt, size, signal });
        return {
          value: generated,
          provider: provider.name,
          model: provider.model,
          usage: generated.usage ?? { inputTokens: 0, outputTokens: 0 },
        };
      },
    );
    signal.throwIfAborted();
    const sha256 = createHash('sha256').update(image.png).digest('hex');
    await report({ progress: 0.9, message: 'Storing the image' });
    const put = await blobs.put(key, image.png, {
      contentType: 'image/png',
      metadata: { sha256, model: headerSafe(provider.model), size, cached: 'false' },
    });
    // The index is written after the image: a crash in between only costs a cache miss.
    await putBlobJson(blobs, indexKey, { key, sha256, model: provider.model });
    return {
      blobKey: key,
      bytes: put.size,
      sha256,
      model: provider.model,
      size,
      cached: false,
    } satisfies ImageResult;
  };
}
