import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import { parse as parseYaml } from 'yaml';
import type { z } from 'zod';
import { ValidationError } from '../errors.js';
import {
  type AgentDefinition,
  type Policy,
  type PolicyTestFile,
  agentSchema,
  policySchema,
  policyTestSchema,
} from './policy-schema.js';

export interface Agent extends AgentDefinition {
  promptText: string;
  /** Content hash of the prompt file: the "prompt version" in audit records. */
  promptVersion: string;
  patternsCompiled: RegExp[];
}

/** A compiled, validated set of policy files, identified by the hash of their content. */
export interface PolicyBundle {
  version: string;
  policy: Policy;
  agents: Agent[];
  defaultAgent: Agent;
  tests: PolicyTestFile['cases'];
  topicPatterns: { id: string; pattern: RegExp; reason: string }[];
}

const POLICY_FILE = /\.(ya?ml|md)$/i;
/**
 * Files in the policies folder that are not policy: `kustomization.yaml` makes the folder the
 * `keel-policies` ConfigMap of deploy/kubernetes. Not part of any version's content.
 */
const NOT_POLICY = new Set(['kustomization.yaml']);

export function hashContent(content: string): string {
  return createHash('sha256').update(content).digest('hex').slice(0, 12);
}

/** Version of a set of files: the hash of their sorted paths and contents. */
export function versionOf(files: Record<string, string>): string {
  const hash = createHash('sha256');
  for (const path of Object.keys(files).sort()) hash.update(`${path}\0${files[path]}\0`);
  return hash.digest('hex').slice(0, 12);
}

/** Reads `policies/` (YAML and Markdown, recursively) into path → content. */
export async function readPolicyFiles(dir: string): Promise<Record<string, string>> {
  const files: Record<string, string> = {};
  const entries = await readdir(dir, { recursive: true, withFileTypes: true }).catch(
    (error: NodeJS.ErrnoException) => {
      throw new ValidationError(
        'policies_unreadable',
        `Cannot read policies folder ${dir}: ${error.code ?? error.message}`,
      );
    },
  );
  for (const entry of entries) {
    if (!entry.isFile() || !POLICY_FILE.test(entry.name)) continue;
    const absolute = join(entry.parentPath, entry.name);
    const path = relative(dir, absolute).split(sep).join('/');
    if (NOT_POLICY.has(path)) continue;
    files[path] = await readFile(absolute, 'utf8');
  }
  return files;
}

function parseFile<T extends z.ZodType>(
  files: Record<string, string>,
  path: string,
  schema: T,
): z.output<T> {
  let data: unknown;
  try {
    data = parseYaml(files[path] ?? '');
  } catch (error) {
    throw new ValidationError(
      'policy_invalid',
      `${path} is not valid YAML: ${(error as Error).message}`,
      { file: path },
    );
  }
  const parsed = schema.safeParse(data ?? {});
  if (!parsed.success) {
    const problems = parsed.error.issues.map(
      (issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`,
    );
    throw new ValidationError('policy_invalid', `${path} is invalid: ${problems.join('; ')}`, {
      file: path,
      problems,
    });
  }
  return parsed.data;
}

function compileRegex(source: string, where: string): RegExp {
  try {
    return new RegExp(source, 'iu');
  } catch (error) {
    throw new ValidationError(
      'policy_invalid',
      `${where}: bad pattern ${source}: ${(error as Error).message}`,
    );
  }
}

/** Validates policy files and compiles them; errors name the file and the field. */
export function compilePolicyBundle(files: Record<string, string>): PolicyBundle {
  if (!files['policy.yaml']) {
    throw new ValidationError('policy_invalid', 'policy.yaml is missing from the policy files');
  }
  const policy = parseFile(files, 'policy.yaml', policySchema);
  const agents: Agent[] = Object.keys(files)
    .filter((path) => /^agents\/[^/]+\.ya?ml$/.test(path))
    .sort()
    .map((path) => {
      const definition = parseFile(files, path, agentSchema);
      const promptText = files[definition.prompt];
      if (promptText === undefined) {
        throw new ValidationError(
          'policy_invalid',
          `${path}: prompt file ${definition.prompt} does not exist`,
          { file: path },
        );
      }
      return {
        ...definition,
        promptText,
        promptVersion: hashContent(promptText),
        patternsCompiled: definition.routing.patterns.map((pattern) => compileRegex(pattern, path)),
      };
    });
  const ids = new Set<string>();
  for (const agent of agents) {
    if (ids.has(agent.id))
      throw new ValidationError('policy_invalid', `Two agents are named "${agent.id}"`);
    ids.add(agent.id);
  }
  const defaults = agents.filter((agent) => agent.default);
  if (defaults.length !== 1 || !defaults[0]) {
    throw new ValidationError(
      'policy_invalid',
      `Exactly one agent must have default: true (found ${defaults.length})`,
    );
  }
  const tests = Object.keys(files)
    .filter((path) => /^tests\/[^/]+\.ya?ml$/.test(path))
    .sort()
    .flatMap((path) => parseFile(files, path, policyTestSchema).cases);
  return {
    version: versionOf(files),
    policy,
    agents,
    defaultAgent: defaults[0],
    tests,
    topicPatterns: policy.input.topics.map((topic) => ({
      id: topic.id,
      pattern: compileRegex(topic.pattern, `policy.yaml topics.${topic.id}`),
      reason: topic.reason,
    })),
  };
}
