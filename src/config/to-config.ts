import { isAbsolute, resolve } from 'node:path';
import { installRoot } from './install-root.js';
import type {
  chatProviderNames,
  embeddingProviderNames,
  visionProviderNames,
  Variables,
} from './variables.js';

export type ChatProviderName = (typeof chatProviderNames)[number];
export type EmbeddingProviderName = (typeof embeddingProviderNames)[number];
export type VisionProviderName = (typeof visionProviderNames)[number];

/** The parsed, cross-checked configuration every component receives. */
export type Config = ReturnType<typeof toConfig>;

function resolvePath(path: string, cwd: string): string {
  return isAbsolute(path) ? path : resolve(cwd, path);
}

function pickChatProvider(variables: Variables): ChatProviderName {
  if (variables.KEEL_LLM !== 'auto') return variables.KEEL_LLM;
  if (variables.OPENAI_API_KEY) return 'openai';
  if (variables.GEMINI_API_KEY) return 'gemini';
  if (variables.GROQ_API_KEY) return 'groq';
  return 'extractive';
}

function pickVision(variables: Variables): VisionProviderName {
  if (variables.KEEL_VISION !== 'auto') return variables.KEEL_VISION;
  if (variables.OPENAI_API_KEY) return 'openai';
  if (variables.GEMINI_API_KEY) return 'gemini';
  return 'none';
}

function pickEmbeddings(variables: Variables): EmbeddingProviderName {
  if (variables.KEEL_EMBEDDINGS !== 'auto') return variables.KEEL_EMBEDDINGS;
  if (variables.OPENAI_API_KEY) return 'openai';
  if (variables.GEMINI_API_KEY) return 'gemini';
  return 'none';
}

/** A remote provider's endpoint: its key (none for Ollama), base URL and model. */
function remote(apiKey: string | undefined, baseUrl: string, model: string) {
  return { apiKey, baseUrl, model };
}

/** Puts DATABASE_PASSWORD into a connection URL that has none of its own. */
function withPassword(url: string | undefined, password: string | undefined): string | undefined {
  if (!url || !password) return url;
  const parsed = new URL(url);
  if (parsed.password) return url;
  parsed.password = encodeURIComponent(password);
  return parsed.toString();
}

/** Groups the parsed variables by the component that reads them, with paths resolved. */
export function toConfig(variables: Variables, cwd: string) {
  return {
    profile: variables.KEEL_PROFILE,
    server: {
      host: variables.KEEL_HOST,
      port: variables.PORT,
      maxBodyBytes: variables.KEEL_MAX_BODY_BYTES,
      uploadMaxFileBytes: variables.KEEL_UPLOAD_MAX_FILE_BYTES,
      uploadMaxRequestBytes: variables.KEEL_UPLOAD_MAX_REQUEST_BYTES,
      corsOrigins: variables.KEEL_CORS_ORIGINS,
      trustProxy: variables.KEEL_TRUST_PROXY,
    },
    dataDir: resolvePath(variables.KEEL_DATA_DIR, cwd),
    knowledgeDir: resolvePath(
      variables.KEEL_KNOWLEDGE_DIR ?? resolve(installRoot, 'knowledge'),
      cwd,
    ),
    bundledKnowledge: variables.KEEL_BUNDLED_KNOWLEDGE,
    policiesDir: resolvePath(variables.KEEL_POLICIES_DIR ?? resolve(installRoot, 'policies'), cwd),
    policyVersion: variables.KEEL_POLICY_VERSION,
    logLevel: variables.KEEL_LOG_LEVEL,
    secret: variables.KEEL_SECRET,
    credentialsKey: variables.KEEL_CREDENTIALS_KEY,
    auth: {
      enabled: variables.KEEL_AUTH === 'on',
      openRegistration: variables.KEEL_OPEN_REGISTRATION,
      jwt: {
        keysJson: variables.KEEL_JWT_KEYS,
        keysFile: variables.KEEL_JWT_KEYS_FILE && resolvePath(variables.KEEL_JWT_KEYS_FILE, cwd),
        issuer: variables.KEEL_JWT_ISSUER,
        audience: variables.KEEL_JWT_AUDIENCE,
        accessTtlSeconds: variables.KEEL_ACCESS_TOKEN_TTL,
        refreshTtlSeconds: variables.KEEL_REFRESH_TOKEN_TTL,
        refreshReuseGraceSeconds: variables.KEEL_REFRESH_REUSE_GRACE,
      },
      argon2: {
        memoryKiB: variables.KEEL_ARGON2_MEMORY_KIB,
        iterations: variables.KEEL_ARGON2_ITERATIONS,
        parallelism: variables.KEEL_ARGON2_PARALLELISM,
      },
    },
    limits: {
      authPerMinute: variables.KEEL_RATE_LIMIT_AUTH,
      chatPerMinute: variables.KEEL_RATE_LIMIT_CHAT,
      searchPerMinute: variables.KEEL_RATE_LIMIT_SEARCH,
      quotas: variables.KEEL_QUOTAS,
      prices: variables.KEEL_PRICES,
    },
    database: {
      url: withPassword(variables.DATABASE_URL, variables.DATABASE_PASSWORD),
      readUrl: withPassword(variables.DATABASE_READ_URL, variables.DATABASE_PASSWORD),
      poolMax: variables.DATABASE_POOL_MAX,
    },
    redis: { url: variables.REDIS_URL },
    blobs: {
      s3: variables.S3_ENDPOINT
        ? {
            endpoint: variables.S3_ENDPOINT,
            bucket: variables.S3_BUCKET,
            region: variables.S3_REGION,
            accessKeyId: variables.S3_ACCESS_KEY_ID,
            secretAccessKey: variables.S3_SECRET_ACCESS_KEY,
            forcePathStyle: variables.S3_FORCE_PATH_STYLE,
          }
        : undefined,
    },
    orchestrator: {
      url: variables.KEEL_ORCHESTRATOR_URL,
      port: variables.KEEL_ORCHESTRATOR_PORT,
      secret: variables.KEEL_INTERNAL_SECRET,
      // Long enough for the orchestrator's own provider timeouts and retries to play out.
      timeoutMs:
        variables.KEEL_ORCHESTRATOR_TIMEOUT_MS ??
        variables.KEEL_PROVIDER_TIMEOUT_MS * (variables.KEEL_PROVIDER_RETRIES + 1) + 5_000,
    },
    worker: { port: variables.KEEL_WORKER_PORT },
    web: {
      dir: resolvePath(variables.KEEL_WEB_DIR ?? resolve(installRoot, 'web', 'dist'), cwd),
      apiOrigin: variables.KEEL_API_ORIGIN,
    },
    outbound: { allow: variables.KEEL_OUTBOUND_ALLOW },
    webhooks: { secret: variables.KEEL_WEBHOOK_SECRET },
    providers: {
      chat: pickChatProvider(variables),
      fallback: variables.KEEL_LLM_FALLBACK,
      embeddings: pickEmbeddings(variables),
      embeddingModel: variables.KEEL_EMBEDDING_MODEL,
      timeoutMs: variables.KEEL_PROVIDER_TIMEOUT_MS,
      retries: variables.KEEL_PROVIDER_RETRIES,
      openai: remote(variables.OPENAI_API_KEY, variables.OPENAI_BASE_URL, variables.OPENAI_MODEL),
      groq: remote(variables.GROQ_API_KEY, variables.GROQ_BASE_URL, variables.GROQ_MODEL),
      ollama: remote(undefined, variables.OLLAMA_BASE_URL, variables.OLLAMA_MODEL),
      gemini: remote(variables.GEMINI_API_KEY, variables.GEMINI_BASE_URL, variables.GEMINI_MODEL),
      /** The OpenAI-compatible image server; undefined (no `images` queue) without KEEL_IMAGES_URL. */
      images: variables.KEEL_IMAGES_URL
        ? {
            ...remote(
              variables.KEEL_IMAGES_API_KEY,
              variables.KEEL_IMAGES_URL,
              variables.KEEL_IMAGES_MODEL,
            ),
            timeoutMs: variables.KEEL_IMAGES_TIMEOUT_MS,
          }
        : undefined,
      vision: {
        provider: pickVision(variables),
        model: variables.KEEL_VISION_MODEL,
        maxImageBytes: variables.KEEL_VISION_MAX_IMAGE_BYTES,
      },
    },
  };
}
