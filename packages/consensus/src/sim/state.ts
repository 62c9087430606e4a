// What a simulated member keeps across a restart: the records its node asked to persist, as a node's durable state
// keeps them (docs/protocol.md §11; the Linux node's is the ledger's node state), and the blocks it committed, its
// block store. A restarted node is restored from them, and sync requests for blocks its node no longer holds in
// memory are answered from the store, as the Linux runtime does.
import type { NodeRestore, PersistRecord } from '../index.ts';

/** The signing kinds whose last record a restarted node gets back (besides every own submission kept). */
const SIGNING_KINDS: PersistRecord['kind'][] = ['vote', 'prepare', 'commit', 'timeout'];

export class SimState {
  /** Own submissions by round, until a committed block covers their round. */
  private submissions = new Map<number, PersistRecord>();
  /** The last record of each signing kind, by (round) or (height, view). */
  private last = new Map<string, PersistRecord>();
  private lock: PersistRecord | undefined;
  /** The newest round record of each round no committed block covers. */
  private rounds = new Map<number, PersistRecord>();
  /** The last round a committed block covers. */
  private roundFloor = -1;
  /** Committed blocks (stored bytes) by height. */
  readonly blocks = new Map<number, Uint8Array>();

  /** `keepRecords`: the member restarts in this run, so what its node persists is kept for the restore. A member that
   * never restarts never reads its records back: keeping them would only hold every round record and lock of the run
   * in memory (a 64-member run's ~12 MB, all of it until the block covering it commits). */
  constructor(private readonly keepRecords: boolean) {}

  persist(record: PersistRecord): void {
    if (!this.keepRecords) return;
    if (record.kind === 'submission') this.submissions.set(record.round, record);
    else if (record.kind === 'round') {
      if (record.round > this.roundFloor) this.rounds.set(record.round, record);
    } else if (record.kind === 'lock') this.lock = record;
    else {
      const held = this.last.get(record.kind);
      if (!held || position(record) > position(held)) this.last.set(record.kind, record);
    }
  }

  /** A block at `height` covering rounds up to `last` is committed: stored, and the records it covers forgotten. */
  committed(height: number, last: number, block: Uint8Array): void {
    this.blocks.set(height, block);
    this.roundFloor = Math.max(this.roundFloor, last);
    for (const r of [...this.submissions.keys()]) if (r <= last) this.submissions.delete(r);
    for (const r of [...this.rounds.keys()]) if (r <= last) this.rounds.delete(r);
    for (const [kind, rec] of [...this.last]) if (rec.round >= 0 ? rec.round <= last : rec.height <= height) this.last.delete(kind);
    if (this.lock && this.lock.height <= height) this.lock = undefined;
  }

  /** What a restarted node is given: its last stored block of the contiguous chain, and its records in the order the
   * Linux node state gives them (own submissions, the last of each signing kind, the lock, the round records). */
  restore(): NodeRestore {
    const records: PersistRecord[] = [];
    for (const r of [...this.submissions.keys()].sort((a, b) => a - b)) records.push(this.submissions.get(r)!);
    for (const kind of SIGNING_KINDS) {
      const rec = this.last.get(kind);
      if (rec) records.push(rec);
    }
    if (this.lock) records.push(this.lock);
    for (const r of [...this.rounds.keys()].sort((a, b) => a - b)) records.push(this.rounds.get(r)!);
    let height = -1;
    while (this.blocks.has(height + 1)) height++;
    return height >= 0 ? { tip: this.blocks.get(height)!, records } : { records };
  }
}

/** The order of a node's signatures of one kind: by round, or by height then view. */
function position(r: PersistRecord): number {
  return r.round >= 0 ? r.round : r.height * 1048576 + r.view;
}
