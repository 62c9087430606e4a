// An append-only file of framed records (frame.ts) with group commit: an append resolves once its record, and every
// record before it, is on stable storage. On open, an unfinished tail left by a crash is detected and cut off. The
// ledger's block log, index and journal are such logs; the owner names the errors (LogErrors).
import { constants, promises as fsp } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { fsyncDirectory } from './files.ts';
import { FRAME_HEADER_LENGTH, encodeFrame, frameIsIntact, frameLength } from './frame.ts';

/** The first 16 bytes of every log file: names the format and its version. */
export const LOG_MAGIC = Buffer.from('meterchain.log.1', 'latin1');

/**
 * - `fdatasync`: every append waits for fdatasync(2) of the batch it joined (group commit: appends made while a
 *   sync is running share the next one). fdatasync flushes the file size too, which an append changes.
 * - `none`: no sync; a crash of the machine (not of the process) may lose any suffix. For rebuildable files only.
 */
export type SyncPolicy = 'fdatasync' | 'none';

/** What a log's failures are: 'corrupt' (damage to what was durable, or not a log), 'io-failed' (a write or sync
 * failed: the handle refuses further writes), 'closed'. */
export type LogErrorCode = 'corrupt' | 'io-failed' | 'closed';

/** A log's failure, when its owner names none of its own. */
export class LogError extends Error {
  override name = 'LogError';
  readonly code: LogErrorCode;

  constructor(code: LogErrorCode, message: string) {
    super(message);
    this.code = code;
  }
}

/** How the owner of a log wants its failures: its own error class, and what to tell an operator about damage. */
export interface LogErrors {
  make(code: LogErrorCode, message: string): Error;
  /** Appended to the message of damage to durable records (the ledger names its repair command). */
  repairHint?: string;
}

const DEFAULT_ERRORS: LogErrors = { make: (code, message) => new LogError(code, message) };

export interface RecordLogOptions {
  sync?: SyncPolicy;
  /** Errors as the owner names them (default LogError). */
  errors?: LogErrors;
  /**
   * Byte offset up to which the log is known to have been durable (a checkpoint kept elsewhere). A damaged record
   * that starts below it is corruption of committed data, not a torn tail: opening is refused unless `repair`.
   */
  durableFloor?: number;
  /** Cut at a damaged record even below the durable floor (operator's decision after a refusal). */
  repair?: boolean;
  /**
   * Take a damaged record for a torn tail only when no intact record follows it (a power cut leaves an unfinished
   * last record, never an intact one after a damaged one); otherwise opening is refused with code 'corrupt'.
   */
  strictTail?: boolean;
  /**
   * Start offsets of records already known (from an index), to skip re-reading them: used only when they are
   * consistent with the file (increasing, the last one intact), else the whole file is scanned.
   */
  knownOffsets?: readonly number[];
  /** Open without writing: a torn tail is reported and left in place. */
  readOnly?: boolean;
  /** Keep a cut tail in a side file (default true; off for files that are rebuilt from others, like an index). */
  quarantine?: boolean;
  /** Called with each record found by the scan on open (not for `knownOffsets`), in order. */
  onScan?: (index: number, payload: Uint8Array) => void;
}

export interface Recovery {
  /** Intact records in the log after opening. */
  records: number;
  /** Records read and checked by the scan (the rest came from `knownOffsets`). */
  scanned: number;
  /** Offset where a damaged or unfinished tail began, when there was one. */
  cutAt?: number;
  /** Bytes in that tail (cut off, unless read-only). */
  cutBytes: number;
  /** Why the tail was cut: 'short header', 'bad length', 'short payload' or 'bad check'. */
  cutReason?: string;
  /** File that keeps the cut bytes for inspection, when there were any. */
  quarantined?: string;
}

export interface Appended {
  /** Position of the record in the log, from 0. */
  index: number;
  /** Byte offset of its frame. */
  offset: number;
  /** Byte offset just past its frame: the log is durable up to here when the append resolves. */
  end: number;
}

interface PendingBatch {
  frames: Buffer[];
  appended: Appended[];
  resolve: (a: Appended[]) => void;
  reject: (e: Error) => void;
}

/** Reads a file through a window of `size` bytes, so a scan does one read per window, not one per record. */
class WindowReader {
  #buf = Buffer.alloc(0);
  #at = 0;
  constructor(
    readonly handle: FileHandle,
    readonly fileSize: number,
    readonly size = 1 << 20,
  ) {}

  async read(pos: number, length: number): Promise<Uint8Array> {
    if (pos >= this.#at && pos + length <= this.#at + this.#buf.length) return this.#buf.subarray(pos - this.#at, pos - this.#at + length);
    const n = Math.min(Math.max(this.size, length), this.fileSize - pos);
    const buf = Buffer.allocUnsafe(n);
    const { bytesRead } = await this.handle.read(buf, 0, n, pos);
    this.#buf = buf.subarray(0, bytesRead);
    this.#at = pos;
    return this.#buf.subarray(0, Math.min(length, bytesRead));
  }
}

async function writeFully(handle: FileHandle, buffers: Buffer[], position: number): Promise<void> {
  let pending = buffers;
  let pos = position;
  while (pending.length > 0) {
    const { bytesWritten } = await handle.writev(pending, pos);
    pos += bytesWritten;
    let skip = bytesWritten;
    const rest: Buffer[] = [];
    for (const b of pending) {
      if (skip >= b.length) skip -= b.length;
      else {
        rest.push(skip > 0 ? b.subarray(skip) : b);
        skip = 0;
      }
    }
    if (rest.length > 0 && bytesWritten === 0) throw new Error('write made no progress');
    pending = rest;
  }
}

/**
 * The first offset at or after `from` where an intact frame starts in `bytes`, trying every offset (after damage the
 * frame boundaries are unknown; a frame's 64-bit check makes a false find a 2^-64 event).
 */
export function findIntactFrame(bytes: Uint8Array, from: number): number | undefined {
  for (let q = from; q + FRAME_HEADER_LENGTH < bytes.length; q++) {
    const n = frameLength(bytes.subarray(q, q + 4));
    if (n === undefined || q + FRAME_HEADER_LENGTH + n > bytes.length) continue;
    if (frameIsIntact(bytes.subarray(q, q + FRAME_HEADER_LENGTH + n))) return q;
  }
  return undefined;
}

/** What a damaged log still holds: every intact frame's payload, in order, and the damaged byte ranges between. */
export function salvageFrames(bytes: Uint8Array): { payloads: Uint8Array[]; damaged: { at: number; bytes: number }[] } {
  const payloads: Uint8Array[] = [];
  const damaged: { at: number; bytes: number }[] = [];
  const magic = bytes.length >= LOG_MAGIC.length && Buffer.from(bytes.subarray(0, LOG_MAGIC.length)).equals(LOG_MAGIC);
  let pos = magic ? LOG_MAGIC.length : 0;
  while (pos < bytes.length) {
    const n = bytes.length - pos >= FRAME_HEADER_LENGTH ? frameLength(bytes.subarray(pos, pos + 4)) : undefined;
    if (n !== undefined && pos + FRAME_HEADER_LENGTH + n <= bytes.length && frameIsIntact(bytes.subarray(pos, pos + FRAME_HEADER_LENGTH + n))) {
      payloads.push(bytes.subarray(pos + FRAME_HEADER_LENGTH, pos + FRAME_HEADER_LENGTH + n));
      pos += FRAME_HEADER_LENGTH + n;
      continue;
    }
    const next = findIntactFrame(bytes, pos + 1);
    const end = next ?? bytes.length;
    if (!bytes.subarray(pos, end).every((b) => b === 0)) damaged.push({ at: pos, bytes: end - pos });
    pos = end;
  }
  return { payloads, damaged };
}

export class RecordLog {
  readonly path: string;
  readonly sync: SyncPolicy;
  readonly readOnly: boolean;
  #handle: FileHandle | undefined;
  /** Start offset of every durable record, then of every queued one. */
  #offsets: number[] = [];
  /** Records (and bytes) on stable storage: everything below these survives a power cut. */
  #durableCount = 0;
  #durableEnd = 0;
  /** Byte offset where the next appended frame goes. */
  #end = 0;
  #queue: PendingBatch[] = [];
  #flushing: Promise<void> | undefined;
  #failed: Error | undefined;
  #errors: LogErrors;
  #listeners: ((first: number, appended: Appended[]) => void)[] = [];

  private constructor(path: string, handle: FileHandle, sync: SyncPolicy, readOnly: boolean, errors: LogErrors) {
    this.path = path;
    this.#errors = errors;
    this.#handle = handle;
    this.sync = sync;
    this.readOnly = readOnly;
  }

  /** Opens (creating when missing, unless read-only) and recovers a log. */
  static async open(path: string, opts: RecordLogOptions = {}): Promise<{ log: RecordLog; recovery: Recovery }> {
    const sync = opts.sync ?? 'fdatasync';
    if (sync !== 'fdatasync' && sync !== 'none') throw new RangeError(`record log: sync must be 'fdatasync' or 'none', got '${String(sync)}'`);
    const readOnly = opts.readOnly === true;
    let handle: FileHandle;
    let created = false;
    try {
      handle = await fsp.open(path, readOnly ? constants.O_RDONLY : constants.O_RDWR);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT' || readOnly) throw e;
      handle = await fsp.open(path, constants.O_RDWR | constants.O_CREAT | constants.O_EXCL, 0o644);
      created = true;
    }
    const log = new RecordLog(path, handle, sync, readOnly, opts.errors ?? DEFAULT_ERRORS);
    try {
      if (created) await log.#writeMagic(true);
      const recovery = await log.#recover(opts);
      return { log, recovery };
    } catch (e) {
      await handle.close();
      throw e;
    }
  }

  /** Records on stable storage. */
  get count(): number {
    return this.#durableCount;
  }

  /** Bytes on stable storage (file header included). */
  get durableBytes(): number {
    return this.#durableEnd;
  }

  /** Start offset of durable record `index`. */
  offsetOf(index: number): number {
    this.#checkIndex(index);
    return this.#offsets[index]!;
  }

  /** Called after each synced batch with the records that became durable (the store indexes them there). */
  onDurable(listener: (first: number, appended: Appended[]) => void): void {
    this.#listeners.push(listener);
  }

  /** '; ' and the owner's repair hint, or nothing. */
  #hint(): string {
    return this.#errors.repairHint === undefined ? '' : `; ${this.#errors.repairHint}`;
  }

  async #writeMagic(fresh: boolean): Promise<void> {
    const handle = this.#handle!;
    await handle.truncate(0);
    await writeFully(handle, [LOG_MAGIC], 0);
    await handle.sync();
    if (fresh) await fsyncDirectory(dirname(this.path));
  }

  async #recover(opts: RecordLogOptions): Promise<Recovery> {
    const handle = this.#handle!;
    let size = (await handle.stat()).size;
    const head = Buffer.alloc(LOG_MAGIC.length);
    await handle.read(head, 0, head.length, 0);
    if (size < LOG_MAGIC.length) {
      // A crash while the file was being created: what is there must be a prefix of the magic (or zeros).
      const part = head.subarray(0, size);
      const prefix = part.every((b, i) => b === LOG_MAGIC[i]) || part.every((b) => b === 0);
      if (!prefix) throw this.#errors.make('corrupt', `${this.path} is not a meterchain log (bad header)`);
      if (this.readOnly) return { records: 0, scanned: 0, cutBytes: 0 };
      await this.#writeMagic(false);
      size = LOG_MAGIC.length;
    } else if (!head.equals(LOG_MAGIC)) {
      throw this.#errors.make('corrupt', `${this.path} is not a meterchain log (bad header)`);
    }

    const reader = new WindowReader(handle, size);
    let pos = LOG_MAGIC.length;
    const known = opts.knownOffsets ?? [];
    if (known.length > 0 && (await this.#knownOffsetsHold(reader, known, size))) {
      this.#offsets = known.slice();
      const last = known[known.length - 1]!;
      const header = await reader.read(last, FRAME_HEADER_LENGTH);
      pos = last + FRAME_HEADER_LENGTH + frameLength(header)!;
    }
    const fromKnown = this.#offsets.length;

    let cutReason: string | undefined;
    while (pos < size) {
      if (size - pos < FRAME_HEADER_LENGTH) {
        cutReason = 'short header';
        break;
      }
      const header = await reader.read(pos, FRAME_HEADER_LENGTH);
      const n = frameLength(header);
      if (n === undefined) {
        cutReason = 'bad length';
        break;
      }
      if (pos + FRAME_HEADER_LENGTH + n > size) {
        cutReason = 'short payload';
        break;
      }
      const frame = await reader.read(pos, FRAME_HEADER_LENGTH + n);
      if (!frameIsIntact(frame)) {
        cutReason = 'bad check';
        break;
      }
      if (opts.onScan) opts.onScan(this.#offsets.length, frame.subarray(FRAME_HEADER_LENGTH));
      this.#offsets.push(pos);
      pos += FRAME_HEADER_LENGTH + n;
    }
    const recovery: Recovery = { records: this.#offsets.length, scanned: this.#offsets.length - fromKnown, cutBytes: 0 };
    if (cutReason !== undefined) {
      recovery.cutAt = pos;
      recovery.cutBytes = size - pos;
      recovery.cutReason = cutReason;
      const floor = opts.durableFloor ?? 0;
      if (opts.strictTail && !opts.repair) {
        const rest = Buffer.alloc(size - pos);
        await handle.read(rest, 0, rest.length, pos);
        const next = findIntactFrame(rest, 1);
        if (next !== undefined) {
          throw this.#errors.make(
            'corrupt',
            `${this.path}: record ${this.#offsets.length} at byte ${pos} is damaged (${cutReason}) and an intact record follows at byte ${pos + next}: not a torn tail`,
          );
        }
      }
      if (pos < floor && !opts.repair) {
        throw this.#errors.make(
          'corrupt',
          `${this.path}: record ${this.#offsets.length} at byte ${pos} is damaged (${cutReason}) below the durable mark ${floor}: committed data was lost${this.#hint()}`,
        );
      }
      if (!this.readOnly) {
        if (opts.quarantine !== false) {
          const kept = await this.#quarantine(pos, size);
          if (kept) recovery.quarantined = kept;
        }
        await handle.truncate(pos);
        await handle.sync();
      }
      size = pos;
    }
    this.#durableCount = this.#offsets.length;
    this.#durableEnd = pos;
    this.#end = pos;
    return recovery;
  }

  /** Offsets from an index are trusted only when increasing, inside the file, and the last record is intact. */
  async #knownOffsetsHold(reader: WindowReader, known: readonly number[], size: number): Promise<boolean> {
    let prev = LOG_MAGIC.length - 1;
    if (known[0] !== LOG_MAGIC.length) return false;
    for (const o of known) {
      if (!Number.isSafeInteger(o) || o <= prev || o + FRAME_HEADER_LENGTH > size) return false;
      prev = o;
    }
    const last = known[known.length - 1]!;
    const n = frameLength(await reader.read(last, FRAME_HEADER_LENGTH));
    if (n === undefined || last + FRAME_HEADER_LENGTH + n > size) return false;
    return frameIsIntact(await reader.read(last, FRAME_HEADER_LENGTH + n));
  }

  /** Keeps the bytes about to be cut in a side file (fsynced), so that nothing is destroyed without a trace. */
  async #quarantine(from: number, to: number): Promise<string | undefined> {
    if (to <= from) return undefined;
    const bytes = Buffer.alloc(to - from);
    await this.#handle!.read(bytes, 0, bytes.length, from);
    if (bytes.every((b) => b === 0)) return undefined; // zeros a power cut left in a grown file say nothing
    const file = join(dirname(this.path), `${basename(this.path)}.torn-${from}`);
    await fsp.writeFile(file, bytes, { mode: 0o644 });
    const h = await fsp.open(file, 'r');
    await h.sync();
    await h.close();
    await fsyncDirectory(dirname(this.path));
    return file;
  }

  #checkIndex(index: number): void {
    if (!Number.isSafeInteger(index) || index < 0 || index >= this.#durableCount) {
      throw new RangeError(`record log: index must be an integer in 0..${this.#durableCount - 1}, got ${index}`);
    }
  }

  #usable(): void {
    if (this.#failed) throw this.#failed;
    if (!this.#handle) throw this.#errors.make('closed', `${this.path} is closed`);
    if (this.readOnly) throw new TypeError(`record log: ${this.path} was opened read-only`);
  }

  /** Appends one record; resolves when it is durable under the sync policy (see SyncPolicy). */
  async append(payload: Uint8Array): Promise<Appended> {
    return (await this.appendMany([payload]))[0]!;
  }

  /**
   * Appends records in order as one write; resolves when all are durable. Rejects with code 'io-failed' when a
   * write or sync fails; after that the handle refuses every append (what reached the disk is unknown until the
   * log is reopened and scanned).
   */
  appendMany(payloads: readonly Uint8Array[]): Promise<Appended[]> {
    if (this.#failed || !this.#handle) {
      return Promise.reject(this.#failed ?? this.#errors.make('closed', `${this.path} is closed`));
    }
    this.#usable();
    if (payloads.length === 0) return Promise.resolve([]);
    const frames = payloads.map((p) => encodeFrame(p));
    const appended: Appended[] = [];
    for (const f of frames) {
      appended.push({ index: this.#offsets.length, offset: this.#end, end: this.#end + f.length });
      this.#offsets.push(this.#end);
      this.#end += f.length;
    }
    const done = new Promise<Appended[]>((resolve, reject) => this.#queue.push({ frames, appended, resolve, reject }));
    this.#flushing ??= this.#flush();
    return done;
  }

  async #flush(): Promise<void> {
    try {
      while (this.#queue.length > 0 && !this.#failed) {
        const batches = this.#queue.splice(0);
        const buffers: Buffer[] = [];
        for (const b of batches) for (const f of b.frames) buffers.push(f);
        const first = batches[0]!.appended[0]!;
        try {
          await writeFully(this.#handle!, buffers, first.offset);
          if (this.sync === 'fdatasync') await this.#handle!.datasync();
        } catch (e) {
          this.#failed = this.#errors.make('io-failed', `${this.path}: ${(e as Error).message}; recover() or reopen the log`);
          for (const b of batches) b.reject(this.#failed);
          break;
        }
        const all: Appended[] = [];
        for (const b of batches) for (const a of b.appended) all.push(a);
        const last = all[all.length - 1]!;
        this.#durableCount = last.index + 1;
        this.#durableEnd = last.end;
        for (const listener of this.#listeners) listener(first.index, all);
        for (const b of batches) b.resolve(b.appended);
      }
      if (this.#failed) for (const b of this.#queue.splice(0)) b.reject(this.#failed);
    } finally {
      this.#flushing = undefined;
    }
  }

  /** The payload of durable record `index`, checked; throws code 'corrupt' when the disk no longer holds it intact. */
  async read(index: number): Promise<Uint8Array> {
    return (await this.readRange(index, index + 1))[0]!;
  }

  /** Payloads of durable records from..to-1, in one read; throws code 'corrupt' naming the first damaged one. */
  async readRange(from: number, to: number): Promise<Uint8Array[]> {
    if (!this.#handle) throw this.#errors.make('closed', `${this.path} is closed`);
    if (from === to) return [];
    this.#checkIndex(from);
    this.#checkIndex(to - 1);
    const start = this.#offsets[from]!;
    const end = to < this.#durableCount ? this.#offsets[to]! : this.#durableEnd;
    const buf = Buffer.allocUnsafe(end - start);
    const { bytesRead } = await this.#handle.read(buf, 0, buf.length, start);
    const out: Uint8Array[] = [];
    for (let i = from; i < to; i++) {
      const a = this.#offsets[i]! - start;
      const b = (i + 1 < to ? this.#offsets[i + 1]! : end) - start;
      const frame = buf.subarray(a, Math.min(b, bytesRead));
      if (!frameIsIntact(frame)) throw this.#errors.make('corrupt', `${this.path}: record ${i} at byte ${this.#offsets[i]} fails its check${this.#hint()}`);
      out.push(new Uint8Array(frame.buffer, frame.byteOffset + FRAME_HEADER_LENGTH, frame.length - FRAME_HEADER_LENGTH));
    }
    return out;
  }

  /**
   * After a failed append ('io-failed': a full disk, EIO), makes the log usable again: what reached the file past the
   * last durable record is unknown (after a failed fsync Linux may have dropped those pages), so the file is cut back
   * to that record and synced; appends are then accepted again. The rejected appends are not in the log: the caller
   * appends them again. Throws (and the log stays failed) when the cut or its sync fails too.
   */
  async recover(): Promise<void> {
    if (!this.#handle) throw this.#errors.make('closed', `${this.path} is closed`);
    while (this.#flushing) await this.#flushing;
    if (!this.#failed) return;
    await this.#handle.truncate(this.#durableEnd);
    await this.#handle.sync();
    this.#offsets.length = this.#durableCount;
    this.#end = this.#durableEnd;
    this.#failed = undefined;
  }

  /** True after a failed append, until recover() or a reopen. */
  get failed(): boolean {
    return this.#failed !== undefined;
  }

  /** Waits for queued appends, then closes the file. */
  async close(): Promise<void> {
    if (!this.#handle) return;
    while (this.#flushing) await this.#flushing;
    const h = this.#handle;
    this.#handle = undefined;
    await h.close();
  }
}
