import { userInfo } from 'node:os';
import { Command } from 'commander';
import type { PolicyActivation } from '../../store/store.js';
import { printJson, withKeel } from '../context.js';
import { policyCanaryCommand } from './policy-canary.js';

function actor(): string {
  return `cli:${userInfo().username}`;
}

function printActivation(activation: PolicyActivation): void {
  console.log(
    `Activated policy version ${activation.version} (was ${activation.previousVersion ?? 'none'}) by ${activation.actor} at ${activation.activatedAt}: ${activation.reason}`,
  );
}

/** `keel policy list|show|diff|activate|rollback|promote|canary|test`. */
export function policyCommand(): Command {
  const command = new Command('policy');
  command
    .command('list')
    .description('Known versions (the active one marked) and the activation history')
    .option('--json', 'as JSON')
    .action(async (options: { json?: boolean }) => {
      await withKeel(async (keel) => {
        const disk = await keel.policies.files('disk');
        const { versions, activations } = await keel.policies.list();
        if (options.json) return printJson({ disk: disk.version, versions, activations });
        for (const version of versions) {
          const marks = [
            version.active && 'active',
            version.version === disk.version && 'on disk',
          ].filter(Boolean);
          console.log(
            `${version.active ? '*' : ' '} ${version.version}  ${version.createdAt}${marks.length ? `  (${marks.join(', ')})` : ''}`,
          );
        }
        if (!versions.some((version) => version.version === disk.version)) {
          console.log(`  ${disk.version}  (on disk, not yet activated: keel policy activate)`);
        }
        console.log('\nActivations (newest first):');
        for (const activation of activations.slice(0, 20)) {
          console.log(
            `  ${activation.activatedAt}  ${activation.previousVersion ?? '-'} → ${activation.version}  ${activation.actor}: ${activation.reason}`,
          );
        }
      });
    });
  command
    .command('show')
    .description('Print the files of a version (default: the active one)')
    .argument('[version]', 'version or unique prefix; "disk" for the files on disk')
    .action(async (version?: string) => {
      await withKeel(async (keel) => {
        const target = version ?? (await keel.policies.current()).version;
        const { version: resolved, files } = await keel.policies.files(target);
        console.log(`# policy version ${resolved}`);
        for (const [path, content] of Object.entries(files).sort())
          console.log(`\n## ${path}\n${content.trimEnd()}`);
      });
    });
  command
    .command('diff')
    .description('Unified diff between two versions (B defaults to the files on disk)')
    .argument('<a>', 'version')
    .argument('[b]', 'version, or "disk"', 'disk')
    .action(async (from: string, to: string) => {
      await withKeel(async (keel) => {
        const diff = await keel.policies.diff(from, to);
        console.log(diff || 'No differences.');
      });
    });
  command
    .command('activate')
    .description('Activate a stored version, or (without one) the policy files on disk')
    .argument('[version]', 'version or unique prefix')
    .option('--reason <text>', 'why (recorded)', 'activated from the CLI')
    .action(async (version: string | undefined, options: { reason: string }) => {
      await withKeel(async (keel) =>
        printActivation(
          await keel.policies.activate(version, { actor: actor(), reason: options.reason }),
        ),
      );
    });
  command
    .command('rollback')
    .description('Re-activate the version that ran before the current one')
    .option('--to <version>', 'roll back to this version instead')
    .option('--reason <text>', 'why (recorded)', 'rolled back from the CLI')
    .action(async (options: { to?: string; reason: string }) => {
      await withKeel(async (keel) =>
        printActivation(
          await keel.policies.rollback({
            actor: actor(),
            reason: options.reason,
            ...(options.to && { to: options.to }),
          }),
        ),
      );
    });
  command
    .command('promote')
    .description(
      'Bring a policy version from the previous environment (dev → staging → production) and activate it here',
    )
    .argument('<version>', 'version (or unique prefix) that ran in the source environment')
    .requiredOption(
      '--from <source>',
      "the source environment's database: a postgres:// URL (password from PGPASSWORD) or its data folder",
    )
    .option('--reason <text>', 'why (recorded)')
    .action(async (version: string, options: { from: string; reason?: string }) => {
      const [{ openPromotionSource }, { promotePolicy }] = await Promise.all([
        import('../promotion-source.js'),
        import('../../governor/policy-promotion.js'),
      ]);
      await withKeel(async (keel) => {
        const source = await openPromotionSource(options.from, keel);
        try {
          const result = await promotePolicy({
            source: source.store,
            sourceLabel: source.label,
            version,
            target: keel.policies,
            targetStore: keel.store,
            secret: keel.config.secret,
            actor: actor(),
            ...(options.reason && { reason: options.reason }),
          });
          console.log(
            result.activated
              ? `Promoted policy version ${result.version} from ${source.label} and activated it here (was ${result.previousVersion ?? 'none'}).`
              : `Policy version ${result.version} is already active here; nothing changed.`,
          );
        } finally {
          await source.store.close();
        }
      });
    });
  command.addCommand(policyCanaryCommand());
  command
    .command('test')
    .description('Run the cases in policies/tests/*.yaml through the input governor')
    .option('--version <version>', 'test a stored version instead of the files on disk')
    .action(async (options: { version?: string }) => {
      await withKeel(async (keel) => {
        const bundle = options.version
          ? await keel.policies.bundle(await keel.policies.resolve(options.version))
          : await keel.policies.snapshotDisk();
        let failed = 0;
        for (const testCase of bundle.tests) {
          const result = await keel.governor.check(testCase.input, bundle);
          const ok = result.decision.status === testCase.expect;
          if (!ok) failed += 1;
          console.log(
            `${ok ? '✓' : '✗'} ${testCase.name}: expected ${testCase.expect}, got ${result.decision.status}${ok ? '' : ` (${result.decision.reasons.join('; ')})`}`,
          );
        }
        console.log(
          `${bundle.tests.length - failed} passed, ${failed} failed (policy ${bundle.version})`,
        );
        if (failed > 0) process.exitCode = 1;
      });
    });
  return command;
}
