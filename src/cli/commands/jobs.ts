import { Command } from 'commander';
import { z } from 'zod';
import { ConflictError, ValidationError } from '../../errors.js';
import { QUEUE_NAMES } from '../../jobs/contracts.js';
import { availableQueue } from '../../jobs/processors.js';
import { DEFAULT_TIMEZONE, type JobSchedule } from '../../jobs/schedules.js';
import type { JobRecord } from '../../jobs/queue.js';
import { jobNotFound } from '../../jobs/runtime/errors.js';
import { printJson, withKeel } from '../context.js';

const listOptionsSchema = z.object({
  state: z.enum(['queued', 'running', 'completed', 'failed', 'dead', 'cancelled']).optional(),
  queue: z.enum(QUEUE_NAMES).optional(),
  limit: z.coerce.number().int().min(1).max(500).default(50),
  json: z.boolean().optional(),
});

function describe(job: JobRecord): string {
  const progress = job.state === 'running' ? ` ${Math.round(job.progress * 100)}%` : '';
  const line = `${job.id}  ${job.queue}  ${job.state}${progress}  attempts ${job.attempts}/${job.maxAttempts}  ${job.createdAt}`;
  return job.error && job.state !== 'completed' ? `${line}\n  ${job.error}` : line;
}

/**
 * `keel jobs list|show|retry|cancel`: the job queue from the server's side, with every workspace's
 * jobs (an operator at the console is the installation's admin, as with `keel user`).
 */
export function jobsCommand(): Command {
  const command = new Command('jobs');
  command
    .command('list')
    .description('Jobs, newest first (e.g. the dead-letter list: --state dead)')
    .option('--state <state>', 'queued, running, completed, failed, dead or cancelled')
    .option('--queue <queue>', QUEUE_NAMES.join(', '))
    .option('--limit <n>', 'at most this many (1-500)', '50')
    .option('--json', 'as JSON')
    .action(async (raw: Record<string, unknown>) => {
      const parsed = listOptionsSchema.safeParse(raw);
      if (!parsed.success) {
        const issue = parsed.error.issues[0];
        throw new ValidationError(
          'invalid_option',
          `--${String(issue?.path[0])}: ${issue?.message ?? 'invalid'}`,
        );
      }
      const { json, ...filter } = parsed.data;
      await withKeel(async (keel) => {
        const jobs = await keel.jobs.list(filter);
        if (json) return printJson({ jobs });
        if (jobs.length === 0) console.log('No jobs.');
        for (const job of jobs) console.log(describe(job));
      });
    });
  command
    .command('show')
    .description('One job as JSON: payload, state, attempts, progress, result or last error')
    .argument('<id>', 'job id')
    .action(async (id: string) => {
      await withKeel(async (keel) => {
        const job = await keel.jobs.get(id);
        if (!job) throw jobNotFound(id);
        printJson(job);
      });
    });
  command
    .command('retry')
    .description('Run a dead or cancelled job again (attempts counted from zero)')
    .argument('<id>', 'job id')
    .action(async (id: string) => {
      await withKeel(async (keel) => {
        const job = await keel.jobs.retry(id);
        console.log(`Retried ${job.id}: ${job.state}.`);
      });
    });
  command
    .command('cancel')
    .description('Cancel a waiting job, or ask a running one to stop')
    .argument('<id>', 'job id')
    .action(async (id: string) => {
      await withKeel(async (keel) => {
        const before = await keel.jobs.get(id);
        if (before?.state === 'completed' || before?.state === 'dead') {
          throw new ConflictError('job_finished', `Job ${id} is already ${before.state}`);
        }
        const job = await keel.jobs.cancel(id);
        console.log(
          job.state === 'cancelled'
            ? `Cancelled ${job.id}.`
            : `Asked ${job.id} to stop; it is ${job.state} until its worker notices.`,
        );
      });
    });
  command.addCommand(scheduleCommand());
  return command;
}

function describeSchedule(schedule: JobSchedule): string {
  const state = schedule.paused ? 'paused' : `next ${schedule.nextRunAt ?? '?'}`;
  return `${schedule.id}  ${schedule.queue}  "${schedule.cron}" ${schedule.timezone}  ${state}`;
}

/** Outside text for a payload: a JSON object, else a 400 naming the option. */
function parsePayloadOption(text: string): Record<string, unknown> {
  const parsed = z.record(z.string(), z.unknown()).safeParse(
    (() => {
      try {
        return JSON.parse(text) as unknown;
      } catch {
        return undefined;
      }
    })(),
  );
  if (!parsed.success) {
    throw new ValidationError('invalid_option', '--payload must be a JSON object');
  }
  return parsed.data;
}

/**
 * `keel jobs schedule add|list|pause|resume|delete`: recurring jobs, as `/v1/schedules` manages
 * them. At the console the payload names its workspace itself (`default` when it leaves it out).
 */
function scheduleCommand(): Command {
  const command = new Command('schedule').description(
    'Recurring jobs: a cron expression in a time zone, one job per tick',
  );
  command
    .command('add')
    .description('Create a schedule, or replace the one with the same id')
    .argument('<id>', 'schedule id (letters, digits, - and _)')
    .requiredOption('--queue <queue>', QUEUE_NAMES.join(', '))
    .requiredOption('--cron <expression>', 'e.g. "0 * * * *" (hourly) or "0 3 * * *" (nightly)')
    .option('--timezone <zone>', 'IANA time zone, e.g. Europe/Paris', DEFAULT_TIMEZONE)
    .option('--payload <json>', 'the job payload as a JSON object', '{}')
    .action(async (id: string, options: Record<string, string>) => {
      const queue = availableQueue(options.queue ?? '');
      const payload = { workspaceId: 'default', ...parsePayloadOption(options.payload ?? '{}') };
      await withKeel(async (keel) => {
        const schedule = await keel.jobs.schedules.upsert({
          id,
          queue,
          payload: payload as never,
          cron: options.cron ?? '',
          timezone: options.timezone ?? DEFAULT_TIMEZONE,
        });
        console.log(`Scheduled ${describeSchedule(schedule)}`);
      });
    });
  command
    .command('list')
    .description('Every schedule, by id')
    .option('--json', 'as JSON')
    .action(async (options: { json?: boolean }) => {
      await withKeel(async (keel) => {
        const schedules = await keel.jobs.schedules.list();
        if (options.json) return printJson({ schedules });
        if (schedules.length === 0) console.log('No schedules.');
        for (const schedule of schedules) console.log(describeSchedule(schedule));
      });
    });
  for (const action of ['pause', 'resume'] as const) {
    command
      .command(action)
      .description(action === 'pause' ? 'Stop the ticks, keep the schedule' : 'Tick again')
      .argument('<id>', 'schedule id')
      .action(async (id: string) => {
        await withKeel(async (keel) => {
          console.log(describeSchedule(await keel.jobs.schedules[action](id)));
        });
      });
  }
  command
    .command('delete')
    .description('Delete a schedule (jobs it already enqueued stay)')
    .argument('<id>', 'schedule id')
    .action(async (id: string) => {
      await withKeel(async (keel) => {
        await keel.jobs.schedules.delete(id);
        console.log(`Deleted schedule ${id}.`);
      });
    });
  return command;
}
