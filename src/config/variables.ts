import { z } from 'zod';

/**
 * Every setting Keel reads, by its environment variable name. `keel.yaml` may set the same
 * names; the environment wins. The README's configuration table is generated from this list
 * (`keel config docs`) and a test keeps the two equal.
 */
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

export const chatProviderNames = ['extractive', 'openai', 'groq', 'ollama', 'gemini'] as const;
export const embeddingProviderNames = ['none', 'openai', 'ollama', 'gemini'] as const;

export interface VariableDoc {
  default: string;
  description: string;
  secret?: boolean;
}

export const variableDocs = {
  KEEL_PROFILE: {
    default: 'development',
    description:
      '`development`, `staging` or `production`; production refuses weak or missing secrets.',
  },
  PORT: { default: '8080', description: 'HTTP port of `keel serve`.' },
  KEEL_HOST: {
    default: '127.0.0.1',
    description:
      'Interface to bind. Only loopback until accounts land (the server has no sign-in yet).',
  },
  KEEL_DATA_DIR: {
    default: './data',
    description: 'Folder for the SQLite database and local state.',
  },
  KEEL_KNOWLEDGE_DIR: {
    default: '<install>/knowledge',
    description: 'The bundled knowledge base (Keel docs), registered as source `keel-docs`.',
  },
  KEEL_BUNDLED_KNOWLEDGE: {
    default: 'true',
    description: 'Register and sync the bundled knowledge base at start.',
  },
  KEEL_POLICIES_DIR: {
    default: '<install>/policies',
    description: 'Folder of policy files (YAML) and prompts (Markdown), loaded read-only.',
  },
  KEEL_LOG_LEVEL: { default: 'info', description: 'pino level: `fatal` … `trace`, or `silent`.' },
  KEEL_SECRET: {
    default: '(none)',
    description:
      'Key for tamper-evident audit records; required in production, at least 32 characters, not a known weak value.',
    secret: true,
  },
  KEEL_MAX_BODY_BYTES: { default: '262144', description: 'Largest accepted HTTP request body.' },
  KEEL_CORS_ORIGINS: {
    default: '(none)',
    description: 'Comma-separated origins allowed to call the API from a browser.',
  },
  KEEL_LLM: {
    default: 'auto',
    description:
      'Chat provider: `extractive`, `openai`, `groq`, `ollama`, `gemini`; `auto` picks the first with a key, else extractive.',
  },
  KEEL_LLM_FALLBACK: {
    default: 'extractive',
    description:
      'Comma-separated providers tried in order when the main one fails; `none` for no fallback.',
  },
  KEEL_EMBEDDINGS: {
    default: 'auto',
    description:
      'Embedding provider for dense retrieval: `none`, `openai`, `ollama`, `gemini`; `auto` uses OpenAI or Gemini when a key is set.',
  },
  KEEL_EMBEDDING_MODEL: {
    default: '(per provider)',
    description: 'Embedding model name; defaults to the provider’s usual small model.',
  },
  KEEL_PROVIDER_TIMEOUT_MS: { default: '30000', description: 'Timeout of one provider call.' },
  KEEL_PROVIDER_RETRIES: {
    default: '2',
    description: 'Retries on a retryable provider error (429, 5xx, network), with backoff.',
  },
  OPENAI_API_KEY: {
    default: '(none)',
    description: 'OpenAI (or compatible) API key.',
    secret: true,
  },
  OPENAI_BASE_URL: {
    default: 'https://api.openai.com/v1',
    description: 'OpenAI-compatible endpoint (vLLM, LM Studio: their `/v1` URL).',
  },
  OPENAI_MODEL: { default: 'gpt-4o-mini', description: 'Chat model for the `openai` provider.' },
  GROQ_API_KEY: { default: '(none)', description: 'Groq API key.', secret: true },
  GROQ_BASE_URL: {
    default: 'https://api.groq.com/openai/v1',
    description: 'Groq endpoint (OpenAI protocol).',
  },
  GROQ_MODEL: { default: 'llama-3.1-8b-instant', description: 'Chat model for `groq`.' },
  OLLAMA_BASE_URL: { default: 'http://127.0.0.1:11434', description: 'Ollama server.' },
  OLLAMA_MODEL: { default: 'llama3.2', description: 'Chat model for `ollama`.' },
  GEMINI_API_KEY: { default: '(none)', description: 'Google Gemini API key.', secret: true },
  GEMINI_BASE_URL: {
    default: 'https://generativelanguage.googleapis.com/v1beta',
    description: 'Gemini endpoint.',
  },
  GEMINI_MODEL: { default: 'gemini-2.0-flash', description: 'Chat model for `gemini`.' },
} satisfies Record<string, VariableDoc>;

export type VariableName = keyof typeof variableDocs;

export const variablesSchema = z.object({
  KEEL_PROFILE: z.enum(['development', 'staging', 'production']).default('development'),
  PORT: port.default(8080),
  KEEL_HOST: z.string().min(1).default('127.0.0.1'),
  KEEL_DATA_DIR: z.string().min(1).default('./data'),
  KEEL_KNOWLEDGE_DIR: z.string().min(1).optional(),
  KEEL_BUNDLED_KNOWLEDGE: booleanText.default(true),
  KEEL_POLICIES_DIR: z.string().min(1).optional(),
  KEEL_LOG_LEVEL: z
    .enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])
    .default('info'),
  KEEL_SECRET: z.string().optional(),
  KEEL_MAX_BODY_BYTES: positiveInt.max(64 * 1024 * 1024).default(262_144),
  KEEL_CORS_ORIGINS: list.default([]),
  KEEL_LLM: z.enum(['auto', ...chatProviderNames]).default('auto'),
  KEEL_LLM_FALLBACK: list
    .transform((names) => names.filter((name) => name !== 'none'))
    .pipe(z.array(z.enum(chatProviderNames)))
    .default(['extractive']),
  KEEL_EMBEDDINGS: z.enum(['auto', ...embeddingProviderNames]).default('auto'),
  KEEL_EMBEDDING_MODEL: z.string().min(1).optional(),
  KEEL_PROVIDER_TIMEOUT_MS: positiveInt.max(600_000).default(30_000),
  KEEL_PROVIDER_RETRIES: z.coerce.number().int().min(0).max(10).default(2),
  OPENAI_API_KEY: z.string().min(1).optional(),
  OPENAI_BASE_URL: url.default('https://api.openai.com/v1'),
  OPENAI_MODEL: z.string().min(1).default('gpt-4o-mini'),
  GROQ_API_KEY: z.string().min(1).optional(),
  GROQ_BASE_URL: url.default('https://api.groq.com/openai/v1'),
  GROQ_MODEL: z.string().min(1).default('llama-3.1-8b-instant'),
  OLLAMA_BASE_URL: url.default('http://127.0.0.1:11434'),
  OLLAMA_MODEL: z.string().min(1).default('llama3.2'),
  GEMINI_API_KEY: z.string().min(1).optional(),
  GEMINI_BASE_URL: url.default('https://generativelanguage.googleapis.com/v1beta'),
  GEMINI_MODEL: z.string().min(1).default('gemini-2.0-flash'),
});

export type Variables = z.output<typeof variablesSchema>;

/** The README table, generated so it cannot drift from the schema. */
export function variablesTable(): string {
  const rows = Object.entries(variableDocs).map(
    ([name, doc]: [string, VariableDoc]) =>
      `| \`${name}\` | ${doc.default === '(none)' || doc.default.startsWith('(') ? doc.default : `\`${doc.default}\``} | ${doc.description} |`,
  );
  return ['| variable | default | meaning |', '| --- | --- | --- |', ...rows].join('\n');
}
