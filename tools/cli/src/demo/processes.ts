// The demo's node processes: started with their JSON log followed (and kept in a file when asked), stopped with
// SIGTERM to each still running (a node stores what it holds and exits), SIGKILL to one still running after the grace
// period.
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { createInterface } from 'node:readline';

export interface Running {
  proc: ChildProcess;
  /** The exit code once it has exited (null after a signal); undefined while it runs. */
  exited?: number | null;
}

/** What a demo notes of every node process besides its own log records. */
export interface NodeWatch {
  exited?: number | null;
  /** The last error: an error record of the log, or a line on stderr. */
  lastError?: string;
}

/**
 * Runs `meterchain node` on `configs` (one process, one node each); hands each JSON record of its log to `onRecord`,
 * writes the log to `logPath` when given, and notes errors and the exit code on `watch`.
 */
export function startNode(bin: string, configs: string[], logPath: string | undefined, watch: NodeWatch, onRecord: (rec: Record<string, unknown>) => void): ChildProcess {
  const proc = spawn(process.execPath, [bin, 'node', ...configs.flatMap((c) => ['--config', c])], { stdio: ['ignore', 'pipe', 'pipe'] });
  const log = logPath === undefined ? undefined : createWriteStream(logPath);
  createInterface({ input: proc.stdout! }).on('line', (line) => {
    log?.write(line + '\n');
    let rec: Record<string, unknown>;
    try {
      rec = JSON.parse(line);
    } catch {
      return;
    }
    if (rec['level'] === 'error') watch.lastError = String(rec['msg']);
    onRecord(rec);
  });
  createInterface({ input: proc.stderr! }).on('line', (line) => {
    if (!/stopping$/.test(line)) watch.lastError = line;
  });
  proc.on('exit', (code) => {
    log?.end();
    watch.exited = code;
  });
  return proc;
}

/** Stops every process of `list` and resolves once all have exited. */
export async function stopProcesses(list: readonly Running[], graceMs = 15_000): Promise<void> {
  for (const r of list) if (r.exited === undefined) r.proc.kill('SIGTERM');
  await Promise.all(
    list.map(
      (r) =>
        new Promise<void>((resolve) => {
          if (r.exited !== undefined) return resolve();
          const kill = setTimeout(() => r.proc.kill('SIGKILL'), graceMs);
          r.proc.once('exit', () => {
            clearTimeout(kill);
            resolve();
          });
        }),
    ),
  );
}
