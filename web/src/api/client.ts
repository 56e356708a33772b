import { ApiError, errorFromResponse, networkError } from './errors';
import { tokenPairSchema } from './schemas';

/**
 * The one way the app talks to Keel. The access token lives in this module's memory only — never
 * in localStorage, where any injected script could read it; the refresh token is the httpOnly
 * `keel_refresh` cookie (path /v1/auth) that no script can see. A 401 refreshes once and retries.
 */
let apiOrigin = '';
let accessToken: string | null = null;
let refreshTimer: ReturnType<typeof setTimeout> | undefined;
let refreshing: Promise<boolean> | null = null;
let sessionLost: () => void = () => {};

export function configureApi(options: { origin: string; onSessionLost?: () => void }): void {
  apiOrigin = options.origin.replace(/\/+$/, '');
  if (options.onSessionLost) sessionLost = options.onSessionLost;
}

export function apiUrl(path: string, query?: Record<string, string | number | undefined>): string {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(query ?? {}))
    if (value !== undefined && value !== '') search.set(key, String(value));
  const suffix = search.size > 0 ? `?${search.toString()}` : '';
  return `${apiOrigin}${path}${suffix}`;
}

export function hasAccessToken(): boolean {
  return accessToken !== null;
}

/** Keeps a new access token in memory and schedules its renewal a minute before it expires. */
export function acceptTokens(json: unknown): void {
  const pair = tokenPairSchema.parse(json);
  accessToken = pair.accessToken;
  clearTimeout(refreshTimer);
  const renewInMs = Math.max(10, pair.expiresIn - 60) * 1000;
  refreshTimer = setTimeout(() => void refreshSession(), renewInMs);
}

export function forgetTokens(): void {
  accessToken = null;
  clearTimeout(refreshTimer);
}

/**
 * Trades the refresh cookie for a new token pair. Concurrent callers share one request: the
 * refresh token rotates on every use, and presenting the old one twice would end the session
 * (reuse detection).
 */
export function refreshSession(): Promise<boolean> {
  refreshing ??= (async () => {
    try {
      const response = await fetch(apiUrl('/v1/auth/refresh'), {
        method: 'POST',
        credentials: 'include',
        headers: { accept: 'application/json' },
      });
      if (!response.ok) {
        forgetTokens();
        return false;
      }
      acceptTokens(await response.json());
      return true;
    } catch {
      return false;
    } finally {
      refreshing = null;
    }
  })();
  return refreshing;
}

export interface RequestOptions {
  method?: string;
  body?: unknown;
  query?: Record<string, string | number | undefined>;
  signal?: AbortSignal;
  accept?: string;
  /** More request headers (`last-event-id` to resume an event stream). */
  headers?: Record<string, string>;
}

async function send(path: string, options: RequestOptions): Promise<Response> {
  const headers: Record<string, string> = {
    ...options.headers,
    accept: options.accept ?? 'application/json',
  };
  if (options.body !== undefined) headers['content-type'] = 'application/json';
  if (accessToken) headers.authorization = `Bearer ${accessToken}`;
  try {
    return await fetch(apiUrl(path, options.query), {
      method: options.method ?? 'GET',
      headers,
      credentials: 'include',
      body: options.body === undefined ? null : JSON.stringify(options.body),
      signal: options.signal ?? null,
    });
  } catch (error) {
    if (options.signal?.aborted) throw error;
    throw networkError(error);
  }
}

/** A successful response (2xx) or an ApiError; a 401 with an expired token refreshes and retries. */
export async function request(path: string, options: RequestOptions = {}): Promise<Response> {
  let response = await send(path, options);
  if (response.status === 401 && accessToken && !path.startsWith('/v1/auth/')) {
    if (await refreshSession()) response = await send(path, options);
    else sessionLost();
  }
  if (!response.ok) throw await errorFromResponse(response);
  return response;
}

/** JSON of a successful call; 204 gives undefined. */
export async function api<T>(path: string, options: RequestOptions = {}): Promise<T> {
  const response = await request(path, options);
  if (response.status === 204) return undefined as T;
  try {
    return (await response.json()) as T;
  } catch {
    throw new ApiError(
      response.status,
      'invalid_response',
      'The server sent a response that is not JSON',
    );
  }
}

/** What `POST /v1/kb/uploads` answers for one file. */
export interface UploadResult {
  files: { name: string; path: string; bytes: number }[];
  errors: { name: string; status: number; code: string; message: string }[];
}

function sendUpload(
  file: File,
  onProgress: (fraction: number) => void,
): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    // fetch() reports no upload progress; XMLHttpRequest does.
    const xhr = new XMLHttpRequest();
    xhr.open('POST', apiUrl('/v1/kb/uploads'));
    xhr.withCredentials = true;
    xhr.setRequestHeader('accept', 'application/json');
    if (accessToken) xhr.setRequestHeader('authorization', `Bearer ${accessToken}`);
    xhr.upload.onprogress = (event) => {
      if (event.lengthComputable) onProgress(event.loaded / event.total);
    };
    xhr.onload = () => resolve({ status: xhr.status, text: xhr.responseText });
    xhr.onerror = () => reject(networkError(new Error('the upload was interrupted')));
    const form = new FormData();
    form.append('file', file, file.name);
    xhr.send(form);
  });
}

/**
 * Uploads one file into the workspace's knowledge, reporting the share of bytes sent; a 401 with
 * an expired token refreshes and retries once, like {@link request}.
 */
export async function uploadFile(
  file: File,
  onProgress: (fraction: number) => void,
): Promise<UploadResult> {
  let reply = await sendUpload(file, onProgress);
  if (reply.status === 401 && accessToken) {
    if (await refreshSession()) reply = await sendUpload(file, onProgress);
    else sessionLost();
  }
  const response = new Response(reply.text, { status: reply.status });
  if (!response.ok) throw await errorFromResponse(response);
  return (await response.json()) as UploadResult;
}
