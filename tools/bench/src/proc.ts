// What the load benchmarks read of a process from /proc, and the quantile they report. A process that has exited reads
// as zero (its frames or readings are then counted as lost, not its CPU).
import { readFileSync } from 'node:fs';

/** CPU time of a process in clock ticks (100 Hz): utime and stime. */
export interface Ticks {
  user: number;
  system: number;
}

export function clockTicks(pid: number): Ticks {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return { user: 0, system: 0 };
  }
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return { user: Number(fields[11]), system: Number(fields[12]) };
}

/** Resident memory of a process in KiB. */
export function rssKiB(pid: number): number {
  let status: string;
  try {
    status = readFileSync(`/proc/${pid}/status`, 'utf8');
  } catch {
    return 0;
  }
  const m = /VmRSS:\s+(\d+) kB/.exec(status);
  return m ? Number(m[1]) : 0;
}

/** The q-quantile of ascending `sorted` (NaN when empty). */
export function quantile(sorted: number[], q: number): number {
  return sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]! : NaN;
}
