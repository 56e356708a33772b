/**
 * One base error for everything Keel raises on purpose. The API's error handler is the only
 * place that turns these into HTTP responses: `{"error":{"code","message","details"}}`.
 *
 * @example
 *   throw new NotFoundError('source_not_found', `No knowledge source with id ${id}`);
 */
export class KeelError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status: number = 500,
    readonly details: Record<string, unknown> = {},
    readonly retryable = false,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

/** The caller sent something wrong: a 400 with the field or value named in `details`. */
export class ValidationError extends KeelError {
  constructor(code: string, message: string, details: Record<string, unknown> = {}) {
    super(code, message, 400, details);
  }
}

export class NotFoundError extends KeelError {
  constructor(code: string, message: string, details: Record<string, unknown> = {}) {
    super(code, message, 404, details);
  }
}

export class ConflictError extends KeelError {
  constructor(code: string, message: string, details: Record<string, unknown> = {}) {
    super(code, message, 409, details);
  }
}

/** A request refused by policy (input governor). Not an error of the server. */
export class PolicyRefusalError extends KeelError {
  constructor(code: string, message: string, details: Record<string, unknown> = {}) {
    super(code, message, 422, details);
  }
}

/** An upstream (model provider, git, disk) failed; `retryable` says whether trying again may help. */
export class UpstreamError extends KeelError {
  constructor(
    code: string,
    message: string,
    details: Record<string, unknown> = {},
    retryable = true,
    status = 502,
  ) {
    super(code, message, status, details, retryable);
  }
}

/** Start-up or configuration is wrong; never reaches an HTTP caller. */
export class ConfigError extends KeelError {
  constructor(
    message: string,
    readonly problems: { variable: string; message: string }[] = [],
  ) {
    super('config_invalid', message, 500, { problems });
  }
}

export function isKeelError(value: unknown): value is KeelError {
  return value instanceof KeelError;
}
