import { errorBodySchema } from './schemas';

/** Any failed request, in the API's own error shape; the UI shows `message` and keeps `code`. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

/** Reads an error response; a proxy's HTML page or an empty body still yields a sentence. */
export async function errorFromResponse(response: Response): Promise<ApiError> {
  const text = await response.text().catch(() => '');
  try {
    const parsed = errorBodySchema.safeParse(JSON.parse(text));
    if (parsed.success) {
      const { code, message, details } = parsed.data.error;
      return new ApiError(response.status, code, message, details ?? {});
    }
  } catch {
    // Not JSON: fall through to the generic message.
  }
  return new ApiError(
    response.status,
    `http_${response.status}`,
    `The server answered ${response.status} ${response.statusText}`.trim(),
  );
}

/** A network failure (server down, CORS refused) as an ApiError, so every screen shows one kind. */
export function networkError(error: unknown): ApiError {
  const reason = error instanceof Error ? error.message : String(error);
  return new ApiError(0, 'network_error', `Could not reach Keel (${reason})`);
}

export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
