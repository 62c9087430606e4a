// A PMU member's frames (docs/ledger.md, "Frame store"): each batch's frames, stored durably before the batch is
// signed, so that any frame of a batch in the chain can be proven later (`meterchain chain prove --frame`). One record
// per batch; records go to segment files of `segmentRounds` rounds each, and only the last `keepSegments` segments
// are kept (the store is bounded: at 60 frames/s of about 60 bytes, an hour is about 13 MB).
import { mkdir, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { decodeAs, encode, type Schema } from '@meterchain/core';
import { LedgerError } from './errors.ts';
import { RecordLog } from './record-log.ts';

/** At most this many frames in one batch record: a round of a few seconds at 60 frames/s. */
export const MAX_BATCH_FRAMES = 1024;

export const FRAME_RECORD_SCHEMA = {
  map: { round: 'uint', first: 'uint', config: 'bytes', frames: { array: 'bytes', max: MAX_BATCH_FRAMES } },
} as const satisfies Schema;

/** One batch's frames: its round, the sequence number of its first frame, and the configuration they decode under. */
export interface FrameRecord {
  round: number;
  first: number;
  /** The station's CFG-2 frame. */
  config: Uint8Array;
  frames: Uint8Array[];
}

export interface FrameStoreOptions {
  /** Rounds per segment file (default 600). */
  segmentRounds?: number;
  /** Segments kept (default 6: an hour of 1-second rounds). */
  keepSegments?: number;
  readOnly?: boolean;
}

const SEGMENT = /^frames-(\d{10})\.log$/;

function segmentName(firstRound: number): string {
  return `frames-${String(firstRound).padStart(10, '0')}.log`;
}

export class FrameStore {
  private readonly dir: string;
  private readonly segmentRounds: number;
  private readonly keepSegments: number;
  private readonly readOnly: boolean;
  private log: RecordLog | undefined;
  private logFirst = -1;
  /** Sequence number the next frame gets (one past the last stored), and the last round stored (−1: none). */
  nextSeq = 0;
  lastRound = -1;

  private constructor(dir: string, o: FrameStoreOptions) {
    this.dir = dir;
    this.segmentRounds = o.segmentRounds ?? 600;
    this.keepSegments = o.keepSegments ?? 6;
    this.readOnly = o.readOnly === true;
  }

  /** Opens (creating unless read-only) the store in `dir`; the last segment is recovered like any record log. */
  static async open(dir: string, o: FrameStoreOptions = {}): Promise<FrameStore> {
    const s = new FrameStore(dir, o);
    if (!s.readOnly) await mkdir(dir, { recursive: true });
    const segments = await s.segments();
    const last = segments[segments.length - 1];
    if (last !== undefined) {
      const { log } = await RecordLog.open(join(dir, segmentName(last)), { readOnly: s.readOnly });
      if (log.count > 0) {
        const r = decodeRecord(await log.read(log.count - 1));
        s.nextSeq = r.first + r.frames.length;
        s.lastRound = r.round;
      }
      if (s.readOnly) await log.close();
      else {
        s.log = log;
        s.logFirst = last;
      }
    }
    return s;
  }

  /** Segment start rounds, oldest first. */
  private async segments(): Promise<number[]> {
    const names = await readdir(this.dir).catch(() => [] as string[]);
    const out: number[] = [];
    for (const n of names) {
      const m = SEGMENT.exec(n);
      if (m) out.push(Number(m[1]));
    }
    return out.sort((a, b) => a - b);
  }

  /** Stores a batch's frames durably (fdatasync) and returns once they are; rounds must increase. */
  async append(record: FrameRecord): Promise<void> {
    if (this.readOnly) throw new LedgerError('closed', 'frame store opened read-only');
    if (record.round <= this.lastRound) throw new LedgerError('out-of-order', `frame store: round ${record.round} after round ${this.lastRound}`);
    if (record.frames.length === 0 || record.frames.length > MAX_BATCH_FRAMES) throw new LedgerError('malformed', `frame store: ${record.frames.length} frames in a batch (1..${MAX_BATCH_FRAMES})`);
    const first = record.round - (record.round % this.segmentRounds);
    if (!this.log || first !== this.logFirst) {
      if (this.log) await this.log.close();
      this.log = (await RecordLog.open(join(this.dir, segmentName(first)))).log;
      this.logFirst = first;
      const segments = await this.segments();
      for (const old of segments.slice(0, Math.max(0, segments.length - this.keepSegments))) await rm(join(this.dir, segmentName(old)), { force: true });
    }
    await this.log.append(encode({ round: record.round, first: record.first, config: record.config, frames: record.frames }));
    this.lastRound = record.round;
    this.nextSeq = record.first + record.frames.length;
  }

  /** The frames of `round`, or undefined when the store does not hold them (never stored, or dropped as old). */
  async get(round: number): Promise<FrameRecord | undefined> {
    const first = round - (round % this.segmentRounds);
    const segments = await this.segments();
    if (segments.indexOf(first) < 0) return undefined;
    const own = this.log && this.logFirst === first;
    const log = own ? this.log! : (await RecordLog.open(join(this.dir, segmentName(first)), { readOnly: true })).log;
    try {
      for (let i = log.count - 1; i >= 0; i--) {
        const r = decodeRecord(await log.read(i));
        if (r.round === round) return r;
        if (r.round < round) return undefined;
      }
      return undefined;
    } finally {
      if (!own) await log.close();
    }
  }

  /** The batch record holding frame `seq`, or undefined when the store does not hold it. */
  async find(seq: number): Promise<FrameRecord | undefined> {
    const segments = await this.segments();
    for (let k = segments.length - 1; k >= 0; k--) {
      const own = this.log && this.logFirst === segments[k];
      const log = own ? this.log! : (await RecordLog.open(join(this.dir, segmentName(segments[k]!)), { readOnly: true })).log;
      try {
        if (log.count === 0) continue;
        if (decodeRecord(await log.read(0)).first > seq) continue;
        for (let i = log.count - 1; i >= 0; i--) {
          const r = decodeRecord(await log.read(i));
          if (r.first <= seq && seq < r.first + r.frames.length) return r;
          if (r.first + r.frames.length <= seq) return undefined;
        }
      } finally {
        if (!own) await log.close();
      }
    }
    return undefined;
  }

  async close(): Promise<void> {
    if (this.log) await this.log.close();
    this.log = undefined;
  }
}

function decodeRecord(bytes: Uint8Array): FrameRecord {
  const d = decodeAs(bytes, FRAME_RECORD_SCHEMA);
  if (!d.ok) throw new LedgerError('corrupt', `frame store: a record that does not decode (${d.reason})`);
  return d.value;
}
