// A pid lock file: one process at a time owns a directory (the ledger's, the transport spool's). A lock left by a
// process that no longer runs (killed, power cut) is taken over. Callers name the refusal in their own error.
import { promises as fsp } from 'node:fs';
import { readIfExists } from './files.ts';

export interface PidLock {
  readonly path: string;
  /** Removes the lock file (idempotent). */
  release(): Promise<void>;
}

export interface PidLockOptions {
  /**
   * A lock file naming this very process: `take-over` (default) treats it as left over by an earlier handle of this
   * process (the ledger reopens its directory after a failed close); `refuse` treats it as held.
   */
  ownPid?: 'take-over' | 'refuse';
}

/** The verdict of a lock attempt: the lock, or the live process that holds it (none named when a stale lock kept
 * coming back through three attempts). */
export type PidLockResult = { ok: true; lock: PidLock } | { ok: false; heldBy?: number };

function processIsAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Creates `path` holding this process's pid, exclusively. Throws only when the file system fails. */
export async function takePidLock(path: string, options: PidLockOptions = {}): Promise<PidLockResult> {
  const refuseOwn = options.ownPid === 'refuse';
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const handle = await fsp.open(path, 'wx', 0o644);
      try {
        await handle.writeFile(`${process.pid}\n`);
      } finally {
        await handle.close();
      }
      return { ok: true, lock: { path, release: () => fsp.rm(path, { force: true }) } };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
    const text = (await readIfExists(path)) ?? new Uint8Array(0);
    const pid = Number.parseInt(Buffer.from(text).toString('utf8').trim(), 10);
    if (Number.isSafeInteger(pid) && pid > 0) {
      if (pid === process.pid ? refuseOwn : processIsAlive(pid)) return { ok: false, heldBy: pid };
    }
    await fsp.rm(path, { force: true }); // stale: its owner is gone
  }
  return { ok: false };
}
