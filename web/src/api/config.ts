import { appConfigSchema } from './schemas';

export interface AppConfig {
  /** Where the API lives: '' for the origin that served the app. */
  apiOrigin: string;
  /** null when the server did not say (older server, or a CDN without /config.json). */
  authEnabled: boolean | null;
  setupRequired: boolean;
}

/**
 * `/config.json` beside the app names the API (so one build can be hosted on any CDN); without
 * it the build-time `VITE_KEEL_API_ORIGIN`, else the same origin.
 */
export async function loadConfig(): Promise<AppConfig> {
  const fallback = (import.meta.env.VITE_KEEL_API_ORIGIN as string | undefined) ?? '';
  try {
    const response = await fetch('./config.json', {
      headers: { accept: 'application/json' },
      cache: 'no-store',
    });
    if (!response.ok) throw new Error(String(response.status));
    const parsed = appConfigSchema.parse(await response.json());
    return {
      apiOrigin: parsed.apiOrigin ?? fallback,
      authEnabled: parsed.authEnabled ?? null,
      setupRequired: parsed.setupRequired ?? false,
    };
  } catch {
    return { apiOrigin: fallback, authEnabled: null, setupRequired: false };
  }
}
