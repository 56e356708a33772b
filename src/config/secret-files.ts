import { readFileSync } from 'node:fs';
import type { ConfigProblem } from './config.js';

/**
 * Reads `NAME_FILE` for every secret variable: the secret's value is the file's content, as
 * Docker and Kubernetes secrets mount them (one trailing newline is dropped). `NAME` and
 * `NAME_FILE` together, or a file that cannot be read or is empty, is a problem naming the
 * variable.
 *
 * @example
 *   readSecretFiles(['KEEL_SECRET'], { KEEL_SECRET_FILE: '/run/secrets/keel_secret' })
 *   // → { values: { KEEL_SECRET: '…' }, problems: [] }
 */
export function readSecretFiles(
  secretNames: readonly string[],
  variables: Record<string, unknown>,
): { values: Record<string, string>; problems: ConfigProblem[] } {
  const values: Record<string, string> = {};
  const problems: ConfigProblem[] = [];
  for (const name of secretNames) {
    const fileVariable = `${name}_FILE`;
    const path = variables[fileVariable];
    if (path === undefined || path === null || path === '') continue;
    if (variables[name] !== undefined && variables[name] !== null && variables[name] !== '') {
      problems.push({ variable: fileVariable, message: `and ${name} are both set; keep one` });
      continue;
    }
    let content: string;
    try {
      content = readFileSync(String(path), 'utf8');
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      const why = code === 'ENOENT' ? 'does not exist' : `cannot be read (${code ?? 'error'})`;
      problems.push({ variable: fileVariable, message: `names ${String(path)}, which ${why}` });
      continue;
    }
    const value = content.replace(/\r?\n$/, '');
    if (value === '') {
      problems.push({ variable: fileVariable, message: `names ${String(path)}, which is empty` });
      continue;
    }
    values[name] = value;
  }
  return { values, problems };
}
