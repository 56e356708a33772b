import { Command, Option } from 'commander';
import { NotFoundError } from '../../errors.js';
import { LOCAL_PRINCIPAL } from '../../auth/principal.js';
import type { Role } from '../../store/account-store.js';
import type { Keel } from '../../keel.js';
import { printJson, withKeel } from '../context.js';
import { promptPassword } from '../prompt-password.js';

export async function userByEmail(keel: Keel, email: string) {
  const user = await keel.store.accounts.findUserByEmail(email);
  if (!user) throw new NotFoundError('user_not_found', `No user with e-mail ${email}`);
  return user;
}

/** `keel user create|disable|enable|list`: the operator acts as an admin. */
export function userCommand(): Command {
  const command = new Command('user');
  command
    .command('create')
    .description('Create a user (password from KEEL_USER_PASSWORD or typed at a prompt)')
    .requiredOption('--email <email>', 'e-mail address')
    .addOption(
      new Option('--role <role>', 'role').choices(['admin', 'manager', 'user']).default('user'),
    )
    .option('--workspace <id>', 'workspace id', 'default')
    .action(async (options: { email: string; role: Role; workspace: string }) => {
      await withKeel(async (keel) => {
        const password = await promptPassword(`Password for ${options.email}: `);
        const user = await keel.accounts.createUser({
          email: options.email,
          password,
          role: options.role,
          workspaceId: options.workspace,
        });
        await keel.accounts.issueSetupToken(); // an admin exists now: the setup token is void
        console.log(
          `Created ${user.role} ${user.email} (${user.id}) in workspace ${user.workspaceId}.`,
        );
      });
    });
  for (const [name, disabled] of [
    ['disable', true],
    ['enable', false],
  ] as const) {
    command
      .command(name)
      .description(
        disabled
          ? 'Disable a user: every session and API key stops at once'
          : 'Enable a disabled user',
      )
      .requiredOption('--email <email>', 'e-mail address')
      .action(async (options: { email: string }) => {
        await withKeel(async (keel) => {
          const user = await userByEmail(keel, options.email);
          await keel.accounts.setDisabled(LOCAL_PRINCIPAL, user.id, disabled);
          console.log(`${disabled ? 'Disabled' : 'Enabled'} ${user.email}.`);
        });
      });
  }
  command
    .command('password')
    .description('Set a user’s password (KEEL_USER_PASSWORD or a prompt); their sessions end')
    .requiredOption('--email <email>', 'e-mail address')
    .action(async (options: { email: string }) => {
      await withKeel(async (keel) => {
        const user = await userByEmail(keel, options.email);
        await keel.accounts.setPassword(
          user.id,
          await promptPassword(`New password for ${user.email}: `),
        );
        console.log(`Password of ${user.email} changed; their sessions have ended.`);
      });
    });
  command
    .command('list')
    .description('Users, optionally of one workspace')
    .option('--workspace <id>', 'workspace id')
    .option('--json', 'as JSON')
    .action(async (options: { workspace?: string; json?: boolean }) => {
      await withKeel(async (keel) => {
        const users = await keel.store.accounts.listUsers(options.workspace);
        if (options.json) return printJson({ users });
        if (users.length === 0)
          console.log(
            'No users yet. Create the first admin: keel user create --email you@example.com --role admin',
          );
        for (const user of users) {
          console.log(
            `${user.email}  ${user.role}  ${user.workspaceId}  ${user.disabledAt ? `disabled ${user.disabledAt}` : 'active'}  last login ${user.lastLoginAt ?? 'never'}`,
          );
        }
      });
    });
  return command;
}
