// The block store: committed blocks in an append-only log (blocks.log), an index by height and by reading
// (meter address, sequence number) that is rebuilt from the log when missing or stale (index.log), and a durable
// mark replaced atomically (meta.cbor). Generic over record bytes: `keysOf` says what a record holds.
import { promises as fsp } from 'node:fs';
import { join } from 'node:path';
import { decode, encode, toHex, type CborValue, type Schema } from '@meterchain/core';
import { LedgerError } from './errors.ts';
import { lockDirectory, readIfExists, replaceFileAtomically, type DirectoryLock } from './files.ts';
import { RecordLog, type Recovery, type SyncPolicy } from './record-log.ts';

export const BLOCKS_FILE = 'blocks.log';
export const INDEX_FILE = 'index.log';
export const META_FILE = 'meta.cbor';

/** A reading a record carries, in the order of the record's reading list (`leaf` is its position there). */
export interface ReadingKey {
  meter: Uint8Array;
  seq: number;
}

/** What the store indexes in a record. */
export interface RecordKeys {
  /** The block's height; when given, heights must run on without gaps from the first record's. */
  height?: number;
  readings?: readonly ReadingKey[];
}

export type KeysOf = (record: Uint8Array) => RecordKeys;

export interface BlockStoreOptions {
  /** Default `fdatasync` (see SyncPolicy): an append resolves when the block survives a power cut. */
  sync?: SyncPolicy;
  /** What a record holds (height, readings). Default: nothing; heights are then positions from 0. */
  keysOf?: KeysOf;
  /** Records between two durable marks (default 1024). A damaged record below the mark refuses to open. */
  checkpointEvery?: number;
  /** Cut off a damaged record even below the durable mark (an operator's decision, after a refusal). */
  repair?: boolean;
  /** Open without writing or locking (offline tools on a copy, or beside a running node). */
  readOnly?: boolean;
  /**
   * `tail` (default): check only the records the index does not cover, so opening costs what was appended since;
   * damage further back is found when a block is read. `full`: check every record's frame while opening.
   */
  scan?: 'tail' | 'full';
  /**
   * Keep the index by reading (meter, sequence number) in memory for `locate` (default true). A running node that
   * never looks a reading up opens with false: at 64 members that index grows by 64 entries a second, about 10 MB an
   * hour, for as long as the node runs. index.log holds the readings either way, for whoever opens the store later.
   */
  indexReadings?: boolean;
}

export interface Located {
  height: number;
  /** Position of the reading in its block's reading list. */
  leaf: number;
}

export interface StoreRecovery extends Recovery {
  /** How the index was obtained: loaded as it was, extended by scanning the log, or rebuilt from the log. */
  index: 'loaded' | 'extended' | 'rebuilt';
}

const META_SCHEMA: Schema = { map: { v: 'uint', records: 'uint', bytes: 'uint' } };
const INDEX_SCHEMA: Schema = {
  map: { i: 'uint', o: 'uint', h: 'uint', r: { array: { tuple: [{ bytes: 20 }, 'uint'] } } },
  optional: ['h'],
};

// Leaf positions are packed with the record position into one number: record × 2^21 + leaf (both stay below 2^53).
const LEAF_SPAN = 2 ** 21;

interface IndexEntry {
  offset: number;
  height?: number;
  readings: ReadingKey[];
}

function readingId(meter: Uint8Array, seq: number): string {
  return `${toHex(meter)}:${seq}`;
}

function checkKeys(keys: RecordKeys): void {
  if (keys === null || typeof keys !== 'object') throw new TypeError('block store: keysOf must return an object');
  if (keys.height !== undefined && !(Number.isSafeInteger(keys.height) && keys.height >= 0)) {
    throw new RangeError(`block store: height must be a non-negative integer, got ${String(keys.height)}`);
  }
  const readings = keys.readings ?? [];
  if (readings.length >= LEAF_SPAN) throw new RangeError(`block store: at most ${LEAF_SPAN - 1} readings per block, got ${readings.length}`);
}

export class BlockStore {
  readonly dir: string;
  #log: RecordLog;
  #index: RecordLog | undefined;
  #lock: DirectoryLock | undefined;
  #keysOf: KeysOf;
  #checkpointEvery: number;
  #checkpointedAt = 0;
  #checkpointing: Promise<void> | undefined;
  #firstHeight: number | undefined;
  #readings: Map<string, number> | undefined = new Map<string, number>();
  #heights: (number | undefined)[] = [];
  /** Keys of appended records waiting to become durable, by record position. */
  #pendingKeys = new Map<number, RecordKeys>();
  #nextHeight: number | undefined;

  private constructor(dir: string, log: RecordLog, keysOf: KeysOf, checkpointEvery: number) {
    this.dir = dir;
    this.#log = log;
    this.#keysOf = keysOf;
    this.#checkpointEvery = checkpointEvery;
  }

  /**
   * Opens a store in `dir` (created when missing, unless read-only). A torn tail left by a crash is cut off and
   * kept in `blocks.log.torn-<offset>`; a damaged record below the durable mark refuses to open (code 'corrupt').
   */
  static async open(dir: string, opts: BlockStoreOptions = {}): Promise<{ store: BlockStore; recovery: StoreRecovery }> {
    const keysOf: KeysOf = opts.keysOf ?? (() => ({}));
    const checkpointEvery = opts.checkpointEvery ?? 1024;
    if (!Number.isSafeInteger(checkpointEvery) || checkpointEvery < 1) throw new RangeError(`block store: checkpointEvery must be a positive integer, got ${checkpointEvery}`);
    const readOnly = opts.readOnly === true;
    if (!readOnly) await fsp.mkdir(dir, { recursive: true });
    const lock = readOnly ? undefined : await lockDirectory(dir);
    try {
      return await BlockStore.#openLocked(dir, opts, keysOf, checkpointEvery, lock);
    } catch (e) {
      await lock?.release();
      throw e;
    }
  }

  static async #openLocked(dir: string, opts: BlockStoreOptions, keysOf: KeysOf, checkpointEvery: number, lock: DirectoryLock | undefined) {
    const readOnly = opts.readOnly === true;
    const meta = await readMeta(join(dir, META_FILE));
    const entries = opts.scan === 'full' ? [] : await loadIndex(join(dir, INDEX_FILE));

    const scanned: { index: number; keys: RecordKeys }[] = [];
    const { log, recovery } = await RecordLog.open(join(dir, BLOCKS_FILE), {
      sync: opts.sync ?? 'fdatasync',
      durableFloor: meta?.bytes ?? 0,
      repair: opts.repair === true,
      readOnly,
      knownOffsets: entries.map((e) => e.offset),
      onScan: (index, payload) => {
        const keys = keysOf(payload);
        checkKeys(keys);
        scanned.push({ index, keys });
      },
    });
    const store = new BlockStore(dir, log, keysOf, checkpointEvery);
    store.#lock = lock;
    if (opts.indexReadings === false) store.#readings = undefined;
    // The log uses the index's offsets only when they hold, so either all entries were used or none.
    const fromIndex = recovery.records - recovery.scanned;
    const how: StoreRecovery['index'] = fromIndex !== entries.length || (fromIndex === 0 && recovery.scanned > 0) ? 'rebuilt' : recovery.scanned > 0 ? 'extended' : 'loaded';
    for (let i = 0; i < fromIndex; i++) store.#remember(i, { height: entries[i]!.height, readings: entries[i]!.readings });
    for (const s of scanned) {
      try {
        store.#checkHeight(s.index, s.keys);
      } catch (e) {
        await log.close();
        throw new LedgerError('corrupt', `${join(dir, BLOCKS_FILE)}: record ${s.index}: ${(e as Error).message}`);
      }
      store.#remember(s.index, s.keys);
    }
    if (!readOnly) {
      store.#index = await openIndexForWriting(join(dir, INDEX_FILE), how === 'rebuilt');
      store.#writeIndex(scanned);
      log.onDurable((_first, appended) => store.#onDurable(appended.map((a) => a.index)));
      await store.#checkpoint();
    }
    return { store, recovery: { ...recovery, index: how } };
  }

  /** Number of durable blocks. */
  get count(): number {
    return this.#log.count;
  }

  /** Height of the first stored block (undefined when empty or when records carry no height). */
  get firstHeight(): number | undefined {
    return this.#firstHeight;
  }

  /** Height of the last durable block, or undefined when empty. */
  get lastHeight(): number | undefined {
    return this.count === 0 ? undefined : this.#heightOf(this.count - 1);
  }

  /** Bytes of blocks.log on stable storage. */
  get durableBytes(): number {
    return this.#log.durableBytes;
  }

  #heightOf(index: number): number {
    return this.#heights[index] ?? index;
  }

  #checkHeight(index: number, keys: RecordKeys): void {
    if (keys.height === undefined) return;
    const first = this.#firstHeight ?? (index === 0 ? keys.height : undefined);
    const expected = first === undefined ? undefined : first + index;
    if (expected !== undefined && keys.height !== expected) {
      throw new LedgerError('out-of-order', `block at height ${keys.height} does not follow the stored chain (next height is ${expected})`);
    }
  }

  #remember(index: number, keys: RecordKeys): void {
    if (keys.height !== undefined) {
      if (index === 0) this.#firstHeight = keys.height;
      this.#heights[index] = keys.height;
    }
    const map = this.#readings;
    if (!map) return;
    const readings = keys.readings ?? [];
    for (let leaf = 0; leaf < readings.length; leaf++) {
      const r = readings[leaf]!;
      map.set(readingId(r.meter, r.seq), index * LEAF_SPAN + leaf);
    }
  }

  /**
   * Appends one committed block. Resolves with its height when the block is on stable storage (fdatasync of the
   * log returned): from then on the block survives a crash of the process or of the machine, and a reader of this
   * store sees it. Rejects with 'out-of-order' when its height does not follow, and with 'io-failed' when the disk
   * fails (then the store must be reopened). `known`: the record's keys, from a caller that has decoded it already
   * (they must be what keysOf would say); without it keysOf reads them.
   */
  async append(record: Uint8Array, known?: RecordKeys): Promise<{ height: number; index: number }> {
    const keys = known ?? this.#keysOf(record);
    checkKeys(keys);
    const index = this.count + this.#pendingKeys.size;
    if (keys.height !== undefined) {
      const expected = this.#nextHeight ?? (index === 0 ? keys.height : this.#heightOf(index - 1) + 1);
      if (keys.height !== expected) {
        throw new LedgerError('out-of-order', `block at height ${keys.height} does not follow the stored chain (next height is ${expected})`);
      }
      this.#nextHeight = keys.height + 1;
    }
    this.#pendingKeys.set(index, keys);
    try {
      const a = await this.#log.append(record);
      return { height: this.#heightOf(a.index), index: a.index };
    } catch (e) {
      this.#pendingKeys.delete(index);
      throw e;
    }
  }

  #onDurable(indexes: number[]): void {
    const records: { index: number; keys: RecordKeys }[] = [];
    for (const index of indexes) {
      const keys = this.#pendingKeys.get(index) ?? {};
      this.#pendingKeys.delete(index);
      this.#remember(index, keys);
      records.push({ index, keys });
    }
    this.#writeIndex(records);
    if (this.count - this.#checkpointedAt >= this.#checkpointEvery) void this.#checkpoint().catch(() => undefined);
  }

  /** Index entries are written after their blocks are durable and never synced: the log is the truth. */
  #writeIndex(records: { index: number; keys: RecordKeys }[]): void {
    if (!this.#index || records.length === 0) return;
    const payloads: Uint8Array[] = [];
    for (const { index, keys } of records) {
      const entry: { [k: string]: CborValue } = { i: index, o: this.#log.offsetOf(index) };
      if (keys.height !== undefined) entry['h'] = keys.height;
      entry['r'] = (keys.readings ?? []).map((k) => [k.meter, k.seq]);
      payloads.push(encode(entry));
    }
    this.#index.appendMany(payloads).catch(() => {
      // A lost index entry costs a rescan of the log on the next open, nothing more.
    });
  }

  /** Writes the durable mark: everything below it was synced, so damage there is corruption, not a torn tail. */
  async #checkpoint(): Promise<void> {
    if (this.#log.readOnly) return;
    while (this.#checkpointing) await this.#checkpointing;
    const records = this.#log.count;
    const bytes = this.#log.durableBytes;
    this.#checkpointing = replaceFileAtomically(join(this.dir, META_FILE), encode({ v: 1, records, bytes }));
    try {
      await this.#checkpointing;
      this.#checkpointedAt = records;
    } finally {
      this.#checkpointing = undefined;
    }
  }

  /**
   * After an append failed with 'io-failed' (a full disk): cuts the log back to its last durable block (see
   * RecordLog.recover) and forgets the appends that failed, so that they can be appended again. Throws when the disk
   * still refuses; call again later.
   */
  async recover(): Promise<void> {
    await this.#log.recover();
    if (this.#index?.failed) await this.#index.recover().catch(() => undefined);
    this.#pendingKeys.clear();
    this.#nextHeight = this.count === 0 ? undefined : this.#heightOf(this.count - 1) + 1;
  }

  /** Height of the block at position `index` (0 = first stored). */
  heightAt(index: number): number {
    if (!Number.isSafeInteger(index) || index < 0 || index >= this.count) throw new RangeError(`block store: index must be in 0..${this.count - 1}, got ${index}`);
    return this.#heightOf(index);
  }

  /** The stored bytes of the block at `height`, checked against its frame; undefined when not stored. */
  async get(height: number): Promise<Uint8Array | undefined> {
    const index = height - (this.#firstHeight ?? 0);
    if (!Number.isSafeInteger(index) || index < 0 || index >= this.count) return undefined;
    return this.#log.read(index);
  }

  /** Blocks at positions from..to-1 in one read (a verifier's sequential pass). */
  async range(from: number, to: number): Promise<Uint8Array[]> {
    return this.#log.readRange(from, to);
  }

  /** Where the reading (meter, seq) was committed, or undefined. */
  locate(meter: Uint8Array, seq: number): Located | undefined {
    if (!this.#readings) throw new LedgerError('no-reading-index', 'block store: opened without the reading index (indexReadings: false)');
    const packed = this.#readings.get(readingId(meter, seq));
    if (packed === undefined) return undefined;
    const index = Math.floor(packed / LEAF_SPAN);
    return { height: this.#heightOf(index), leaf: packed - index * LEAF_SPAN };
  }

  /** Number of indexed readings. */
  get readingCount(): number {
    if (!this.#readings) throw new LedgerError('no-reading-index', 'block store: opened without the reading index (indexReadings: false)');
    return this.#readings.size;
  }

  /** Waits for appends in flight, writes the durable mark, closes the files and releases the directory. */
  async close(): Promise<void> {
    await this.#log.close();
    if (!this.#log.readOnly) {
      await this.#index?.close();
      await this.#checkpoint().catch(() => undefined);
    }
    await this.#lock?.release();
    this.#lock = undefined;
  }
}

async function readMeta(path: string): Promise<{ records: number; bytes: number } | undefined> {
  const bytes = await readIfExists(path);
  if (!bytes) return undefined;
  const d = decode(bytes, META_SCHEMA);
  // meta.cbor is replaced atomically, so a malformed one was not written by us: say so rather than guess.
  if (!d.ok) throw new LedgerError('corrupt', `${path}: ${d.reason}`);
  return d.value as unknown as { records: number; bytes: number };
}

async function loadIndex(path: string): Promise<IndexEntry[]> {
  const entries: IndexEntry[] = [];
  let exists = true;
  try {
    await fsp.access(path);
  } catch {
    exists = false;
  }
  if (!exists) return entries;
  let ok = true;
  const opened = await RecordLog.open(path, {
    sync: 'none',
    readOnly: true,
    onScan: (i, payload) => {
      if (!ok) return;
      const d = decode(payload, INDEX_SCHEMA);
      const v = d.ok ? (d.value as { i: number; o: number; h?: number; r: [Uint8Array, number][] }) : undefined;
      if (!v || v.i !== i) {
        ok = false;
        return;
      }
      const e: IndexEntry = { offset: v.o, readings: v.r.map((x) => ({ meter: x[0], seq: x[1] })) };
      if (v.h !== undefined) e.height = v.h;
      entries.push(e);
    },
  }).catch(() => undefined);
  if (!opened) return [];
  await opened.log.close();
  // An intact entry that does not follow makes the index untrustworthy: start over (a torn tail only shortens it).
  return ok ? entries : [];
}

async function openIndexForWriting(path: string, fresh: boolean): Promise<RecordLog> {
  if (fresh) await fsp.rm(path, { force: true });
  const { log } = await RecordLog.open(path, { sync: 'none', quarantine: false });
  return log;
}
