import { KeelError } from '../errors.js';

/**
 * The caller did not prove who they are: a missing, malformed, expired or forged credential.
 * Always a 401; the message says what is wrong in general terms and never echoes the credential.
 *
 * @example
 *   throw new AuthenticationError('invalid_token', 'The access token has expired');
 */
export class AuthenticationError extends KeelError {
  constructor(code: string, message: string, details: Record<string, unknown> = {}) {
    super(code, message, 401, details);
  }
}

/**
 * The caller is known but may not do this (role, scope or workspace): a 403.
 *
 * @example
 *   throw new ForbiddenError('scope_missing', 'This API key lacks the "kb:write" scope');
 */
export class ForbiddenError extends KeelError {
  constructor(code: string, message: string, details: Record<string, unknown> = {}) {
    super(code, message, 403, details);
  }
}
