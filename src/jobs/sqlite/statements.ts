import type BetterSqlite3 from 'better-sqlite3';
import type { QueueName } from '../contracts.js';
import type { JobState } from '../queue.js';
import type { JobRow } from './records.js';

/** Every statement the queue runs, prepared once. Claims and settles check the lease token. */
export function prepareStatements(database: BetterSqlite3.Database) {
  const running = `where id = @id and lease_token = @token and state = 'running'`;
  return {
    insert: database.prepare(`insert into jobs (id, queue, payload, state, priority, max_attempts,
      backoff_ms, run_at, created_at, trace) values (@id, @queue, @payload, 'queued', @priority,
      @maxAttempts, @backoffMs, @runAt, @now, @trace) on conflict (id) do nothing`),
    get: database.prepare<[string], JobRow>('select * from jobs where id = ?'),
    depth: database.prepare<[], { queue: QueueName; state: JobState; count: number }>(
      `select queue, state, count(*) as count from jobs
        where state in ('queued', 'failed', 'running', 'dead') group by queue, state`,
    ),
    list: database.prepare<Record<string, unknown>, JobRow>(`select * from jobs
      where (@queue is null or queue = @queue) and (@state is null or state = @state)
        and (@workspace is null or json_extract(payload, '$.workspaceId') = @workspace)
      order by created_at desc, id limit @limit`),
    // One statement picks and takes the job, inside an immediate transaction (see `claim`).
    claim: database.prepare<Record<string, unknown>, JobRow>(`update jobs set state = 'running',
      attempts = attempts + 1, lease_token = @token, lease_until = @leaseUntil, started_at = @now
      where state in ('queued', 'failed') and id = (select id from jobs
        where state in ('queued', 'failed') and run_at <= @now
          and queue in (select value from json_each(@queues))
        order by priority, run_at, created_at limit 1)
      returning *`),
    heartbeat: database.prepare<Record<string, unknown>, { cancel_requested: number }>(
      `update jobs set lease_until = @leaseUntil ${running} returning cancel_requested`,
    ),
    progress: database.prepare(
      `update jobs set progress = @progress, progress_message = @message ${running}`,
    ),
    settle: database.prepare<Record<string, unknown>, JobRow>(`update jobs set state = @state,
      result = @result, error = coalesce(@error, error), run_at = @runAt, finished_at = @finishedAt,
      progress = case when @state = 'completed' then 1 else progress end,
      lease_token = null, lease_until = null ${running} returning *`),
    // A released job did not really use its attempt: the worker left, the job did not fail.
    release: database.prepare(`update jobs set attempts = attempts - 1, run_at = @now,
      state = case when cancel_requested = 1 then 'cancelled' else 'queued' end,
      finished_at = case when cancel_requested = 1 then @now end,
      lease_token = null, lease_until = null ${running}`),
    // A lease that ran out means the worker died; the attempt counts, so a job that kills its
    // worker every time ends up dead instead of killing workers forever.
    expire: database.prepare<[{ now: number; leaseExpired: string }], JobRow>(`update jobs set
      state = case when cancel_requested = 1 then 'cancelled'
        when attempts >= max_attempts then 'dead' else 'queued' end,
      error = case when cancel_requested = 0 and attempts >= max_attempts
        then @leaseExpired else error end,
      finished_at = case when cancel_requested = 1 or attempts >= max_attempts then @now end,
      run_at = @now, lease_token = null, lease_until = null
      where state = 'running' and lease_until < @now returning *`),
    prune:
      database.prepare(`delete from jobs where (state = 'completed' and finished_at < @completed)
      or (state in ('dead', 'cancelled') and finished_at < @deadOrCancelled)`),
    cancelWaiting: database.prepare(`update jobs set state = 'cancelled', cancel_requested = 1,
      finished_at = @now where id = @id and state in ('queued', 'failed')`),
    requestCancel: database.prepare(
      `update jobs set cancel_requested = 1 where id = @id and state = 'running'`,
    ),
    requeue: database.prepare(`update jobs set state = 'queued', attempts = 0, run_at = @now,
      cancel_requested = 0, progress = 0, progress_message = null, finished_at = null
      where id = @id and state in ('dead', 'cancelled')`),
  };
}

export type Statements = ReturnType<typeof prepareStatements>;
