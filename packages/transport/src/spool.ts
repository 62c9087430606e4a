// The on-disk spool of outgoing frames: an append-only file, so frames published while the broker is unreachable
// survive a restart (mqtt.js keeps its offline queue in memory only, DESIGN §4). Every frame goes through it, in
// order; a frame leaves it when the broker acknowledged it.
//
// Files in the spool directory:
//   spool.log    a log of the storage layer's checked frames (@meterchain/storage: 16-byte header, then frames
//                u32 length | 8-byte SHA-256 check | body), body = u8 topicLength | topic (ASCII) | payload, or, for
//                a frame published with an expiry, 0x00 | u48 expiresAt (ms, big-endian) | the same (a topic is
//                never empty, so the leading 0 tells the two apart, and a spool without expiries reads as before).
//                A spool written before (records u32 bodyLength | u32 CRC-32 | body, no header) is migrated on open.
//   spool.ack    u32 offsetHigh | u32 offsetLow | u32 crc32 of those 8 bytes: where the first unacknowledged record
//                starts. Written without fsync: after a crash it may lag, and the lag is resent (receivers drop the
//                duplicates by sequence number).
//   spool.state  {"incarnation": n}, replaced atomically (@meterchain/storage), raised on every open.
//   spool.lock   the pid of the process that holds the spool (@meterchain/storage's pid lock).
// fsync policy: 'always' (default) fdatasyncs each write batch before publish() resolves and before the frames are
// sent (appends that arrive during a sync share the next one); 'interval' writes at once and syncs
// fsyncIntervalMs after the first unsynced write (never while idle), so a power cut can lose that much while a
// process crash loses nothing.
import { constants } from 'node:fs';
import { mkdir, open, readFile, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { FRAME_HEADER_LENGTH, LOG_MAGIC, encodeFrame, frameIsIntact, frameLength, readIfExists, replaceFileAtomically, takePidLock, type PidLock } from '@meterchain/storage';
import { crc32 } from '@meterchain/core';
import { MAX_INCARNATION } from './header.ts';

export type FsyncPolicy = 'always' | 'interval';

export interface SpoolOptions {
  dir: string;
  fsync?: FsyncPolicy;
  /** With fsync 'interval': how often, in ms (default 1000). */
  fsyncIntervalMs?: number;
  /** The spool refuses frames past this size (default 64 MiB). */
  maxBytes?: number;
  /** Once everything is acknowledged and the file is at least this large, it is truncated (default 1 MiB). */
  compactBytes?: number;
  /** Wall clock in ms, for the incarnation (default Date.now). */
  now?: () => number;
}

export interface SpoolRecord {
  /** Where the record starts in spool.log (identifies it for ack()). */
  offset: number;
  end: number;
  /** The topic it was published on (the spool may outlive a change of cluster or address in the configuration). */
  topic: string;
  /** The framed payload, in a buffer of its own that nothing writes to again. */
  payload: Buffer;
  /** Wall-clock ms after which the frame is not worth sending (publish option expiresAt); absent: it never expires. */
  expiresAt?: number;
}

/** Largest expiry a record can hold: 2^48 - 1 ms (year 10889). */
const MAX_EXPIRES_AT = 0xffffffffffff;
/** Marker byte and expiry in front of an expiring record's topic. */
const EXPIRY_PREFIX = 7;

/** The spool holds its limit of bytes; the frame was not taken. */
export class SpoolFullError extends Error {
  readonly code = 'SPOOL_FULL';
  constructor(maxBytes: number) {
    super(`spool: full (limit ${maxBytes} bytes); frames are waiting for the broker`);
    this.name = 'SpoolFullError';
  }
}

/** Another live process holds the spool directory. */
export class SpoolLockedError extends Error {
  readonly code = 'SPOOL_LOCKED';
  constructor(dir: string, pid: number) {
    super(`spool: ${dir} is in use by process ${pid}`);
    this.name = 'SpoolLockedError';
  }
}

/** Where the first record starts: after the log header. */
const START = LOG_MAGIC.length;
const READ_CHUNK = 64 * 1024;

async function takeLock(dir: string): Promise<PidLock> {
  const taken = await takePidLock(join(dir, 'spool.lock'), { ownPid: 'refuse' });
  if (taken.ok) return taken.lock;
  if (taken.heldBy === undefined) throw new Error(`spool: could not take the lock in ${dir}`);
  throw new SpoolLockedError(dir, taken.heldBy);
}

function encodeAck(offset: number): Buffer {
  const out = Buffer.alloc(12);
  out.writeUInt32BE(Math.floor(offset / 0x100000000), 0);
  out.writeUInt32BE(offset % 0x100000000, 4);
  out.writeUInt32BE(crc32(out.subarray(0, 8)), 8);
  return out;
}

function decodeAck(bytes: Buffer): number {
  if (bytes.length < 12 || bytes.readUInt32BE(8) !== crc32(bytes.subarray(0, 8))) return 0;
  return bytes.readUInt32BE(0) * 0x100000000 + bytes.readUInt32BE(4);
}

function encodeRecord(topic: string, payload: Uint8Array, expiresAt: number | undefined): Buffer {
  if (!/^[\x21-\x7e]{1,255}$/.test(topic)) throw new TypeError(`spool: expected a printable ASCII topic of 1-255 characters, got ${JSON.stringify(topic.slice(0, 300))}`);
  if (expiresAt !== undefined && (!Number.isInteger(expiresAt) || expiresAt < 0 || expiresAt > MAX_EXPIRES_AT)) {
    throw new RangeError(`spool: expected expiresAt as integer ms in 0..2^48-1, got ${expiresAt}`);
  }
  const prefix = expiresAt === undefined ? 0 : EXPIRY_PREFIX;
  const body = Buffer.allocUnsafe(prefix + 1 + topic.length + payload.length);
  if (expiresAt !== undefined) {
    body.writeUInt8(0, 0);
    body.writeUIntBE(expiresAt, 1, 6);
  }
  body.writeUInt8(topic.length, prefix);
  body.write(topic, prefix + 1, 'latin1');
  body.set(payload, prefix + 1 + topic.length);
  return encodeFrame(body);
}

type Parsed = { record: SpoolRecord } | { need: number } | { torn: true };

/** Parses the record at `at` of `chunk` (which starts at file offset `base`). */
function parseRecord(chunk: Buffer, at: number, base: number): Parsed {
  if (chunk.length - at < FRAME_HEADER_LENGTH) return { need: FRAME_HEADER_LENGTH };
  const bodyLength = frameLength(chunk.subarray(at, at + 4));
  if (bodyLength === undefined || bodyLength < 2) return { torn: true };
  const total = FRAME_HEADER_LENGTH + bodyLength;
  if (chunk.length - at < total) return { need: total };
  if (!frameIsIntact(chunk.subarray(at, at + total))) return { torn: true };
  let body = chunk.subarray(at + FRAME_HEADER_LENGTH, at + total);
  let expiresAt: number | undefined;
  if (body[0] === 0) {
    if (body.length < EXPIRY_PREFIX + 2) return { torn: true };
    expiresAt = body.readUIntBE(1, 6);
    body = body.subarray(EXPIRY_PREFIX);
  }
  const topicLength = body[0]!;
  if (topicLength === 0 || topicLength + 1 > body.length) return { torn: true };
  const topic = body.toString('latin1', 1, 1 + topicLength);
  const record: SpoolRecord = { offset: base + at, end: base + at + total, topic, payload: body.subarray(1 + topicLength) };
  if (expiresAt !== undefined) record.expiresAt = expiresAt;
  return { record };
}

/**
 * The unacknowledged records of a spool written before the storage layer's frames (u32 bodyLength | u32 CRC-32 |
 * body, from offset 0), read whole and intact from `acked` on; a torn tail ends them, as it did then.
 */
function legacyRecords(bytes: Buffer, acked: number): Buffer[] {
  const bodies: Buffer[] = [];
  let at = acked;
  while (bytes.length - at >= 8) {
    const bodyLength = bytes.readUInt32BE(at);
    if (bodyLength < 2 || bytes.length - at - 8 < bodyLength) break;
    const body = bytes.subarray(at + 8, at + 8 + bodyLength);
    if (crc32(body) !== bytes.readUInt32BE(at + 4) || body[0] === 0 || body[0]! + 1 > body.length) break;
    bodies.push(body);
    at += 8 + bodyLength;
  }
  return bodies;
}

/** Counts the whole, intact records in [from, to) and returns where they end. */
async function scanRecords(log: FileHandle, from: number, to: number): Promise<{ end: number; count: number }> {
  let base = from;
  let count = 0;
  while (base < to) {
    let chunk = Buffer.allocUnsafe(Math.min(16 * READ_CHUNK, to - base));
    await log.read(chunk, 0, chunk.length, base);
    let at = 0;
    for (;;) {
      const parsed = parseRecord(chunk, at, base);
      if ('torn' in parsed) return { end: base + at, count };
      if ('need' in parsed) {
        if (base + at + parsed.need > to) return { end: base + at, count };
        if (at === 0) {
          chunk = Buffer.allocUnsafe(parsed.need);
          await log.read(chunk, 0, chunk.length, base);
          continue;
        }
        break;
      }
      count++;
      at = parsed.record.end - base;
      if (at >= chunk.length) break;
    }
    base += at;
  }
  return { end: base, count };
}

interface PendingAppend {
  record: Buffer;
  resolve: () => void;
  reject: (error: Error) => void;
}

export class Spool {
  readonly dir: string;
  readonly incarnation: number;
  readonly #log: FileHandle;
  readonly #ack: FileHandle;
  readonly #lock: PidLock;
  readonly #policy: FsyncPolicy;
  readonly #maxBytes: number;
  readonly #compactBytes: number;
  /** Under 'interval': the pending sync of what was written since the last one (none while nothing is unsynced). */
  #syncTimer: NodeJS.Timeout | undefined;
  readonly #syncEveryMs: number;
  /** Serialises every file operation (writes, reads, truncation). */
  #io: Promise<unknown> = Promise.resolve();
  #pending: PendingAppend[] = [];
  #pendingBytes = 0;
  #writing = false;
  /** Records of the batch being written right now. */
  #inWrite = 0;
  /** End of the bytes written to spool.log (and synced, under 'always'). */
  #written: number;
  /** Start of the first unacknowledged record. */
  #acked: number;
  /** Next record to hand to the sender. */
  #sendCursor: number;
  /** Records handed out and not yet acknowledged, by offset, in file order. */
  readonly #outstanding: Array<{ offset: number; end: number; done: boolean }> = [];
  #queued: number;
  /** The last batch written, kept to hand out without reading it back (never written to again). */
  #tail: { start: number; bytes: Buffer } | undefined;
  #ackDirty = false;
  #ackWriting = false;
  #closed = false;
  /** Called after new records were written, so a sender can pick them up. */
  onWritten: () => void = () => undefined;

  private constructor(
    dir: string,
    incarnation: number,
    log: FileHandle,
    ack: FileHandle,
    lock: PidLock,
    options: SpoolOptions,
    written: number,
    acked: number,
    queued: number,
  ) {
    this.dir = dir;
    this.incarnation = incarnation;
    this.#log = log;
    this.#ack = ack;
    this.#lock = lock;
    this.#policy = options.fsync ?? 'always';
    this.#maxBytes = options.maxBytes ?? 64 * 1024 * 1024;
    this.#compactBytes = options.compactBytes ?? 1024 * 1024;
    this.#written = written;
    this.#acked = acked;
    this.#sendCursor = acked;
    this.#queued = queued;
    this.#syncEveryMs = options.fsyncIntervalMs ?? 1000;
  }

  /** Opens (or creates) the spool in `options.dir`: takes the lock, recovers after a crash, raises the incarnation. */
  static async open(options: SpoolOptions): Promise<Spool> {
    const policy = options.fsync ?? 'always';
    if (policy !== 'always' && policy !== 'interval') throw new TypeError(`spool: expected fsync 'always' or 'interval', got ${JSON.stringify(policy)}`);
    if (typeof options.dir !== 'string' || options.dir === '') throw new TypeError(`spool: expected a directory path, got ${JSON.stringify(options.dir)}`);
    const maxBytes = options.maxBytes ?? 64 * 1024 * 1024;
    if (!Number.isInteger(maxBytes) || maxBytes < 1024) throw new RangeError(`spool: expected maxBytes >= 1024, got ${options.maxBytes}`);
    const dir = options.dir;
    await mkdir(dir, { recursive: true, mode: 0o700 });
    const lock = await takeLock(dir);
    try {
      const incarnation = await Spool.#nextIncarnation(dir, (options.now ?? Date.now)());
      const ack = await open(join(dir, 'spool.ack'), constants.O_RDWR | constants.O_CREAT, 0o600);
      const ackBytes = Buffer.alloc(12);
      await ack.read(ackBytes, 0, 12, 0);
      const logPath = join(dir, 'spool.log');
      const migrated = await Spool.#migrateLegacy(logPath, decodeAck(ackBytes), ack);
      const log = await open(logPath, constants.O_RDWR | constants.O_CREAT, 0o600);
      let size = (await log.stat()).size;
      if (size < START) {
        // New, or its header cut short by a crash at creation: nothing was ever spooled in it.
        await log.truncate(0);
        await log.write(LOG_MAGIC, 0, START, 0);
        await log.datasync();
        size = START;
      }
      let acked = Math.min(Math.max(migrated ? START : decodeAck(ackBytes), START), size);
      // Walk the unacknowledged records; a bad one is a torn write at the tail from a crash: cut it off there.
      const { end: at, count: queued } = await scanRecords(log, acked, size);
      if (at < size) {
        await log.truncate(at);
        await log.datasync();
      }
      if (acked > at) acked = at;
      return new Spool(dir, incarnation, log, ack, lock, options, at, acked, queued);
    } catch (error) {
      await lock.release().catch(() => undefined);
      throw error;
    }
  }

  /**
   * Rewrites a spool.log of the earlier format (no header, CRC-32 records) as a log of storage frames holding its
   * unacknowledged records, in order. The acknowledgement point goes to the start first: a crash in between
   * migrates the old file again from its start (acknowledged frames resent: duplicates the receivers drop), never
   * reads the new file at an old offset. Returns whether it migrated.
   */
  static async #migrateLegacy(logPath: string, acked: number, ack: FileHandle): Promise<boolean> {
    const old = await readIfExists(logPath);
    if (old === undefined || old.length === 0) return false;
    const bytes = Buffer.from(old.buffer, old.byteOffset, old.length);
    const head = bytes.subarray(0, Math.min(START, bytes.length));
    if (head.equals(LOG_MAGIC.subarray(0, head.length))) return false;
    const frames = legacyRecords(bytes, Math.min(acked, bytes.length)).map((body) => encodeFrame(body));
    await ack.write(encodeAck(0), 0, 12, 0);
    await ack.datasync();
    await replaceFileAtomically(logPath, Buffer.concat([LOG_MAGIC, ...frames]));
    return true;
  }

  static async #nextIncarnation(dir: string, nowMs: number): Promise<number> {
    const path = join(dir, 'spool.state');
    let previous = 0;
    try {
      const state = JSON.parse(await readFile(path, 'utf8')) as { incarnation?: unknown };
      if (typeof state.incarnation === 'number' && Number.isInteger(state.incarnation)) previous = state.incarnation;
    } catch {
      // No state yet (or unreadable): the clock still gives a number above any earlier run's.
    }
    // Seconds of the wall clock keep incarnations rising even if the directory is lost and recreated.
    const incarnation = Math.max(previous + 1, Math.floor(nowMs / 1000));
    if (incarnation > MAX_INCARNATION) throw new RangeError(`spool: incarnation ${incarnation} out of range`);
    await replaceFileAtomically(path, JSON.stringify({ incarnation }));
    return incarnation;
  }

  /** Frames not yet acknowledged, including those recovered from a previous run. */
  get queued(): number {
    return this.#queued + this.#inWrite + this.#pending.length;
  }

  /** Bytes of spool.log not yet acknowledged. */
  get queuedBytes(): number {
    return this.#written - this.#acked + this.#pendingBytes;
  }

  /** Appends one framed payload (with the time after which it is not worth sending, if any); resolves when it is
   * written (and synced under 'always'). */
  append(topic: string, payload: Uint8Array, expiresAt?: number): Promise<void> {
    if (this.#closed) return Promise.reject(new Error('spool: append() after close()'));
    const record = encodeRecord(topic, payload, expiresAt);
    if (this.#written - this.#acked + this.#pendingBytes + record.length > this.#maxBytes) return Promise.reject(new SpoolFullError(this.#maxBytes));
    return new Promise<void>((resolve, reject) => {
      this.#pending.push({ record, resolve, reject });
      this.#pendingBytes += record.length;
      if (!this.#writing) void this.#writeLoop();
    });
  }

  /** Up to `max` records after the last one handed out; each is handed out once until rewind(). */
  async take(max: number): Promise<SpoolRecord[]> {
    return this.#serial(async () => {
      const out: SpoolRecord[] = [];
      while (out.length < max && this.#sendCursor < this.#written) {
        const available = this.#written - this.#sendCursor;
        const tail = this.#tail;
        let chunk: Buffer;
        if (tail && this.#sendCursor >= tail.start && this.#sendCursor < tail.start + tail.bytes.length) {
          // The batch just written is still in memory: no need to read it back.
          chunk = tail.bytes.subarray(this.#sendCursor - tail.start);
        } else {
          chunk = Buffer.allocUnsafe(Math.min(READ_CHUNK, available));
          await this.#log.read(chunk, 0, chunk.length, this.#sendCursor);
        }
        let at = 0;
        while (out.length < max) {
          const parsed = parseRecord(chunk, at, this.#sendCursor);
          if ('torn' in parsed) throw new Error(`spool: damaged record at offset ${this.#sendCursor + at} in ${this.dir}`);
          if ('need' in parsed) {
            if (at === 0) {
              // One record larger than the chunk: read exactly it.
              chunk = Buffer.allocUnsafe(Math.min(parsed.need, available));
              await this.#log.read(chunk, 0, chunk.length, this.#sendCursor);
              continue;
            }
            break;
          }
          out.push(parsed.record);
          this.#outstanding.push({ offset: parsed.record.offset, end: parsed.record.end, done: false });
          at = parsed.record.end - this.#sendCursor;
          if (at >= chunk.length) break;
        }
        this.#sendCursor += at;
      }
      return out;
    });
  }

  /** Marks a handed-out record as acknowledged by the broker (or refused for good). */
  ack(offset: number): void {
    const entry = this.#outstanding.find((o) => o.offset === offset);
    if (!entry || entry.done) return;
    entry.done = true;
    let advanced = false;
    while (this.#outstanding.length > 0 && this.#outstanding[0]!.done) {
      const head = this.#outstanding.shift()!;
      this.#acked = head.end;
      this.#queued--;
      advanced = true;
    }
    if (advanced) this.#persistAck();
  }

  /** Forgets what was handed out and not acknowledged; take() starts again from the first such record. */
  rewind(): void {
    this.#outstanding.length = 0;
    this.#sendCursor = this.#acked;
  }

  /** Records handed out and not yet acknowledged. */
  get outstanding(): number {
    return this.#outstanding.length;
  }

  /** True when take() has something to hand out. */
  get hasUnsent(): boolean {
    return this.#sendCursor < this.#written;
  }

  /** Writes everything pending, saves the acknowledgement point, closes the files, releases the lock. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#syncTimer) clearTimeout(this.#syncTimer);
    while (this.#writing || this.#pending.length > 0) await this.#serial(async () => undefined);
    await this.#serial(async () => {
      await this.#ack.write(encodeAck(this.#acked), 0, 12, 0);
      await this.#ack.datasync();
      await this.#log.datasync();
    }).catch(() => undefined);
    await this.#log.close().catch(() => undefined);
    await this.#ack.close().catch(() => undefined);
    await this.#lock.release().catch(() => undefined);
  }

  #serial<T>(op: () => Promise<T>): Promise<T> {
    const next = this.#io.then(op, op);
    this.#io = next.catch(() => undefined);
    return next;
  }

  async #writeLoop(): Promise<void> {
    this.#writing = true;
    try {
      while (this.#pending.length > 0) {
        const batch = this.#pending;
        this.#pending = [];
        const bytes = batch.length === 1 ? batch[0]!.record : Buffer.concat(batch.map((p) => p.record));
        this.#pendingBytes -= bytes.length;
        this.#inWrite = batch.length;
        try {
          await this.#serial(async () => {
            await this.#maybeCompact();
            await this.#log.write(bytes, 0, bytes.length, this.#written);
            if (this.#policy === 'always') await this.#log.datasync();
            this.#tail = { start: this.#written, bytes };
            this.#written += bytes.length;
            this.#queued += batch.length;
            this.#inWrite = 0;
          });
          for (const p of batch) p.resolve();
          if (this.#policy === 'interval') this.#syncSoon();
          this.onWritten();
        } catch (error) {
          this.#inWrite = 0;
          const err = error instanceof Error ? error : new Error(String(error));
          for (const p of batch) p.reject(err);
        }
      }
    } finally {
      this.#writing = false;
    }
  }

  /** Under 'interval': syncs spool.log fsyncIntervalMs after the first write since the last sync (an idle spool costs
   * no timer and no sync). */
  #syncSoon(): void {
    if (this.#syncTimer || this.#closed) return;
    this.#syncTimer = setTimeout(() => {
      this.#syncTimer = undefined;
      void this.#serial(() => this.#log.datasync()).catch(() => undefined);
    }, this.#syncEveryMs);
    this.#syncTimer.unref();
  }

  /** Empties spool.log once every record in it is acknowledged and it has grown past compactBytes. */
  async #maybeCompact(): Promise<void> {
    if (this.#acked !== this.#written || this.#written < this.#compactBytes || this.#outstanding.length > 0) return;
    // The acknowledgement point goes to 0 first: a crash in between resends acknowledged frames (duplicates the
    // receivers drop) rather than skipping new ones.
    await this.#ack.write(encodeAck(0), 0, 12, 0);
    await this.#ack.datasync();
    await this.#log.truncate(START);
    this.#tail = undefined;
    this.#written = START;
    this.#acked = START;
    this.#sendCursor = START;
  }

  #persistAck(): void {
    this.#ackDirty = true;
    if (this.#ackWriting || this.#closed) return;
    this.#ackWriting = true;
    const loop = async (): Promise<void> => {
      while (this.#ackDirty && !this.#closed) {
        this.#ackDirty = false;
        await this.#serial(() => this.#ack.write(encodeAck(this.#acked), 0, 12, 0)).catch(() => undefined);
      }
      this.#ackWriting = false;
    };
    void loop();
  }
}
