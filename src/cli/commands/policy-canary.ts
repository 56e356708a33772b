import { userInfo } from 'node:os';
import { Command } from 'commander';
import { ValidationError } from '../../errors.js';
import type { CanaryStatus } from '../../governor/policy-canary.js';
import type { VersionFigures } from '../../governor/canary-verdict.js';
import type { PolicyCanary } from '../../store/canary-store.js';
import { printJson, withKeel } from '../context.js';

const percentOf = (rate: number) => `${(rate * 100).toFixed(1)}%`;

function figuresLine(label: string, figures: VersionFigures): string {
  return `  ${label.padEnd(7)} ${figures.version}  ${figures.calls} calls  refusals ${percentOf(figures.refusalRate)}  errors ${percentOf(figures.errorRate)}  grounding failures ${percentOf(figures.groundingFailureRate)}  p95 ${figures.latencyP95Ms ?? '-'} ms`;
}

function endLine(canary: PolicyCanary): string {
  const end = canary.ended
    ? `${canary.ended.outcome.replace('_', ' ')} ${canary.ended.at} by ${canary.ended.by}: ${canary.ended.reason}`
    : 'running';
  return `  ${canary.startedAt}  ${canary.version} at ${canary.percent} % (against ${canary.baseVersion}), started by ${canary.startedBy}; ${end}`;
}

function printStatus({ canary, comparison, history }: CanaryStatus): void {
  if (canary && comparison) {
    console.log(
      `Canary ${canary.version} serves ${canary.percent} % of users since ${canary.startedAt} (${comparison.elapsedSeconds} s of ${comparison.settings.windowSeconds} s).`,
    );
    console.log(figuresLine('canary', comparison.canary));
    console.log(figuresLine('active', comparison.active));
    console.log(
      `  verdict now: ${comparison.verdict.decision}: ${comparison.verdict.reasons.join('; ')}`,
    );
  } else {
    console.log('No policy canary is running.');
  }
  if (history.length > 0) {
    console.log('\nCanaries (newest first):');
    for (const entry of history) console.log(endLine(entry));
  }
}

/** `keel policy canary VERSION --percent P`, `keel policy canary status`, `keel policy canary stop`. */
export function policyCanaryCommand(): Command {
  return new Command('canary')
    .description(
      'Serve a stored version to P % of users (sticky per user) and promote or roll it back automatically; "status" shows it, "stop" ends it',
    )
    .argument('<version|status|stop>', 'version (or unique prefix) to start a canary of')
    .option('--percent <p>', 'share of users, 1–100 (starting a canary)')
    .option('--reason <text>', 'why (recorded)')
    .option('--json', 'as JSON')
    .action(
      async (target: string, options: { percent?: string; reason?: string; json?: boolean }) => {
        const actor = `cli:${userInfo().username}`;
        await withKeel(async (keel) => {
          if (target === 'status') {
            const status = await keel.canaries.status();
            return options.json ? printJson(status) : printStatus(status);
          }
          if (target === 'stop') {
            const stopped = await keel.canaries.stop({
              actor,
              reason: options.reason ?? 'stopped from the CLI',
            });
            return options.json
              ? printJson(stopped)
              : console.log(
                  `Stopped the canary of ${stopped.version}; every user runs ${stopped.baseVersion}.`,
                );
          }
          if (options.percent === undefined || !/^\d+$/.test(options.percent)) {
            throw new ValidationError(
              'invalid_option',
              '--percent: the share of users to serve the canary to, a whole number from 1 to 100',
            );
          }
          const canary = await keel.canaries.start(target, Number(options.percent), {
            actor,
            reason: options.reason ?? 'canary started from the CLI',
          });
          if (options.json) return printJson(canary);
          console.log(
            `Canary ${canary.version} serves ${canary.percent} % of users; compared with ${canary.baseVersion}, it is promoted or rolled back automatically (keel policy canary status).`,
          );
        });
      },
    );
}
