// The ledger's files on the storage layer (@meterchain/storage): atomic replacement, directory fsync, and the lock
// that lets one process at a time own a ledger directory.
import { join } from 'node:path';
import { takePidLock } from '@meterchain/storage';
import { LedgerError } from './errors.ts';

export { fsyncDirectory, readIfExists, replaceFileAtomically } from '@meterchain/storage';

export interface DirectoryLock {
  release(): Promise<void>;
}

/**
 * Takes `dir/LOCK` for this process. A lock left by a process that no longer runs (killed, power cut), or by an
 * earlier handle of this process, is taken over; a lock held by another live process is refused with code 'locked'.
 */
export async function lockDirectory(dir: string): Promise<DirectoryLock> {
  const taken = await takePidLock(join(dir, 'LOCK'), { ownPid: 'take-over' });
  if (taken.ok) return taken.lock;
  throw new LedgerError('locked', taken.heldBy === undefined ? `${dir}: could not take the lock` : `${dir} is in use by process ${taken.heldBy}`);
}
