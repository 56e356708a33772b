import { existsSync } from 'node:fs';
import { parseAllowList } from '../net/allow-list.js';
import { assertStrongEnough } from './argon2-params.js';
import type { ConfigProblem } from './config.js';
import { checkSecretStrength } from './secret-strength.js';
import type {
  ChatProviderName,
  Config,
  EmbeddingProviderName,
  VisionProviderName,
} from './to-config.js';

const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '::1']);

const KEY_VARIABLE: Partial<
  Record<ChatProviderName | EmbeddingProviderName | VisionProviderName, string>
> = {
  openai: 'OPENAI_API_KEY',
  groq: 'GROQ_API_KEY',
  gemini: 'GEMINI_API_KEY',
};

/** The problems no single variable shows: combinations, and secrets too weak for the profile. */
export function crossCheck(config: Config): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  if (!config.auth.enabled && !LOOPBACK_HOSTS.has(config.server.host)) {
    problems.push({
      variable: 'KEEL_AUTH',
      message: `must be "on" to bind KEEL_HOST "${config.server.host}": without sign-in Keel serves loopback (127.0.0.1, ::1, localhost) only`,
    });
  }
  try {
    assertStrongEnough(config.auth.argon2);
  } catch (error) {
    problems.push({ variable: 'KEEL_ARGON2_MEMORY_KIB', message: (error as Error).message });
  }
  const s3 = config.blobs.s3;
  if (s3 && Boolean(s3.accessKeyId) !== Boolean(s3.secretAccessKey)) {
    problems.push({
      variable: s3.accessKeyId ? 'S3_SECRET_ACCESS_KEY' : 'S3_ACCESS_KEY_ID',
      message: 'is needed with its partner (set both or neither)',
    });
  }
  if (config.database.readUrl && !config.database.url) {
    problems.push({
      variable: 'DATABASE_READ_URL',
      message: 'needs DATABASE_URL (a replica of what?)',
    });
  }
  if (config.orchestrator.url) {
    const weakness = checkSecretStrength(config.orchestrator.secret);
    if (weakness)
      problems.push({
        variable: 'KEEL_INTERNAL_SECRET',
        message: `${weakness} (required with KEEL_ORCHESTRATOR_URL)`,
      });
  }
  if (config.webhooks.secret !== undefined) {
    // Receivers verify with it; a guessable one lets anyone forge Keel's deliveries.
    const weakness = checkSecretStrength(config.webhooks.secret);
    if (weakness) problems.push({ variable: 'KEEL_WEBHOOK_SECRET', message: weakness });
  }
  if (config.profile !== 'development' || config.credentialsKey !== undefined) {
    // Every process (api, worker) must open what another sealed: a key generated per data
    // folder would not do beyond one machine.
    const weakness = checkSecretStrength(config.credentialsKey);
    if (weakness)
      problems.push({
        variable: 'KEEL_CREDENTIALS_KEY',
        message:
          config.credentialsKey === undefined
            ? `is required in ${config.profile}: a key is generated in development only`
            : weakness,
      });
  }
  try {
    parseAllowList(config.outbound.allow);
  } catch (error) {
    problems.push({ variable: 'KEEL_OUTBOUND_ALLOW', message: (error as Error).message });
  }
  const { keysJson, keysFile } = config.auth.jwt;
  if (keysJson && keysFile) {
    problems.push({
      variable: 'KEEL_JWT_KEYS',
      message: 'and KEEL_JWT_KEYS_FILE are both set; keep one',
    });
  }
  if (keysFile && !existsSync(keysFile)) {
    problems.push({
      variable: 'KEEL_JWT_KEYS_FILE',
      message: `names ${keysFile}, which does not exist`,
    });
  }
  if (
    config.auth.enabled &&
    config.profile !== 'development' &&
    !config.auth.jwt.keysJson &&
    !config.auth.jwt.keysFile
  ) {
    problems.push({
      variable: 'KEEL_JWT_KEYS',
      message: `(or KEEL_JWT_KEYS_FILE) is required in ${config.profile}: signing keys are generated in development only`,
    });
  }
  const { providers } = config;
  const used = new Set<ChatProviderName | EmbeddingProviderName | VisionProviderName>([
    providers.chat,
    ...providers.fallback,
    providers.embeddings,
    providers.vision.provider,
  ]);
  for (const name of used) {
    const variable = KEY_VARIABLE[name];
    if (variable && !providers[name as 'openai' | 'groq' | 'gemini'].apiKey) {
      problems.push({ variable, message: `is required because provider "${name}" is selected` });
    }
  }
  if (config.profile === 'production') {
    const weakness = checkSecretStrength(config.secret);
    if (weakness) problems.push({ variable: 'KEEL_SECRET', message: weakness });
    // "null" is the Origin of sandboxed iframes and file:// pages: allowing it allows anyone.
    const notOrigins = config.server.corsOrigins.filter((origin) => !isWebOrigin(origin));
    if (notOrigins.length > 0) {
      problems.push({
        variable: 'KEEL_CORS_ORIGINS',
        message: `must list origins (https://app.example.com), not ${notOrigins.map((origin) => JSON.stringify(origin)).join(', ')}, in production`,
      });
    }
  } else if (config.secret !== undefined) {
    const weakness = checkSecretStrength(config.secret);
    if (weakness) problems.push({ variable: 'KEEL_SECRET', message: weakness });
  }
  return problems;
}

/** `https://host[:port]` or `http://…` exactly as a browser sends it in `Origin`: no path, no `*`, no `null`. */
function isWebOrigin(value: string): boolean {
  try {
    const url = new URL(value);
    return (url.protocol === 'https:' || url.protocol === 'http:') && url.origin === value;
  } catch {
    return false;
  }
}
