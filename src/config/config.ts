import { existsSync, readFileSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml } from 'yaml';
import { ConfigError } from '../errors.js';
import { assertStrongEnough } from './argon2-params.js';
import { readSecretFiles, secretVariableNames } from './secret-files.js';
import { checkSecretStrength } from './secret-strength.js';
import { parseAllowList } from '../net/allow-list.js';
import type {
  chatProviderNames,
  embeddingProviderNames,
  visionProviderNames,
} from './variables.js';
import { type Variables, variableDocs, variablesSchema } from './variables.js';

export type ChatProviderName = (typeof chatProviderNames)[number];
export type EmbeddingProviderName = (typeof embeddingProviderNames)[number];
export type VisionProviderName = (typeof visionProviderNames)[number];
export type Profile = Variables['KEEL_PROFILE'];

export interface RemoteProviderConfig {
  apiKey: string | undefined;
  baseUrl: string;
  model: string;
}

/** The parsed, cross-checked configuration every component receives. */
export interface Config {
  profile: Profile;
  server: {
    host: string;
    port: number;
    maxBodyBytes: number;
    /** `POST /v1/kb/uploads`: largest file, largest total per request. */
    uploadMaxFileBytes: number;
    uploadMaxRequestBytes: number;
    corsOrigins: string[];
    trustProxy: boolean | number | string[];
  };
  dataDir: string;
  knowledgeDir: string;
  bundledKnowledge: boolean;
  policiesDir: string;
  /** The policy version this environment must run (`KEEL_POLICY_VERSION`). */
  policyVersion: string | undefined;
  logLevel: Variables['KEEL_LOG_LEVEL'];
  secret: string | undefined;
  /** Encrypts git source credentials at rest; development generates one when unset. */
  credentialsKey: string | undefined;
  auth: {
    enabled: boolean;
    openRegistration: boolean;
    jwt: {
      keysJson: string | undefined;
      keysFile: string | undefined;
      issuer: string;
      audience: string;
      accessTtlSeconds: number;
      refreshTtlSeconds: number;
      /** Seconds a just-rotated refresh token still returns the same successor. */
      refreshReuseGraceSeconds: number;
    };
    argon2: { memoryKiB: number; iterations: number; parallelism: number };
  };
  limits: {
    authPerMinute: number;
    chatPerMinute: number;
    searchPerMinute: number;
    quotas: Variables['KEEL_QUOTAS'];
    prices: Variables['KEEL_PRICES'];
  };
  database: { url: string | undefined; readUrl: string | undefined; poolMax: number };
  redis: { url: string | undefined };
  blobs: {
    s3:
      | {
          endpoint: string;
          bucket: string;
          region: string;
          accessKeyId: string | undefined;
          secretAccessKey: string | undefined;
          forcePathStyle: boolean;
        }
      | undefined;
  };
  orchestrator: {
    url: string | undefined;
    port: number;
    secret: string | undefined;
    /** The API's wait for a whole answer, or for the next bytes of a streamed one. */
    timeoutMs: number;
  };
  /** `keel worker`'s probe and metrics port. */
  worker: { port: number };
  /** The web app's folder, and the API origin a separately hosted copy of it calls. */
  web: { dir: string; apiOrigin: string | undefined };
  /** Exceptions to the outbound address guard (`KEEL_OUTBOUND_ALLOW`). */
  outbound: { allow: string[] };
  /** Signing secret of outbound webhook deliveries (`KEEL_WEBHOOK_SECRET`). */
  webhooks: { secret: string | undefined };
  providers: {
    chat: ChatProviderName;
    fallback: ChatProviderName[];
    embeddings: EmbeddingProviderName;
    embeddingModel: string | undefined;
    timeoutMs: number;
    retries: number;
    openai: RemoteProviderConfig;
    groq: RemoteProviderConfig;
    ollama: RemoteProviderConfig;
    gemini: RemoteProviderConfig;
    /** The OpenAI-compatible image server; undefined (no `images` queue) without KEEL_IMAGES_URL. */
    images: (RemoteProviderConfig & { timeoutMs: number }) | undefined;
    /** Image analysis: which provider (at its base URL, with its key), model and size limit. */
    vision: { provider: VisionProviderName; model: string | undefined; maxImageBytes: number };
  };
}

export interface ConfigProblem {
  variable: string;
  message: string;
}

/**
 * The folder that holds Keel's package.json (a checkout, or the install in an image): found by
 * walking up from this module, which sits in src/config/ or in a chunk of the bundled dist/.
 */
export const installRoot = findInstallRoot(dirname(fileURLToPath(import.meta.url)));

function findInstallRoot(start: string): string {
  for (let folder = start; ; folder = dirname(folder)) {
    if (existsSync(join(folder, 'package.json'))) return folder;
    if (dirname(folder) === folder) return resolve(start, '..', '..');
  }
}

const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '::1']);

/** Every secret may come from a file instead: `KEEL_SECRET_FILE=/run/secrets/keel_secret`. */
const SECRET_VARIABLES = secretVariableNames(variableDocs).filter(
  // KEEL_JWT_KEYS_FILE is a setting of its own (read by the signing-key loader).
  (name) => !(`${name}_FILE` in variableDocs),
);
const SECRET_FILE_VARIABLES = new Set(SECRET_VARIABLES.map((name) => `${name}_FILE`));

export interface LoadOptions {
  env?: NodeJS.ProcessEnv;
  /** Path of an optional YAML file with the same variable names; default `keel.yaml` in cwd. */
  file?: string;
  cwd?: string;
}

/** Reads variables from `keel.yaml` (if present) and the environment; the environment wins. */
function readRaw(options: LoadOptions): {
  raw: Record<string, unknown>;
  problems: ConfigProblem[];
} {
  const env = options.env ?? process.env;
  const cwd = options.cwd ?? process.cwd();
  const file = options.file ?? env.KEEL_CONFIG ?? resolve(cwd, 'keel.yaml');
  const problems: ConfigProblem[] = [];
  let fromFile: Record<string, unknown> = {};
  if (existsSync(file)) {
    try {
      const parsed: unknown = parseYaml(readFileSync(file, 'utf8'));
      if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) {
        fromFile = parsed as Record<string, unknown>;
      } else if (parsed != null) {
        problems.push({ variable: file, message: 'must be a mapping of VARIABLE: value' });
      }
    } catch (error) {
      problems.push({ variable: file, message: `is not valid YAML: ${(error as Error).message}` });
    }
    for (const key of Object.keys(fromFile)) {
      if (!(key in variableDocs) && !SECRET_FILE_VARIABLES.has(key)) {
        problems.push({ variable: key, message: `unknown setting in ${file}` });
      }
    }
  }
  const raw: Record<string, unknown> = {};
  for (const name of [...Object.keys(variableDocs), ...SECRET_FILE_VARIABLES]) {
    const value = env[name] !== undefined && env[name] !== '' ? env[name] : fromFile[name];
    if (value !== undefined && value !== null && value !== '') raw[name] = value;
  }
  const secrets = readSecretFiles(SECRET_VARIABLES, raw);
  problems.push(...secrets.problems);
  for (const name of SECRET_FILE_VARIABLES) delete raw[name];
  return { raw: { ...raw, ...secrets.values }, problems };
}

/** Every problem with the configuration, each naming its variable; empty when it is usable. */
export function checkConfig(options: LoadOptions = {}): {
  config?: Config;
  problems: ConfigProblem[];
} {
  const { raw, problems } = readRaw(options);
  const parsed = variablesSchema.safeParse(raw);
  if (parsed.success) {
    const config = toConfig(parsed.data, options.cwd ?? process.cwd());
    problems.push(...crossCheck(config));
    return { config, problems };
  }
  const invalid = new Set<string>();
  for (const issue of parsed.error.issues) {
    const variable = String(issue.path[0] ?? '?');
    invalid.add(variable);
    problems.push({ variable, message: issue.message });
  }
  // The cross-field checks still run, with defaults in place of the invalid values, so one run
  // of `keel config check` names every problem at once.
  const rest = variablesSchema.safeParse(
    Object.fromEntries(Object.entries(raw).filter(([name]) => !invalid.has(name))),
  );
  if (rest.success) {
    const crossProblems = crossCheck(toConfig(rest.data, options.cwd ?? process.cwd()));
    problems.push(...crossProblems.filter((problem) => !invalid.has(problem.variable)));
  }
  return { problems };
}

/** Parses the configuration once at start-up; throws a ConfigError naming every bad variable. */
export function loadConfig(options: LoadOptions = {}): Config {
  const { config, problems } = checkConfig(options);
  if (!config || problems.length > 0) {
    const lines = problems.map((problem) => `  ${problem.variable}: ${problem.message}`);
    throw new ConfigError(`Keel's configuration has problems:\n${lines.join('\n')}`, problems);
  }
  return config;
}

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

/** Puts DATABASE_PASSWORD into a connection URL that has none of its own. */
function withPassword(url: string | undefined, password: string | undefined): string | undefined {
  if (!url || !password) return url;
  const parsed = new URL(url);
  if (parsed.password) return url;
  parsed.password = encodeURIComponent(password);
  return parsed.toString();
}

function toConfig(variables: Variables, cwd: string): Config {
  const chat = pickChatProvider(variables);
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
      chat,
      fallback: variables.KEEL_LLM_FALLBACK,
      embeddings: pickEmbeddings(variables),
      embeddingModel: variables.KEEL_EMBEDDING_MODEL,
      timeoutMs: variables.KEEL_PROVIDER_TIMEOUT_MS,
      retries: variables.KEEL_PROVIDER_RETRIES,
      openai: {
        apiKey: variables.OPENAI_API_KEY,
        baseUrl: variables.OPENAI_BASE_URL,
        model: variables.OPENAI_MODEL,
      },
      groq: {
        apiKey: variables.GROQ_API_KEY,
        baseUrl: variables.GROQ_BASE_URL,
        model: variables.GROQ_MODEL,
      },
      ollama: {
        apiKey: undefined,
        baseUrl: variables.OLLAMA_BASE_URL,
        model: variables.OLLAMA_MODEL,
      },
      gemini: {
        apiKey: variables.GEMINI_API_KEY,
        baseUrl: variables.GEMINI_BASE_URL,
        model: variables.GEMINI_MODEL,
      },
      images: variables.KEEL_IMAGES_URL
        ? {
            apiKey: variables.KEEL_IMAGES_API_KEY,
            baseUrl: variables.KEEL_IMAGES_URL,
            model: variables.KEEL_IMAGES_MODEL,
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

const KEY_VARIABLE: Partial<
  Record<ChatProviderName | EmbeddingProviderName | VisionProviderName, string>
> = {
  openai: 'OPENAI_API_KEY',
  groq: 'GROQ_API_KEY',
  gemini: 'GEMINI_API_KEY',
};

function crossCheck(config: Config): ConfigProblem[] {
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
