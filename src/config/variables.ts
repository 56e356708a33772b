import { z } from 'zod';
import { priceTableSchema } from './price-table.js';

const booleanText = z
  .union([z.boolean(), z.enum(['true', 'false', '1', '0', 'yes', 'no', 'on', 'off'])])
  .transform((value) => value === true || ['true', '1', 'yes', 'on'].includes(String(value)));

const port = z.coerce.number().int().min(0).max(65535);
const positiveInt = z.coerce.number().int().positive();
const url = z.url({ protocol: /^https?$/ });
const list = z
  .union([z.string(), z.array(z.string())])
  .transform((value) =>
    (Array.isArray(value) ? value : value.split(','))
      .map((item) => item.trim())
      .filter((item) => item.length > 0),
  );

/** A structured value: an object in keel.yaml, or JSON text in an environment variable. */
function structured<T extends z.ZodType>(schema: T) {
  return z
    .union([z.string(), z.record(z.string(), z.unknown())])
    .transform((value, context) => {
      if (typeof value !== 'string') return value;
      try {
        return JSON.parse(value) as unknown;
      } catch {
        context.addIssue({ code: 'custom', message: 'must be JSON (or a mapping in keel.yaml)' });
        return z.NEVER;
      }
    })
    .pipe(schema);
}

const quotaNumbers = z
  .object({
    calls: z.number().int().positive().optional(),
    tokens: z.number().int().positive().optional(),
    cost: z.number().positive().optional(),
  })
  .strict();
const quotaPeriods = z
  .object({ day: quotaNumbers.optional(), month: quotaNumbers.optional() })
  .strict();
export const quotasSchema = z
  .object({ user: quotaPeriods.optional(), workspace: quotaPeriods.optional() })
  .strict();

export const chatProviderNames = ['extractive', 'openai', 'groq', 'ollama', 'gemini'] as const;
export const embeddingProviderNames = ['none', 'openai', 'ollama', 'gemini'] as const;
export const visionProviderNames = ['none', 'openai', 'ollama', 'gemini'] as const;

interface VariableDoc {
  /** One sentence for the README's configuration table. */
  description: string;
  /** The default as the table shows it, where the schema's own default does not tell it. */
  shownDefault?: string;
  /** A secret: may also be given as a file (`NAME_FILE`), never inline in a deployment. */
  secret?: boolean;
}

const docs = z.registry<VariableDoc>();

/**
 * Every setting Keel reads, by its environment variable name, each with its type, default and
 * description. `keel.yaml` may set the same names; the environment wins. The README's
 * configuration table is generated from this schema (`npm run docs:config`, `keel config docs`)
 * and a test keeps the two equal.
 */
export const variablesSchema = z.object({
  KEEL_PROFILE: z
    .enum(['development', 'staging', 'production'])
    .default('development')
    .register(docs, {
      description:
        '`development`, `staging` or `production`; production refuses weak or missing secrets.',
    }),
  PORT: port.default(8080).register(docs, { description: 'HTTP port of `keel serve`.' }),
  KEEL_HOST: z.string().min(1).default('127.0.0.1').register(docs, {
    description: 'Interface to bind; anything but loopback requires `KEEL_AUTH=on`.',
  }),
  KEEL_DATA_DIR: z
    .string()
    .min(1)
    .default('./data')
    .register(docs, { description: 'Folder for the SQLite database and local state.' }),
  KEEL_KNOWLEDGE_DIR: z.string().min(1).optional().register(docs, {
    description: 'The bundled knowledge base (Keel docs), registered as source `keel-docs`.',
    shownDefault: '<install>/knowledge',
  }),
  KEEL_BUNDLED_KNOWLEDGE: booleanText
    .default(true)
    .register(docs, { description: 'Register and sync the bundled knowledge base at start.' }),
  KEEL_POLICIES_DIR: z.string().min(1).optional().register(docs, {
    description: 'Folder of policy files (YAML) and prompts (Markdown), loaded read-only.',
    shownDefault: '<install>/policies',
  }),
  KEEL_POLICY_VERSION: z
    .string()
    .regex(/^[0-9a-f]{12}$/, 'a policy version: 12 hex characters (keel policy list)')
    .optional()
    .register(docs, {
      description:
        'The policy version this environment runs (12 hex characters, `keel policy list`): activated at start and by `keel migrate` from the database (where `keel policy promote` puts it) or the policies folder; without it there, Keel refuses to start.',
    }),
  KEEL_LOG_LEVEL: z
    .enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])
    .default('info')
    .register(docs, { description: 'pino level: `fatal` … `trace`, or `silent`.' }),
  KEEL_SECRET: z.string().optional().register(docs, {
    description:
      'Key for tamper-evident audit records; required in production, at least 32 characters, not a known weak value.',
    secret: true,
  }),
  KEEL_CREDENTIALS_KEY: z.string().optional().register(docs, {
    description:
      'Key encrypting stored git source credentials (AES-256-GCM); required outside development, at least 32 characters, not a known weak value. Development generates one into the data folder (`credentials-key`).',
    secret: true,
  }),
  KEEL_MAX_BODY_BYTES: positiveInt
    .max(64 * 1024 * 1024)
    .default(262_144)
    .register(docs, { description: 'Largest accepted HTTP request body.' }),
  KEEL_UPLOAD_MAX_FILE_BYTES: positiveInt
    .max(1024 * 1024 * 1024)
    .default(20 * 1024 * 1024)
    .register(docs, {
      description: 'Largest file accepted by `POST /v1/kb/uploads` (413 above it).',
    }),
  KEEL_UPLOAD_MAX_REQUEST_BYTES: positiveInt
    .max(4 * 1024 * 1024 * 1024)
    .default(50 * 1024 * 1024)
    .register(docs, {
      description: 'Largest total of the files in one upload request (413 above it).',
    }),
  KEEL_TRUST_PROXY: z
    .union([z.boolean(), z.number(), z.string()])
    .transform((value): boolean | number | string[] => {
      if (typeof value !== 'string') return value;
      const text = value.trim().toLowerCase();
      if (text === '' || text === 'false') return false;
      if (text === 'true') return true;
      if (/^\d+$/.test(text)) return Number(text);
      return text
        .split(',')
        .map((entry) => entry.trim())
        .filter(Boolean);
    })
    .default(false)
    .register(docs, {
      description:
        'Behind a reverse proxy: `true`, a hop count, or comma-separated proxy addresses/CIDRs whose `X-Forwarded-For` is believed (client IPs for rate limits).',
    }),
  KEEL_OUTBOUND_ALLOW: list.default([]).register(docs, {
    description:
      'Comma-separated exceptions to the outbound address guard for git sources and webhooks: CIDRs (`10.0.0.0/8`, `fd00::/8`), addresses, host names (`git.internal`) or `*.domain`. Without them only public addresses are reached.',
  }),
  KEEL_CORS_ORIGINS: list.default([]).register(docs, {
    description: 'Comma-separated origins allowed to call the API from a browser.',
  }),
  KEEL_WEB_DIR: z.string().min(1).optional().register(docs, {
    description:
      'The built web app (`npm run build`), served at `/` by `keel serve` and `keel api`.',
    shownDefault: '<install>/web/dist',
  }),
  KEEL_API_ORIGIN: z
    .url({ protocol: /^https?$/ })
    .transform((url) => new URL(url).origin)
    .optional()
    .register(docs, {
      description:
        'Origin a separately hosted web app calls the API at (e.g. `https://api.example.com`); served in `/config.json` and allowed in the CSP `connect-src`.',
      shownDefault: '(none: same origin)',
    }),
  KEEL_AUTH: z.enum(['on', 'off']).default('off').register(docs, {
    description:
      '`on` requires sign-in (tokens or API keys) on every `/v1` route; `off` is allowed only on a loopback `KEEL_HOST`.',
  }),
  KEEL_OPEN_REGISTRATION: booleanText.default(false).register(docs, {
    description:
      'Let anyone `POST /v1/auth/register` and join the default workspace as `user`; off, admins create accounts.',
  }),
  KEEL_JWT_KEYS: z.string().min(1).optional().register(docs, {
    description:
      'JSON `{"keys":[private Ed25519 JWK…]}`; the first signs, all verify (rotation). Generated into the data folder in development only.',
    secret: true,
  }),
  KEEL_JWT_KEYS_FILE: z
    .string()
    .min(1)
    .optional()
    .register(docs, { description: 'Path of a file holding `KEEL_JWT_KEYS`.' }),
  KEEL_JWT_ISSUER: z
    .string()
    .min(1)
    .default('keel')
    .register(docs, { description: 'JWT `iss` issued and required.' }),
  KEEL_JWT_AUDIENCE: z
    .string()
    .min(1)
    .default('keel-api')
    .register(docs, { description: 'JWT `aud` issued and required.' }),
  KEEL_ACCESS_TOKEN_TTL: z.coerce
    .number()
    .int()
    .min(60)
    .max(86_400)
    .default(900)
    .register(docs, { description: 'Access-token lifetime in seconds (15 minutes).' }),
  KEEL_REFRESH_TOKEN_TTL: z.coerce
    .number()
    .int()
    .min(300)
    .max(90 * 86_400)
    .default(604_800)
    .register(docs, {
      description: 'Refresh-token lifetime in seconds (7 days); every use rotates it.',
    }),
  KEEL_REFRESH_REUSE_GRACE: z.coerce.number().int().min(0).max(60).default(10).register(docs, {
    description:
      'Seconds a just-rotated refresh token still returns the same successor (two tabs refreshing together); 0 turns this off.',
  }),
  KEEL_ARGON2_MEMORY_KIB: z.coerce
    .number()
    .int()
    .positive()
    .default(65_536)
    .register(docs, { description: 'Argon2id memory (KiB); never below OWASP’s minimum.' }),
  KEEL_ARGON2_ITERATIONS: z.coerce
    .number()
    .int()
    .positive()
    .default(3)
    .register(docs, { description: 'Argon2id iterations.' }),
  KEEL_ARGON2_PARALLELISM: z.coerce
    .number()
    .int()
    .positive()
    .max(64)
    .default(4)
    .register(docs, { description: 'Argon2id parallelism.' }),
  KEEL_RATE_LIMIT_AUTH: z.coerce.number().int().positive().default(20).register(docs, {
    description:
      'Requests per minute per IP address on `/v1/auth/*` (plus lockout after repeated failed sign-ins).',
  }),
  KEEL_RATE_LIMIT_CHAT: z.coerce
    .number()
    .int()
    .positive()
    .default(30)
    .register(docs, { description: 'Chat requests per minute per user and per API key.' }),
  KEEL_RATE_LIMIT_SEARCH: z.coerce
    .number()
    .int()
    .positive()
    .default(120)
    .register(docs, { description: 'Search requests per minute per user and per API key.' }),
  KEEL_QUOTAS: structured(quotasSchema).default({}).register(docs, {
    description:
      'Daily/monthly limits of `calls`, `tokens` and `cost` per `user` and `workspace`, e.g. `{"user":{"day":{"calls":200}}}`.',
  }),
  KEEL_PRICES: structured(priceTableSchema).optional().register(docs, {
    description:
      'USD per million tokens by `provider/model` (or `provider/*`): `{"openai/gpt-4o-mini":{"inputPerMillion":0.15,"outputPerMillion":0.6}}`.',
    shownDefault: '(built in)',
  }),
  DATABASE_URL: z
    .url({ protocol: /^postgres(ql)?$/ })
    .optional()
    .register(docs, {
      description:
        '`postgres://…` selects PostgreSQL (with pgvector) instead of the SQLite file in `KEEL_DATA_DIR`.',
      shownDefault: '(none: SQLite)',
      secret: true,
    }),
  DATABASE_READ_URL: z
    .url({ protocol: /^postgres(ql)?$/ })
    .optional()
    .register(docs, {
      description: 'Optional read replica: read-only queries (search, listings) go here.',
      secret: true,
    }),
  DATABASE_PASSWORD: z.string().min(1).optional().register(docs, {
    description:
      'Password for `DATABASE_URL` and `DATABASE_READ_URL` when the URL carries none (e.g. from `DATABASE_PASSWORD_FILE`).',
    secret: true,
  }),
  DATABASE_POOL_MAX: z.coerce
    .number()
    .int()
    .min(1)
    .max(200)
    .default(10)
    .register(docs, { description: 'Most PostgreSQL connections per process (per pool).' }),
  REDIS_URL: z
    .url({ protocol: /^rediss?$/ })
    .optional()
    .register(docs, {
      description:
        '`redis://…` moves cache, rate limits, pub/sub and job queues (BullMQ) to Redis.',
      shownDefault: '(none: in-process)',
      secret: true,
    }),
  S3_ENDPOINT: url.optional().register(docs, {
    description:
      'S3-compatible endpoint (MinIO, R2, AWS); blobs go to the local `KEEL_DATA_DIR/blobs` folder without it.',
    shownDefault: '(none: local folder)',
  }),
  S3_BUCKET: z
    .string()
    .regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, 'an S3 bucket name')
    .default('keel')
    .register(docs, { description: 'Bucket for uploads, generated content and backups.' }),
  S3_REGION: z
    .string()
    .min(1)
    .default('us-east-1')
    .register(docs, { description: 'S3 region (R2: `auto`).' }),
  S3_ACCESS_KEY_ID: z
    .string()
    .min(1)
    .optional()
    .register(docs, { description: 'S3 access key id.', secret: true }),
  S3_SECRET_ACCESS_KEY: z
    .string()
    .min(1)
    .optional()
    .register(docs, { description: 'S3 secret access key.', secret: true }),
  S3_FORCE_PATH_STYLE: booleanText.default(true).register(docs, {
    description:
      'Path-style URLs (`endpoint/bucket/key`), as MinIO and most self-hosted servers need.',
  }),
  KEEL_ORCHESTRATOR_URL: url.optional().register(docs, {
    description: 'Where `keel api` reaches `keel orchestrator`, e.g. `http://orchestrator:8081`.',
    shownDefault: '(none: in-process)',
  }),
  KEEL_ORCHESTRATOR_PORT: port
    .default(8081)
    .register(docs, { description: 'Port `keel orchestrator` listens on.' }),
  KEEL_ORCHESTRATOR_TIMEOUT_MS: positiveInt.max(3_600_000).optional().register(docs, {
    description:
      'How long `keel api` waits for the orchestrator: for a whole answer, or for the next bytes of a streamed one (a live stream runs as long as it keeps sending).',
    shownDefault: '(provider timeout × (retries + 1) + 5 s)',
  }),
  KEEL_WORKER_PORT: port.default(8082).register(docs, {
    description: 'Port of `keel worker`’s `/health/live`, `/health/ready` and `/metrics`.',
  }),
  KEEL_INTERNAL_SECRET: z.string().optional().register(docs, {
    description:
      'Shared secret signing api → orchestrator calls (HMAC with timestamp); at least 32 characters.',
    secret: true,
  }),
  KEEL_WEBHOOK_SECRET: z.string().min(1).optional().register(docs, {
    description:
      'Signs outbound webhook deliveries (`X-Keel-Signature`, HMAC-SHA256); without it `webhooks` jobs fail as undeliverable. At least 32 characters.',
    secret: true,
  }),
  KEEL_LLM: z
    .enum(['auto', ...chatProviderNames])
    .default('auto')
    .register(docs, {
      description:
        'Chat provider: `extractive`, `openai`, `groq`, `ollama`, `gemini`; `auto` picks the first with a key, else extractive.',
    }),
  KEEL_LLM_FALLBACK: list
    .transform((names) => names.filter((name) => name !== 'none'))
    .pipe(z.array(z.enum(chatProviderNames)))
    .default(['extractive'])
    .register(docs, {
      description:
        'Comma-separated providers tried in order when the main one fails; `none` for no fallback.',
    }),
  KEEL_EMBEDDINGS: z
    .enum(['auto', ...embeddingProviderNames])
    .default('auto')
    .register(docs, {
      description:
        'Embedding provider for dense retrieval: `none`, `openai`, `ollama`, `gemini`; `auto` uses OpenAI or Gemini when a key is set.',
    }),
  KEEL_EMBEDDING_MODEL: z.string().min(1).optional().register(docs, {
    description: 'Embedding model name; defaults to the provider’s usual small model.',
    shownDefault: '(per provider)',
  }),
  KEEL_PROVIDER_TIMEOUT_MS: positiveInt
    .max(600_000)
    .default(30_000)
    .register(docs, { description: 'Timeout of one provider call.' }),
  KEEL_PROVIDER_RETRIES: z.coerce.number().int().min(0).max(10).default(2).register(docs, {
    description: 'Retries on a retryable provider error (429, 5xx, network), with backoff.',
  }),
  OPENAI_API_KEY: z
    .string()
    .min(1)
    .optional()
    .register(docs, { description: 'OpenAI (or compatible) API key.', secret: true }),
  OPENAI_BASE_URL: url.default('https://api.openai.com/v1').register(docs, {
    description: 'OpenAI-compatible endpoint (vLLM, LM Studio: their `/v1` URL).',
  }),
  OPENAI_MODEL: z
    .string()
    .min(1)
    .default('gpt-4o-mini')
    .register(docs, { description: 'Chat model for the `openai` provider.' }),
  GROQ_API_KEY: z
    .string()
    .min(1)
    .optional()
    .register(docs, { description: 'Groq API key.', secret: true }),
  GROQ_BASE_URL: url
    .default('https://api.groq.com/openai/v1')
    .register(docs, { description: 'Groq endpoint (OpenAI protocol).' }),
  GROQ_MODEL: z
    .string()
    .min(1)
    .default('llama-3.1-8b-instant')
    .register(docs, { description: 'Chat model for `groq`.' }),
  OLLAMA_BASE_URL: url
    .default('http://127.0.0.1:11434')
    .register(docs, { description: 'Ollama server.' }),
  OLLAMA_MODEL: z
    .string()
    .min(1)
    .default('llama3.2')
    .register(docs, { description: 'Chat model for `ollama`.' }),
  GEMINI_API_KEY: z
    .string()
    .min(1)
    .optional()
    .register(docs, { description: 'Google Gemini API key.', secret: true }),
  GEMINI_BASE_URL: url
    .default('https://generativelanguage.googleapis.com/v1beta')
    .register(docs, { description: 'Gemini endpoint.' }),
  GEMINI_MODEL: z
    .string()
    .min(1)
    .default('gemini-2.0-flash')
    .register(docs, { description: 'Chat model for `gemini`.' }),
  KEEL_IMAGES_URL: url.optional().register(docs, {
    description:
      'OpenAI-compatible image generation server (OpenAI, a GPU host); Keel POSTs `{url}/v1/images/generations`. Enables the `images` queue.',
    shownDefault: '(none: no image jobs)',
  }),
  KEEL_IMAGES_MODEL: z
    .string()
    .min(1)
    .default('dall-e-3')
    .register(docs, { description: 'Image model asked for on `KEEL_IMAGES_URL`.' }),
  KEEL_IMAGES_API_KEY: z.string().min(1).optional().register(docs, {
    description: 'API key for `KEEL_IMAGES_URL`, sent as a bearer token.',
    secret: true,
  }),
  KEEL_IMAGES_TIMEOUT_MS: positiveInt.max(600_000).default(120_000).register(docs, {
    description: 'Timeout of one image generation call (images take far longer than chat).',
  }),
  KEEL_VISION: z
    .enum(['auto', ...visionProviderNames])
    .default('auto')
    .register(docs, {
      description:
        'Vision provider for `POST /v1/vision/analyze` and the `vision` queue: `none`, `openai`, `ollama`, `gemini` (each at its `*_BASE_URL` with its key); `auto` uses OpenAI or Gemini when a key is set, else none.',
    }),
  KEEL_VISION_MODEL: z.string().min(1).optional().register(docs, {
    description:
      'Vision model: `gpt-4o-mini` (openai), `gemini-2.0-flash` (gemini), `llava` (ollama) unless set.',
    shownDefault: '(per provider)',
  }),
  KEEL_VISION_MAX_IMAGE_BYTES: positiveInt
    .max(50 * 1024 * 1024)
    .default(10 * 1024 * 1024)
    .register(docs, { description: 'Largest image accepted for vision analysis (413 above it).' }),
});

export type Variables = z.output<typeof variablesSchema>;
export type VariableName = keyof Variables;

export const variableNames = Object.keys(variablesSchema.shape) as VariableName[];

function docOf(name: VariableName): VariableDoc {
  const doc = docs.get(variablesSchema.shape[name]);
  if (!doc) throw new Error(`${name} has no description`);
  return doc;
}

/** The secret variables, each of which may be given as a file instead (`NAME_FILE`). */
export const secretVariables = variableNames.filter((name) => docOf(name).secret);

/** The default as the README shows it: the schema's own (as code), or a note in parentheses. */
function shownDefault(name: VariableName): string {
  const text = docOf(name).shownDefault ?? schemaDefault(variablesSchema.shape[name]);
  if (text === '') return '(none)';
  return text.startsWith('(') ? text : `\`${text}\``;
}

/** A schema's default as text; '' when it has none, or an empty list or mapping. */
function schemaDefault(schema: z.ZodType): string {
  if (!(schema instanceof z.ZodDefault)) return '';
  const value: unknown = schema.def.defaultValue;
  if (Array.isArray(value)) return value.join(',');
  return typeof value === 'object' ? '' : String(value);
}

/** The README table, generated so it cannot drift from the schema. */
export function variablesTable(): string {
  const rows = variableNames.map(
    (name) => `| \`${name}\` | ${shownDefault(name)} | ${docOf(name).description} |`,
  );
  return ['| variable | default | meaning |', '| --- | --- | --- |', ...rows].join('\n');
}
