import { createHash } from 'node:crypto';
import { z } from 'zod';
import { type BlobStore, readBlob } from '../blobs/blob-store.js';
import type { Cache } from '../cache/cache.js';
import { CACHE_TTL_SECONDS } from '../cache/cache-ttl.js';
import { PolicyRefusalError, ValidationError } from '../errors.js';
import type { Answerer } from '../governor/answerer.js';
import type { PolicyService } from '../governor/policy-service.js';
import { type Caller, checkInput, meteredModelCall } from '../limits/governed-call.js';
import type { QuotaService } from '../limits/quotas.js';
import type { VisionMediaType, VisionProvider } from '../providers/vision-provider.js';
import { checkImage } from './image-check.js';
import { visionOutputPolicy } from './output-policy.js';

export interface VisionDependencies {
  provider: VisionProvider;
  blobs: BlobStore;
  cache: Cache;
  policies: Pick<PolicyService, 'current'>;
  /** The input policy every prompt passes before it leaves for the provider. */
  answers: Pick<Answerer, 'check'>;
  quotas: QuotaService;
  maxImageBytes: number;
}

export interface VisionInput {
  caller: Caller;
  image: Buffer;
  /** What to find out; defaults to a description when only an agent is named. */
  prompt?: string | undefined;
  /** An agent whose prompt becomes the model's instructions. */
  agent?: string | undefined;
  traceId: string;
  signal?: AbortSignal;
}

const DEFAULT_PROMPT = 'Describe this image.';

const outcomeSchema = z.object({
  text: z.string(),
  decision: z.object({
    status: z.enum(['allowed', 'redacted', 'refused']),
    reasons: z.array(z.string()),
  }),
  usage: z.object({ inputTokens: z.number(), outputTokens: z.number() }),
  provider: z.string(),
  model: z.string(),
});
type Outcome = z.infer<typeof outcomeSchema>;

export interface StoredImage {
  sha256: string;
  blobKey: string;
  mediaType: VisionMediaType;
  width: number;
  height: number;
  bytes: number;
}

export interface VisionAnalysis extends Outcome {
  image: StoredImage;
  agent: string | null;
  policy: { id: string; version: string };
  /** True when the result came from the cache: no provider call, no quota spent. */
  cached: boolean;
  traceId: string;
}

/** Where an image is kept: under its SHA-256, per workspace (one workspace never sees another's). */
export const visionImageKey = (workspaceId: string, sha256: string) =>
  `vision/${encodeURIComponent(workspaceId)}/${sha256}`;

const sha256Of = (value: Buffer | string) => createHash('sha256').update(value).digest('hex');

/**
 * Image analysis for `POST /v1/vision/analyze` and the `vision` queue. The image is checked
 * (size, type by magic bytes, whole), stored in the blob store under its SHA-256, and analysed by
 * the configured provider; the result is cached for the seed's hour
 * (`CACHE_TTL_SECONDS.visionResults`) by workspace + image hash + prompt + instructions + model +
 * policy version, so a second identical call reaches neither the provider nor the quota. The
 * prompt passes the input policy, the answer the output policy (`visionOutputPolicy`); a provider
 * call reserves quota first and records its usage like chat.
 *
 * @example
 *   const vision = new VisionService({ provider, blobs, cache, policies, answers, quotas, maxImageBytes });
 *   const analysis = await vision.analyze({ caller: principal, image: bytes, prompt: 'What is on the label?', traceId });
 */
export class VisionService {
  constructor(private readonly dependencies: VisionDependencies) {}

  get model(): string {
    return this.dependencies.provider.model;
  }

  /**
   * Checks an image and stores it under its SHA-256 in the caller's workspace (once: the same
   * bytes again are not rewritten). What a batch job is given is the hash this returns.
   */
  async store(workspaceId: string, image: Buffer): Promise<StoredImage> {
    const checked = checkImage(image, this.dependencies.maxImageBytes);
    const sha256 = sha256Of(image);
    const blobKey = visionImageKey(workspaceId, sha256);
    if (!(await this.dependencies.blobs.head(blobKey))) {
      await this.dependencies.blobs.put(blobKey, image, { contentType: checked.mediaType });
    }
    return { sha256, blobKey, ...checked, bytes: image.length };
  }

  /** A stored image's bytes, or undefined when the workspace holds no image with that hash. */
  async read(workspaceId: string, sha256: string): Promise<Buffer | undefined> {
    const key = visionImageKey(workspaceId, sha256);
    return readBlob(this.dependencies.blobs, key, this.dependencies.maxImageBytes);
  }

  async analyze(input: VisionInput): Promise<VisionAnalysis> {
    const { provider, cache } = this.dependencies;
    const bundle = await this.dependencies.policies.current();
    const agent = input.agent ? bundle.agents.find((each) => each.id === input.agent) : undefined;
    if (input.agent && !agent) {
      throw new ValidationError(
        'unknown_agent',
        `No agent "${input.agent}" in policy ${bundle.version}`,
        {
          agent: input.agent,
          available: bundle.agents.map((each) => each.id),
        },
      );
    }
    const image = await this.store(input.caller.workspaceId, input.image);
    const prompt = await checkInput(
      this.dependencies.answers,
      input.prompt ?? DEFAULT_PROMPT,
      input.traceId,
    );
    const instructions = agent?.promptText;
    const key = `vision:${sha256Of(
      JSON.stringify([
        input.caller.workspaceId,
        image.sha256,
        prompt,
        instructions ?? null,
        provider.name,
        provider.model,
        bundle.version,
      ]),
    )}`;
    let cached = true;
    const outcome = await cache.getOrSet(
      key,
      CACHE_TTL_SECONDS.visionResults,
      async (): Promise<Outcome> => {
        cached = false;
        const result = await meteredModelCall(
          this.dependencies.quotas,
          input.caller,
          { traceId: input.traceId },
          async () => {
            const analysed = await provider.analyze({
              image: { bytes: input.image, mediaType: image.mediaType },
              prompt,
              ...(instructions && { instructions }),
              ...(input.signal && { signal: input.signal }),
            });
            return { value: analysed, ...analysed };
          },
        );
        const checkedOutput = visionOutputPolicy(result.text, bundle.policy, instructions);
        return {
          ...checkedOutput,
          usage: result.usage,
          provider: result.provider,
          model: result.model,
        };
      },
      outcomeSchema,
    );
    if (outcome.decision.status === 'refused') {
      throw new PolicyRefusalError(
        'output_refused',
        `The output policy refused the analysis: ${outcome.decision.reasons.join('; ')}`,
        {
          decision: outcome.decision,
          policy: { id: bundle.policy.id, version: bundle.version },
          traceId: input.traceId,
        },
      );
    }
    return {
      ...outcome,
      // A cached answer cost nothing this time.
      usage: cached ? { inputTokens: 0, outputTokens: 0 } : outcome.usage,
      image,
      agent: agent?.id ?? null,
      policy: { id: bundle.policy.id, version: bundle.version },
      cached,
      traceId: input.traceId,
    };
  }
}
