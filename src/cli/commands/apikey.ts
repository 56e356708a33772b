import { Command } from 'commander';
import { apiKeyScopesSchema } from '../../auth/api-key-format.js';
import { LOCAL_PRINCIPAL, userPrincipal } from '../../auth/principal.js';
import { ValidationError } from '../../errors.js';
import { printJson, withKeel } from '../context.js';
import { userByEmail } from './user.js';

/** `keel apikey create|revoke|list`: keys are created for a user and shown once. */
export function apikeyCommand(): Command {
  const command = new Command('apikey');
  command
    .command('create')
    .description('Create an API key for a user; it is printed once and stored only as a hash')
    .requiredOption('--email <email>', 'owner’s e-mail address')
    .requiredOption('--name <name>', 'what the key is for')
    .option('--scopes <list>', 'comma-separated: chat, kb:read, kb:write, admin', 'chat,kb:read')
    .option('--expires <iso>', 'expiry time, e.g. 2027-01-01T00:00:00Z')
    .action(async (options: { email: string; name: string; scopes: string; expires?: string }) => {
      const scopes = apiKeyScopesSchema.safeParse(
        options.scopes.split(',').map((scope) => scope.trim()),
      );
      if (!scopes.success)
        throw new ValidationError(
          'scopes_invalid',
          `--scopes: ${scopes.error.issues[0]?.message ?? 'invalid'}`,
        );
      await withKeel(async (keel) => {
        const user = await userByEmail(keel, options.email);
        const { key, record } = await keel.apiKeys.create(userPrincipal(user, null), {
          name: options.name,
          scopes: scopes.data,
          ...(options.expires && { expiresAt: options.expires }),
        });
        console.log(
          `Created API key ${record.id} (${record.scopes.join(', ')}) for ${user.email}. Copy it now; it is not shown again:\n\n  ${key}\n`,
        );
      });
    });
  command
    .command('revoke')
    .description('Revoke an API key by id; it stops working at once')
    .argument('<id>', 'key id (keel apikey list)')
    .action(async (id: string) => {
      await withKeel(async (keel) => {
        const record = await keel.apiKeys.revoke(LOCAL_PRINCIPAL, id);
        console.log(`Revoked ${record.id} (${record.name}).`);
      });
    });
  command
    .command('list')
    .description('API keys (no secrets), optionally of one user')
    .option('--email <email>', 'owner’s e-mail address')
    .option('--json', 'as JSON')
    .action(async (options: { email?: string; json?: boolean }) => {
      await withKeel(async (keel) => {
        const userId = options.email ? (await userByEmail(keel, options.email)).id : undefined;
        const keys = await keel.store.accounts.listApiKeys(userId ? { userId } : {});
        if (options.json) return printJson({ apiKeys: keys });
        if (keys.length === 0) console.log('No API keys.');
        for (const key of keys) {
          const state = key.revokedAt
            ? `revoked ${key.revokedAt}`
            : key.expiresAt
              ? `expires ${key.expiresAt}`
              : 'active';
          console.log(
            `${key.id}  keel_${key.prefix}_…  ${key.name}  [${key.scopes.join(', ')}]  ${state}  last used ${key.lastUsedAt ?? 'never'}`,
          );
        }
      });
    });
  return command;
}
