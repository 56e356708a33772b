/**
 * Shannon entropy of a string in bits per character: about 2.5 for an English word, 3.5–4 for
 * a short random token, up to log2(length) when no character repeats.
 */
export function shannonEntropy(value: string): number {
  if (value.length === 0) return 0;
  const counts = new Map<string, number>();
  for (const character of value) counts.set(character, (counts.get(character) ?? 0) + 1);
  let entropy = 0;
  for (const count of counts.values()) {
    const probability = count / value.length;
    entropy -= probability * Math.log2(probability);
  }
  return entropy;
}

/** Below this a value reads like a word ("required", "undefined"), above it like a key. */
export const SECRET_ENTROPY_THRESHOLD = 3;
const MIN_SECRET_LENGTH = 8;

/*
 * Documentation and code mention credentials without containing them: template slots, masked
 * values, environment variable names and expressions. Those are not secrets to redact.
 */
const PLACEHOLDER =
  /^(?:<[^>]*>|\$\{[^}]*\}|\{\{[^}]*\}\}|\[[^\]]*\]|%\([^)]*\)s|\$[A-Za-z_]\w*|([x*.•#-])\1+|changeme|redacted)$|your[_-]?(?:api|secret|token|pass|key)|placeholder/i;
const ENVIRONMENT_VARIABLE_NAME = /^[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+$/;
const CODE_EXPRESSION = /[()]|^[A-Za-z_$][\w$]*(?:\.[A-Za-z_$][\w$]*)+$/;
/** A file path or a URL: configuration names them beside credentials ("token_url", "PWD"). */
const PATH_OR_URL = /^(?:(?:~|\.{1,2})?\/[\w./-]*|[A-Za-z]:\\\S*|[a-z][a-z0-9+.-]*:\/\/\S*)$/i;

/** True when `value` is long and varied enough to be a password or key rather than a word. */
export function looksLikeSecretValue(value: string): boolean {
  return (
    value.length >= MIN_SECRET_LENGTH &&
    !PLACEHOLDER.test(value) &&
    !ENVIRONMENT_VARIABLE_NAME.test(value) &&
    !CODE_EXPRESSION.test(value) &&
    !PATH_OR_URL.test(value) &&
    shannonEntropy(value) >= SECRET_ENTROPY_THRESHOLD
  );
}
