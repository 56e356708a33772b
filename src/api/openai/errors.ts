import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { type ErrorBody, handleError } from '../error-handler.js';

/** OpenAI's error `type` for an HTTP status (and Keel code), as its clients branch on it. */
export function openAiErrorType(status: number, code: string): string {
  if (code === 'quota_exceeded') return 'insufficient_quota';
  if (status === 401) return 'authentication_error';
  if (status === 403) return 'permission_error';
  if (status === 404) return 'not_found_error';
  if (status === 429) return 'rate_limit_error';
  if (status >= 500) return 'api_error';
  return 'invalid_request_error';
}

/** Keel's error body, with OpenAI's `type` and `param` beside `code`, `message` and `details`. */
export function openAiError(status: number, body: ErrorBody) {
  const { code, message, details } = body.error;
  const issues = details.issues as { path?: string }[] | undefined;
  const param = issues?.[0]?.path?.replace(/^body\.?/, '') || null;
  return { error: { message, type: openAiErrorType(status, code), param, code, details } };
}

/** The error handler of the OpenAI-compatible routes: Keel's one handler, in OpenAI's shape. */
export function handleOpenAiError(
  error: FastifyError,
  request: FastifyRequest,
  reply: FastifyReply,
): void {
  handleError(error, request, reply, openAiError);
}
