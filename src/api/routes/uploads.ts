import type { MultipartFile } from '@fastify/multipart';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { KeelError, NotFoundError } from '../../errors.js';
import type { StoredUpload, Uploads } from '../../kb/uploads/uploads.js';
import { errorSchema } from '../schemas.js';

const storedSchema = z.object({
  name: z.string(),
  format: z.string(),
  bytes: z.number().int(),
  path: z.string(),
  blobKey: z.string(),
  sha256: z.string(),
});

const uploadResultSchema = z.object({
  source: z.object({ id: z.string(), name: z.string(), version: z.string().nullable() }),
  files: z.array(storedSchema),
  /** Files refused while others were stored: each with the status it would have had alone. */
  errors: z.array(
    z.object({ name: z.string(), status: z.number().int(), code: z.string(), message: z.string() }),
  ),
  documents: z.number().int(),
  chunks: z.number().int(),
});

class RequestTooLargeError extends KeelError {
  constructor(limit: number) {
    super('upload_too_large', `The files in one upload may total at most ${limit} bytes`, 413, {
      limit,
    });
  }
}

/** Reads every part: the `source` field and the `file` parts, bounded by the per-request total. */
async function readParts(
  parts: AsyncIterable<MultipartFile | { type: 'field'; fieldname: string; value: unknown }>,
  limit: number,
): Promise<{ sourceId?: string; files: { name: string; bytes: Buffer }[] }> {
  const files: { name: string; bytes: Buffer }[] = [];
  let sourceId: string | undefined;
  let total = 0;
  for await (const part of parts) {
    if (part.type === 'field') {
      if (part.fieldname === 'source' && typeof part.value === 'string' && part.value !== '')
        sourceId = part.value.slice(0, 64);
      continue;
    }
    const file = part as MultipartFile;
    const bytes = await file.toBuffer();
    total += bytes.length;
    if (total > limit) throw new RequestTooLargeError(limit);
    if (file.fieldname === 'file') files.push({ name: file.filename, bytes });
  }
  return { ...(sourceId && { sourceId }), files };
}

export interface UploadRouteDeps {
  uploads: Pick<Uploads, 'source' | 'store' | 'index' | 'existing' | 'list' | 'remove'>;
  /** The most one upload request may carry, all its files together. */
  maxRequestBytes: number;
}

/** `POST|GET|DELETE /v1/kb/uploads`: documents added from the browser or any HTTP client. */
export const uploadRoutes =
  ({ uploads, maxRequestBytes }: UploadRouteDeps): FastifyPluginAsyncZod =>
  async (app) => {
    app.post(
      '/v1/kb/uploads',
      {
        config: { access: { role: 'manager', scope: 'kb:write' } },
        schema: {
          summary:
            'Upload documents (multipart/form-data: one or more `file` parts, optional `source` id); Markdown, text, JSON, JSONL, HTML, PDF and DOCX are extracted and indexed at once',
          tags: ['knowledge'],
          consumes: ['multipart/form-data'],
          response: {
            201: uploadResultSchema,
            400: errorSchema,
            404: errorSchema,
            413: errorSchema,
            415: errorSchema,
            422: errorSchema,
          },
        },
      },
      async (request, reply) => {
        if (!request.isMultipart()) {
          throw new KeelError(
            'unsupported_media_type',
            'Send the files as multipart/form-data',
            415,
          );
        }
        const { sourceId, files } = await readParts(
          request.parts() as AsyncIterable<MultipartFile>,
          maxRequestBytes,
        );
        if (files.length === 0) {
          throw new KeelError('no_files', 'The request holds no `file` part', 400);
        }
        const source = await uploads.source(request.principal.workspaceId, sourceId);
        const stored: StoredUpload[] = [];
        const errors: { name: string; status: number; code: string; message: string }[] = [];
        for (const file of files) {
          try {
            stored.push(await uploads.store(source, file));
          } catch (error) {
            if (!(error instanceof KeelError) || error.status >= 500) throw error;
            errors.push({
              name: file.name,
              status: error.status,
              code: error.code,
              message: error.message,
            });
            if (files.length === 1) throw error;
          }
        }
        if (stored.length === 0) {
          const first = errors[0]!;
          throw new KeelError(
            first.code,
            `No file could be stored: ${errors.map((entry) => entry.message).join('; ')}`,
            first.status,
            { files: errors },
          );
        }
        const report = await uploads.index(source);
        request.log.info({ sourceId: source.id, files: stored.length }, 'documents uploaded');
        return reply.status(201).send({
          source: { id: source.id, name: source.name, version: report.version },
          files: stored,
          errors,
          documents: report.documents,
          chunks: report.chunks,
        });
      },
    );

    app.get(
      '/v1/kb/uploads',
      {
        config: { access: { role: 'user', scope: 'kb:read' } },
        schema: {
          summary:
            "The workspace's uploaded documents: name, format, size and number of uploaded versions",
          tags: ['knowledge'],
          querystring: z.object({ source: z.string().min(1).max(64).optional() }),
          response: {
            200: z.object({
              /** Null until the workspace's first upload. */
              source: z
                .object({ id: z.string(), name: z.string(), version: z.string().nullable() })
                .nullable(),
              documents: z.array(
                z.object({
                  name: z.string(),
                  format: z.string(),
                  bytes: z.number().int(),
                  versions: z.number().int(),
                  uploadedAt: z.string(),
                }),
              ),
            }),
            404: errorSchema,
            422: errorSchema,
          },
        },
      },
      async (request) => {
        const source = await uploads.existing(request.principal.workspaceId, request.query.source);
        if (!source) return { source: null, documents: [] };
        const documents = await uploads.list(source);
        return {
          source: { id: source.id, name: source.name, version: source.version },
          documents: documents.map(({ blobKey: _key, ...document }) => document),
        };
      },
    );

    app.delete(
      '/v1/kb/uploads/:name',
      {
        config: { access: { role: 'manager', scope: 'kb:write' } },
        schema: {
          summary:
            'Delete an uploaded document: its indexed text, its chunks and every stored original',
          tags: ['knowledge'],
          params: z.object({ name: z.string().min(1).max(200) }),
          querystring: z.object({ source: z.string().min(1).max(64).optional() }),
          response: { 204: z.null(), 404: errorSchema, 400: errorSchema, 422: errorSchema },
        },
      },
      async (request, reply) => {
        const source = await uploads.source(request.principal.workspaceId, request.query.source);
        if (!(await uploads.remove(source, request.params.name))) {
          throw new NotFoundError(
            'upload_not_found',
            `No uploaded document named ${request.params.name}`,
            {
              name: request.params.name,
            },
          );
        }
        await uploads.index(source);
        return reply.status(204).send(null);
      },
    );
  };
