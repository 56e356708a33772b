import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { hasZodFastifySchemaValidationErrors } from 'fastify-type-provider-zod';
import { isKeelError } from '../errors.js';

export interface ErrorBody {
  error: { code: string; message: string; details: Record<string, unknown> };
}

/** Fastify's own 4xx codes, renamed to Keel's vocabulary. */
const FASTIFY_CODES: Record<string, string> = {
  FST_ERR_CTP_BODY_TOO_LARGE: 'body_too_large',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'unsupported_media_type',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'invalid_json',
  FST_ERR_CTP_INVALID_JSON_BODY: 'invalid_json',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'invalid_request',
  FST_ERR_VALIDATION: 'invalid_request',
  FST_REQ_FILE_TOO_LARGE: 'file_too_large',
  FST_FILES_LIMIT: 'too_many_files',
  FST_PARTS_LIMIT: 'too_many_parts',
  FST_INVALID_MULTIPART_CONTENT_TYPE: 'unsupported_media_type',
};

/** Seconds a client should wait: given directly (rate limits) or until a quota resets. */
function retryAfterSeconds(details: Record<string, unknown>): number | undefined {
  if (typeof details.retryAfterSeconds === 'number') return details.retryAfterSeconds;
  if (typeof details.resetsAt === 'string')
    return Math.max(1, Math.ceil((Date.parse(details.resetsAt) - Date.now()) / 1000));
  return undefined;
}

export function errorBody(
  code: string,
  message: string,
  details: Record<string, unknown> = {},
): ErrorBody {
  return { error: { code, message, details } };
}

/**
 * The one place errors become HTTP responses. Callers' mistakes get a 4xx naming the problem;
 * anything else is a 500 that says nothing of the internals (the log has the detail).
 * `shape` rewrites the body for routes that speak another protocol's error format (OpenAI's).
 */
export function handleError(
  error: FastifyError,
  request: FastifyRequest,
  reply: FastifyReply,
  shape: (status: number, body: ErrorBody) => unknown = (_status, body) => body,
): void {
  const send = (status: number, body: ErrorBody) =>
    void reply.status(status).send(shape(status, body));
  if (hasZodFastifySchemaValidationErrors(error)) {
    const issues = error.validation.map((issue) => ({
      path: `${error.validationContext ?? 'body'}${issue.instancePath.replaceAll('/', '.')}`,
      message: issue.message ?? 'is invalid',
    }));
    const summary = issues.map((issue) => `${issue.path}: ${issue.message}`).join('; ');
    send(400, errorBody('invalid_request', `Invalid request: ${summary}`, { issues }));
    return;
  }
  if (isKeelError(error)) {
    const retryAfter = retryAfterSeconds(error.details);
    if (error.status === 429 && retryAfter) void reply.header('retry-after', String(retryAfter));
    if (error.status >= 500)
      request.log.warn({ code: error.code, err: error.message }, 'request failed upstream');
    send(error.status, errorBody(error.code, error.message, error.details));
    return;
  }
  const status = error.statusCode ?? 500;
  if (status >= 400 && status < 500) {
    const code =
      FASTIFY_CODES[error.code] ??
      (status === 429 ? 'rate_limited' : status === 404 ? 'not_found' : 'bad_request');
    send(status, errorBody(code, error.message));
    return;
  }
  request.log.error({ err: error }, 'unhandled error');
  send(
    500,
    errorBody(
      'internal_error',
      'Keel hit an internal error; the request id in x-request-id finds it in the log',
      { requestId: request.id },
    ),
  );
}
