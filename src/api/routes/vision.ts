import type { MultipartFile } from '@fastify/multipart';
import type { FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { KeelError, ValidationError } from '../../errors.js';
import { parsePayload } from '../../jobs/contracts.js';
import type { JobQueue } from '../../jobs/queue.js';
import type { VisionService } from '../../vision/vision-service.js';
import { authorizeEnqueue } from '../job-access.js';
import { decisionSchema, errorSchema } from '../schemas.js';
import { jobLinks, jobSchema } from './job-schemas.js';

const analysisSchema = z.object({
  text: z.string(),
  decision: decisionSchema,
  image: z.object({
    sha256: z.string(),
    blobKey: z.string(),
    mediaType: z.string(),
    width: z.number().int(),
    height: z.number().int(),
    bytes: z.number().int(),
  }),
  agent: z.string().nullable(),
  provider: z.string(),
  model: z.string(),
  usage: z.object({ inputTokens: z.number().int(), outputTokens: z.number().int() }),
  policy: z.object({ id: z.string(), version: z.string() }),
  cached: z.boolean(),
  traceId: z.string(),
});

const TEXT_FIELD_LIMIT = 8_000;
const MAX_BATCH_IMAGES = 50;

interface VisionForm {
  images: Buffer[];
  prompt?: string;
  agent?: string;
}

/** The `image` file and the `prompt` / `agent` fields; the image read up to `maxBytes` only. */
async function readForm(
  parts: AsyncIterable<MultipartFile | { type: 'field'; fieldname: string; value: unknown }>,
  maxBytes: number,
): Promise<VisionForm> {
  const form: VisionForm = { images: [] };
  for await (const part of parts) {
    if (part.type === 'field') {
      if (
        (part.fieldname === 'prompt' || part.fieldname === 'agent') &&
        typeof part.value === 'string' &&
        part.value.trim() !== ''
      ) {
        if (part.value.length > TEXT_FIELD_LIMIT) {
          throw new ValidationError(
            'field_too_long',
            `${part.fieldname} may be at most ${TEXT_FIELD_LIMIT} characters`,
            { field: part.fieldname },
          );
        }
        form[part.fieldname] = part.value.trim();
      }
      continue;
    }
    const file = part as MultipartFile;
    const bytes = await file.toBuffer().catch((error: unknown) => {
      if ((error as { code?: string }).code === 'FST_REQ_FILE_TOO_LARGE') {
        throw new KeelError('image_too_large', `The image may be at most ${maxBytes} bytes`, 413, {
          limit: maxBytes,
        });
      }
      throw error;
    });
    if (file.fieldname === 'image') form.images.push(bytes);
  }
  return form;
}

/**
 * The multipart request both vision routes take, checked in the order a caller fixes things:
 * multipart at all (415), a vision provider here (503), at most `maxImages` images each within
 * the size limit (413), at least one image (400) and a prompt or an agent (400).
 */
async function readVisionRequest(
  { vision, maxImageBytes: maxBytes }: VisionRouteDeps,
  request: FastifyRequest,
  maxImages: number,
) {
  if (!request.isMultipart()) {
    throw new KeelError('unsupported_media_type', 'Send the image as multipart/form-data', 415);
  }
  if (!vision) {
    throw new KeelError(
      'vision_not_configured',
      "Image analysis needs a vision provider: set KEEL_VISION (openai, gemini or ollama) and that provider's URL and key",
      503,
    );
  }
  const form = await readForm(
    request.parts({
      limits: { fileSize: maxBytes, files: maxImages },
    }) as AsyncIterable<MultipartFile>,
    maxBytes,
  );
  if (form.images.length === 0)
    throw new ValidationError('no_image', 'The request holds no `image` file part');
  if (!form.prompt && !form.agent) {
    throw new ValidationError('prompt_required', 'Give a `prompt`, an `agent`, or both');
  }
  return { vision, form };
}

export interface VisionRouteDeps {
  /** Undefined when no vision provider is configured: the routes answer 503. */
  vision: Pick<VisionService, 'analyze' | 'store'> | undefined;
  maxImageBytes: number;
  /** Batches run as `vision` jobs. */
  jobs: Pick<JobQueue, 'enqueue'>;
}

/**
 * `POST /v1/vision/analyze`: one image and a prompt (or an agent) in, the model's analysis out.
 * `POST /v1/vision/batches`: several images stored at once and analysed by a `vision` job.
 */
export const visionRoutes =
  (deps: VisionRouteDeps): FastifyPluginAsyncZod =>
  async (app) => {
    app.post(
      '/v1/vision/analyze',
      {
        config: { access: { role: 'user', scope: 'chat', rateLimit: 'chat' } },
        schema: {
          summary:
            'Analyse an image (multipart/form-data: an `image` file — PNG, JPEG, WebP or GIF — and a `prompt` and/or an `agent`); results are cached for an hour by image hash, prompt and model',
          tags: ['vision'],
          consumes: ['multipart/form-data'],
          response: {
            200: analysisSchema,
            400: errorSchema,
            413: errorSchema,
            415: errorSchema,
            422: errorSchema,
            429: errorSchema,
            502: errorSchema,
            503: errorSchema,
          },
        },
      },
      async (request) => {
        const { vision, form } = await readVisionRequest(deps, request, 1);
        return vision.analyze({
          caller: request.principal,
          image: form.images[0]!,
          prompt: form.prompt,
          agent: form.agent,
          traceId: String(request.id),
        });
      },
    );

    app.post(
      '/v1/vision/batches',
      {
        config: { access: { role: 'user', scope: 'chat', rateLimit: 'chat' } },
        schema: {
          summary: `Analyse up to ${MAX_BATCH_IMAGES} images in a background \`vision\` job (multipart/form-data: \`image\` files and a \`prompt\` and/or an \`agent\`); each image is checked and stored at once, the job's result lists each image's analysis`,
          tags: ['vision'],
          consumes: ['multipart/form-data'],
          response: {
            202: jobSchema,
            400: errorSchema,
            413: errorSchema,
            415: errorSchema,
            422: errorSchema,
            429: errorSchema,
            503: errorSchema,
          },
        },
      },
      async (request, reply) => {
        const { vision, form } = await readVisionRequest(deps, request, MAX_BATCH_IMAGES);
        const { principal } = request;
        const images: string[] = [];
        for (const image of form.images) {
          images.push((await vision.store(principal.workspaceId, image)).sha256);
        }
        const payload = authorizeEnqueue(principal, 'vision', {
          images,
          ...(form.prompt && { prompt: form.prompt }),
          ...(form.agent && { agent: form.agent }),
        });
        const job = await deps.jobs.enqueue('vision', parsePayload('vision', payload));
        return reply
          .status(202)
          .header('location', jobLinks(job.id).job)
          .send(job as z.infer<typeof jobSchema>);
      },
    );
  };
