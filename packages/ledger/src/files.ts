// Small-file durability on Linux: atomic replacement (write a temporary file, fsync it, rename, fsync the
// directory) and a lock file so that one process at a time owns a ledger directory.
import { constants, promises as fsp } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { LedgerError } from './errors.ts';

/** fsync a directory, so that a file created, renamed or removed in it survives a power cut (POSIX rename(2)). */
export async function fsyncDirectory(dir: string): Promise<void> {
  const handle = await fsp.open(dir, constants.O_RDONLY | constants.O_DIRECTORY);
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/**
 * Replaces `path` with `data` so that after a crash the file holds either the old or the new contents, never a mix:
 * the temporary file is fsynced before the rename, and the directory after it.
 */
export async function replaceFileAtomically(path: string, data: Uint8Array): Promise<void> {
  const tmp = join(dirname(path), `.${basename(path)}.tmp-${process.pid}`);
  const handle = await fsp.open(tmp, 'w', 0o644);
  try {
    try {
      await handle.writeFile(data);
      await handle.sync();
    } finally {
      await handle.close();
    }
  } catch (e) {
    // A full disk: the partial temporary file would only hold on to the space.
    await fsp.rm(tmp, { force: true }).catch(() => undefined);
    throw e;
  }
  await fsp.rename(tmp, path);
  await fsyncDirectory(dirname(path));
}

/** Reads a whole file, or undefined when it does not exist. */
export async function readIfExists(path: string): Promise<Uint8Array | undefined> {
  try {
    return new Uint8Array(await fsp.readFile(path));
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
}

function processIsAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export interface DirectoryLock {
  release(): Promise<void>;
}

/**
 * Takes `dir/LOCK` for this process. A lock left by a process that no longer runs (killed, power cut) is taken
 * over; a lock held by a live process is refused with code 'locked'.
 */
export async function lockDirectory(dir: string): Promise<DirectoryLock> {
  const path = join(dir, 'LOCK');
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const handle = await fsp.open(path, 'wx', 0o644);
      await handle.writeFile(`${process.pid}\n`);
      await handle.close();
      return {
        release: async () => {
          await fsp.rm(path, { force: true });
        },
      };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
    const text = (await readIfExists(path)) ?? new Uint8Array(0);
    const pid = Number.parseInt(Buffer.from(text).toString('utf8'), 10);
    if (Number.isSafeInteger(pid) && pid > 0 && pid !== process.pid && processIsAlive(pid)) {
      throw new LedgerError('locked', `${dir} is in use by process ${pid}`);
    }
    await fsp.rm(path, { force: true }); // stale: its owner is gone
  }
  throw new LedgerError('locked', `${dir}: could not take the lock`);
}
