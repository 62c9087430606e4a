// Small-file durability on Linux: atomic replacement (write a temporary file, fsync it, rename, fsync the
// directory), reading a file that may not exist, and fsync of a directory.
import { constants, promises as fsp } from 'node:fs';
import { basename, dirname, join } from 'node:path';

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
export async function replaceFileAtomically(path: string, data: Uint8Array | string): Promise<void> {
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
