import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { ConfigError } from '../errors.js';
import { crossCheck } from './cross-check.js';
import { readSecretFiles } from './secret-files.js';
import { toConfig, type Config } from './to-config.js';
import { secretVariables, variableNames, variablesSchema } from './variables.js';

export { installRoot } from './install-root.js';
export type {
  ChatProviderName,
  Config,
  EmbeddingProviderName,
  VisionProviderName,
} from './to-config.js';

export interface ConfigProblem {
  variable: string;
  message: string;
}

/** Every secret may come from a file instead: `KEEL_SECRET_FILE=/run/secrets/keel_secret`. */
const SECRET_VARIABLES = secretVariables.filter(
  // KEEL_JWT_KEYS_FILE is a setting of its own (read by the signing-key loader).
  (name) => !(`${name}_FILE` in variablesSchema.shape),
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
      if (!(key in variablesSchema.shape) && !SECRET_FILE_VARIABLES.has(key)) {
        problems.push({ variable: key, message: `unknown setting in ${file}` });
      }
    }
  }
  const raw: Record<string, unknown> = {};
  for (const name of [...variableNames, ...SECRET_FILE_VARIABLES]) {
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
