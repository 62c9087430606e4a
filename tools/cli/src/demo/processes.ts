// Stopping the demo's node processes: SIGTERM to each still running (a node stores what it holds and exits), SIGKILL
// to one still running after the grace period.
import type { ChildProcess } from 'node:child_process';

export interface Running {
  proc: ChildProcess;
  /** The exit code once it has exited (null after a signal); undefined while it runs. */
  exited?: number | null;
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
