import { readFileSync } from 'node:fs';

/*
 * CPU time as the kernel counts it for each process (Linux /proc), so a benchmark can say how
 * many milliseconds of CPU a server spent per call without trusting the server to report it.
 */

/** Clock ticks per second of /proc's utime and stime; 100 on every Linux this runs on. */
const TICKS_PER_SECOND = 100;

/** User + system CPU of one process so far in ms, or undefined once it has exited. */
export function processCpuMs(pid: number): number | undefined {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // The command name (field 2) may hold spaces; the fields after its closing parenthesis don't.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const userTicks = Number(fields[11]);
  const systemTicks = Number(fields[12]);
  return ((userTicks + systemTicks) * 1000) / TICKS_PER_SECOND;
}

/** The whole machine's busy and total jiffies (all cores), from the first line of /proc/stat. */
function machineTicks(): { busy: number; total: number } {
  const line = readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '';
  const values = line.trim().split(/\s+/).slice(1).map(Number);
  const total = values.reduce((sum, value) => sum + value, 0);
  // idle + iowait are the only fields that are not work.
  const idle = (values[3] ?? 0) + (values[4] ?? 0);
  return { busy: total - idle, total };
}

export interface CpuReading {
  /** CPU ms the watched processes spent between start and stop. */
  cpuMs: number;
  /** Share of all cores busy over the interval, everyone's work included (0–1). */
  machineBusy: number;
  /** Share of all cores the watched processes used over the interval (0–1). */
  ownShare: number;
}

/**
 * Watches the CPU of a changing set of processes (a server's own process, plus the PostgreSQL
 * backends serving it, which come and go with its pool). The set is re-read every `everyMs`
 * so a backend that exits mid-run loses at most that much of its time.
 *
 * @example
 *   const meter = startCpuMeter(async () => [server.pid]);
 *   await load();
 *   const { cpuMs } = await meter.stop();
 */
export function startCpuMeter(
  pids: () => Promise<number[]>,
  everyMs = 500,
): { stop(): Promise<CpuReading> } {
  const first = new Map<number, number>();
  const last = new Map<number, number>();
  const machineStart = machineTicks();
  let started = false;
  const sample = async () => {
    for (const pid of await pids()) {
      const ms = processCpuMs(pid);
      if (ms === undefined) continue;
      // A process first seen after the start was born during the run: all its time counts.
      if (!first.has(pid)) first.set(pid, started ? 0 : ms);
      last.set(pid, ms);
    }
  };
  let sampling: Promise<unknown> = sample().then(() => (started = true));
  const timer = setInterval(() => {
    sampling = sampling.then(sample).catch(() => undefined);
  }, everyMs);
  return {
    async stop() {
      clearInterval(timer);
      await sampling;
      await sample();
      const machineEnd = machineTicks();
      let cpuMs = 0;
      for (const [pid, ms] of last) cpuMs += ms - (first.get(pid) ?? 0);
      const total = machineEnd.total - machineStart.total;
      const jiffyMs = 1000 / TICKS_PER_SECOND;
      return {
        cpuMs,
        machineBusy: total > 0 ? (machineEnd.busy - machineStart.busy) / total : 0,
        ownShare: total > 0 ? cpuMs / jiffyMs / total : 0,
      };
    },
  };
}

/** The 1-minute load average, as `uptime` shows it. */
export function loadAverage(): number {
  return Number(readFileSync('/proc/loadavg', 'utf8').split(' ')[0]);
}
