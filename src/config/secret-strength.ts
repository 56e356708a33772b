const WEAK_SECRETS = new Set([
  'secret',
  'changeme',
  'change-me',
  'password',
  'keel',
  'development',
  'test',
  'default',
]);

/** Why a secret is too weak to run with, or undefined when it is acceptable. */
export function checkSecretStrength(secret: string | undefined): string | undefined {
  if (secret === undefined || secret.length === 0) return 'is missing';
  if (secret.length < 32)
    return `is too short (${secret.length} characters; at least 32 are required)`;
  const lowered = secret.toLowerCase();
  for (const weak of WEAK_SECRETS) {
    if (lowered.replaceAll(weak, '').length < 8)
      return `is built from a well-known weak value ("${weak}")`;
  }
  if (new Set(secret).size < 10) return 'has too few distinct characters to be random';
  return undefined;
}
