// Node state that survives reboots: what this node signed for each slot, so that a restarted node re-sends the same
// message instead of signing a different one (equivocation, docs/protocol.md), and its own readings that are not yet
// accepted. A journal (journal-<gen>.log, fdatasync per batch) holds every change; a snapshot (state.cbor, replaced
// atomically) folds the journal in when it grows.
import { promises as fsp } from 'node:fs';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import { decode, encode, equalBytes, toHex, type CborValue, type Schema } from '@meterchain/core';
import type { PersistRecord } from './consensus.ts';
import { LedgerError } from './errors.ts';
import { lockDirectory, readIfExists, replaceFileAtomically, type DirectoryLock } from './files.ts';
import { RecordLog } from './record-log.ts';

export const STATE_FILE = 'state.cbor';

/**
 * What one signature is for: at most one message may ever be signed per slot. `kind` names the message family
 * (e.g. 'submission', 'vote', 'block'), `index` its round or height.
 */
export interface Slot {
  kind: string;
  index: number;
  /** View within the height, for block signatures and timeouts (0..2^20-1; default 0). */
  view?: number;
}

/** Slot positions: index × 2^20 + view, so that slots of one kind order by (index, view). */
const VIEW_SPAN = 1048576;
const MAX_INDEX = Math.floor(Number.MAX_SAFE_INTEGER / VIEW_SPAN);

function position(slot: Slot): number {
  return slot.index * VIEW_SPAN + (slot.view ?? 0);
}

function slotText(slot: Slot): string {
  return slot.view === undefined ? `${slot.kind} ${slot.index}` : `${slot.kind} ${slot.index}/${slot.view}`;
}

export type SignDecision =
  /** Recorded on stable storage: sign now, then publish. */
  | { ok: true; fresh: true }
  /** This same digest was recorded before (a restart, a retry): publish the same message again — `message` when it
   * was recorded with recordSigned; Ed25519 signatures are deterministic, so signing the digest's body again gives
   * the same bytes. */
  | { ok: true; fresh: false; message?: Uint8Array }
  /** A different digest was signed for this slot: do not sign; re-send the recorded message if there is one. */
  | { ok: false; code: 'conflict'; reason: string; digest: Uint8Array; message?: Uint8Array }
  /** The slot is older than what the node still remembers for its kind: it may have been signed, so never sign it. */
  | { ok: false; code: 'too-old'; reason: string };

export interface PendingReading {
  meter: Uint8Array;
  seq: number;
  /** The reading as the node will submit it (e.g. its signed envelope). */
  bytes: Uint8Array;
}

export interface NodeStateOptions {
  /** Slots remembered per kind (default 1024); older ones are refused as 'too-old'. */
  window?: number;
  /** Journal entries before the snapshot folds them in (default 4096). */
  compactEvery?: number;
}

interface SlotRecord {
  digest: Uint8Array;
  message?: Uint8Array;
  /** Resolves when the digest is on stable storage. */
  durable: Promise<void>;
}

interface KindRecord {
  slots: Map<number, SlotRecord>;
  /** Highest index forgotten: everything at or below it is refused. -1 when nothing was forgotten. */
  floor: number;
}

const KIND_MAX = 64;
const DIGEST_MAX = 64;
const MESSAGE_MAX = 1 << 20;

const ENTRY_SCHEMA: Schema = {
  oneOf: [
    { map: { t: 'text', k: { text: { max: KIND_MAX } }, n: 'uint', d: 'bytes', m: 'bytes' }, optional: ['m'] },
    { map: { t: 'text', k: { text: { max: KIND_MAX } }, n: 'uint', m: 'bytes' } },
    { map: { t: 'text', a: 'bytes', q: 'uint', r: 'bytes' } },
    { map: { t: 'text', a: 'bytes', q: 'uint' } },
    { map: { t: 'text', h: 'uint', w: 'uint', r: 'bytes' } },
  ],
};

const SNAPSHOT_SCHEMA: Schema = {
  map: {
    v: 'uint',
    gen: 'uint',
    kinds: { array: { tuple: [{ text: { max: KIND_MAX } }, 'int', { array: { tuple: ['uint', 'bytes', 'any'] } }] } },
    pending: { array: { tuple: ['bytes', 'uint', 'bytes'] } },
    lock: { tuple: ['uint', 'uint', 'bytes'] },
  },
  optional: ['lock'],
};

const RESOLVED = Promise.resolve();

function pendingId(meter: Uint8Array, seq: number): string {
  return `${toHex(meter)}:${seq}`;
}

function journalName(gen: number): string {
  return `journal-${gen}.log`;
}

function checkSlot(slot: Slot): void {
  if (slot === null || typeof slot !== 'object') throw new TypeError('node state: expected a slot {kind, index}');
  if (typeof slot.kind !== 'string' || slot.kind.length === 0 || slot.kind.length > KIND_MAX) {
    throw new RangeError(`node state: slot.kind must be text of 1..${KIND_MAX} characters, got ${JSON.stringify(slot.kind)}`);
  }
  if (!Number.isSafeInteger(slot.index) || slot.index < 0 || slot.index > MAX_INDEX) {
    throw new RangeError(`node state: slot.index must be an integer in 0..${MAX_INDEX}, got ${slot.index}`);
  }
  if (slot.view !== undefined && !(Number.isSafeInteger(slot.view) && slot.view >= 0 && slot.view < VIEW_SPAN)) {
    throw new RangeError(`node state: slot.view must be an integer in 0..${VIEW_SPAN - 1}, got ${slot.view}`);
  }
}

const RECORD_KINDS = ['submission', 'vote', 'prepare', 'commit', 'timeout'];

function checkBytes(x: unknown, what: string, max: number): asserts x is Uint8Array {
  if (!(x instanceof Uint8Array)) throw new TypeError(`node state: ${what} must be a Uint8Array, got ${typeof x}`);
  if (x.length === 0 || x.length > max) throw new RangeError(`node state: ${what} must be 1..${max} bytes, got ${x.length}`);
}

export class NodeState {
  readonly dir: string;
  #window: number;
  #compactEvery: number;
  #kinds = new Map<string, KindRecord>();
  #pending = new Map<string, PendingReading>();
  #lock: { height: number; view: number; bytes: Uint8Array } | undefined;
  #gen = 0;
  #journal: RecordLog | undefined;
  #journalEntries = 0;
  #compacting: Promise<void> | undefined;
  #failed: Error | undefined;
  #dirLock: DirectoryLock | undefined;

  private constructor(dir: string, window: number, compactEvery: number) {
    this.dir = dir;
    this.#window = window;
    this.#compactEvery = compactEvery;
  }

  /** Opens (creating when missing) the node state in `dir`; one process at a time. */
  static async open(dir: string, opts: NodeStateOptions = {}): Promise<NodeState> {
    const window = opts.window ?? 1024;
    const compactEvery = opts.compactEvery ?? 4096;
    if (!Number.isSafeInteger(window) || window < 1) throw new RangeError(`node state: window must be a positive integer, got ${window}`);
    if (!Number.isSafeInteger(compactEvery) || compactEvery < 1) throw new RangeError(`node state: compactEvery must be a positive integer, got ${compactEvery}`);
    await fsp.mkdir(dir, { recursive: true });
    const state = new NodeState(dir, window, compactEvery);
    state.#dirLock = await lockDirectory(dir);
    try {
      await state.#load();
    } catch (e) {
      await state.#dirLock.release();
      throw e;
    }
    return state;
  }

  async #load(): Promise<void> {
    const snapshot = await readIfExists(join(this.dir, STATE_FILE));
    if (snapshot) this.#applySnapshot(snapshot);
    const path = join(this.dir, journalName(this.#gen));
    const { log } = await RecordLog.open(path, {
      sync: 'fdatasync',
      onScan: (i, payload) => {
        const d = decode(payload, ENTRY_SCHEMA);
        // Entries are checked by their frame; one that does not decode was not written by this code.
        if (!d.ok) throw new LedgerError('corrupt', `${path}: entry ${i}: ${d.reason}`);
        this.#apply(d.value as { [k: string]: CborValue });
        this.#journalEntries++;
      },
    });
    this.#journal = log;
    // Journals of other generations are left over from a compaction that a crash interrupted.
    for (const name of await fsp.readdir(this.dir)) {
      if (/^journal-\d+\.log$/.test(name) && name !== journalName(this.#gen)) await fsp.rm(join(this.dir, name), { force: true });
    }
  }

  #applySnapshot(bytes: Uint8Array): void {
    const d = decode(bytes, SNAPSHOT_SCHEMA);
    if (!d.ok) throw new LedgerError('corrupt', `${join(this.dir, STATE_FILE)}: ${d.reason}`);
    const s = d.value as {
      gen: number;
      kinds: [string, number, [number, Uint8Array, CborValue][]][];
      pending: [Uint8Array, number, Uint8Array][];
      lock?: [number, number, Uint8Array];
    };
    this.#gen = s.gen;
    if (s.lock) this.#lock = { height: s.lock[0], view: s.lock[1], bytes: s.lock[2] };
    for (const [kind, floor, slots] of s.kinds) {
      const record: KindRecord = { slots: new Map(), floor };
      for (const [index, digest, message] of slots) {
        const slot: SlotRecord = { digest, durable: RESOLVED };
        if (message instanceof Uint8Array) slot.message = message;
        record.slots.set(index, slot);
      }
      this.#kinds.set(kind, record);
    }
    for (const [meter, seq, reading] of s.pending) this.#pending.set(pendingId(meter, seq), { meter, seq, bytes: reading });
  }

  /** Replays one journal entry (the same changes the live calls make). */
  #apply(e: { [k: string]: CborValue }): void {
    const t = e['t'];
    if (t === 's') {
      this.#reserve(e['k'] as string, e['n'] as number, e['d'] as Uint8Array, RESOLVED);
      if (e['m'] !== undefined) this.#kinds.get(e['k'] as string)!.slots.get(e['n'] as number)!.message = e['m'] as Uint8Array;
    } else if (t === 'l') this.#lock = { height: e['h'] as number, view: e['w'] as number, bytes: e['r'] as Uint8Array };
    else if (t === 'm') {
      const slot = this.#kinds.get(e['k'] as string)?.slots.get(e['n'] as number);
      if (slot) slot.message = e['m'] as Uint8Array;
    } else if (t === 'p') {
      const meter = e['a'] as Uint8Array;
      const seq = e['q'] as number;
      this.#pending.set(pendingId(meter, seq), { meter, seq, bytes: e['r'] as Uint8Array });
    } else if (t === 'x') this.#pending.delete(pendingId(e['a'] as Uint8Array, e['q'] as number));
  }

  #kind(kind: string): KindRecord {
    let record = this.#kinds.get(kind);
    if (!record) {
      record = { slots: new Map(), floor: -1 };
      this.#kinds.set(kind, record);
    }
    return record;
  }

  #reserve(kind: string, index: number, digest: Uint8Array, durable: Promise<void>): void {
    const record = this.#kind(kind);
    record.slots.set(index, { digest, durable });
    // Forget the oldest slots past the window; the floor then refuses them for ever.
    while (record.slots.size > this.#window) {
      let lowest = Infinity;
      for (const k of record.slots.keys()) if (k < lowest) lowest = k;
      record.slots.delete(lowest);
      if (lowest > record.floor) record.floor = lowest;
    }
  }

  #usable(): void {
    if (this.#failed) throw this.#failed;
    if (!this.#journal && !this.#compacting) throw new LedgerError('closed', `${this.dir}: node state is closed`);
  }

  async #persist(entry: { [k: string]: CborValue }): Promise<void> {
    while (this.#compacting) await this.#compacting;
    this.#usable();
    try {
      await this.#journal!.append(encode(entry));
    } catch (e) {
      this.#failed ??= e as Error;
      throw e;
    }
    this.#journalEntries++;
    if (this.#journalEntries >= this.#compactEvery && !this.#compacting) {
      this.#compacting = this.#compact().finally(() => {
        this.#compacting = undefined;
      });
    }
  }

  /**
   * Call before signing the message for `slot` whose content hash is `digest`, and sign only when `ok`. A fresh
   * slot is recorded on stable storage (fdatasync) before this resolves, so the message is never published without
   * the record that forbids a different one. `message`, when already known (the signed bytes), is kept in the same
   * record. Concurrent calls for one slot see each other at once.
   */
  async beforeSign(slot: Slot, digest: Uint8Array, message?: Uint8Array): Promise<SignDecision> {
    checkSlot(slot);
    checkBytes(digest, 'digest', DIGEST_MAX);
    if (message !== undefined) checkBytes(message, 'message', MESSAGE_MAX);
    this.#usable();
    const at = position(slot);
    const record = this.#kind(slot.kind);
    const known = record.slots.get(at);
    if (known) {
      await known.durable;
      if (equalBytes(known.digest, digest)) return known.message ? { ok: true, fresh: false, message: known.message } : { ok: true, fresh: false };
      const conflict: SignDecision = {
        ok: false,
        code: 'conflict',
        reason: `slot ${slotText(slot)} was already signed for a different digest (${toHex(known.digest).slice(0, 16)}…)`,
        digest: known.digest,
      };
      if (known.message) conflict.message = known.message;
      return conflict;
    }
    if (at <= record.floor) {
      return { ok: false, code: 'too-old', reason: `slot ${slotText(slot)} is at or below the oldest ${slot.kind} slot no longer remembered` };
    }
    const entry: { [k: string]: CborValue } = { t: 's', k: slot.kind, n: at, d: digest };
    if (message !== undefined) entry['m'] = message;
    const durable = this.#persist(entry);
    this.#reserve(slot.kind, at, digest, durable);
    if (message !== undefined) record.slots.get(at)!.message = message;
    await durable;
    return { ok: true, fresh: true };
  }

  /**
   * Persists a consensus node's `persist` effect (docs/protocol.md §11) and resolves once it is on stable storage;
   * only then may the runtime perform the next effect. A record that would sign a different message for a slot
   * already signed is refused (the conflict decision carries the recorded message, to be re-published instead).
   * Locks are kept as the last one; they sign nothing.
   */
  async persist(record: PersistRecord): Promise<SignDecision> {
    checkBytes(record?.bytes, 'record.bytes', MESSAGE_MAX);
    if (record.kind === 'lock') {
      this.#usable();
      const lock = { height: record.height, view: record.view, bytes: record.bytes };
      this.#lock = lock;
      await this.#persist({ t: 'l', h: lock.height, w: lock.view, r: lock.bytes });
      return { ok: true, fresh: true };
    }
    if (RECORD_KINDS.indexOf(record.kind) < 0) throw new RangeError(`node state: unknown record kind '${String(record.kind)}'`);
    const perRound = record.kind === 'submission' || record.kind === 'vote';
    const slot: Slot = perRound ? { kind: record.kind, index: record.round } : { kind: record.kind, index: record.height, view: record.view };
    const digest = createHash('sha256').update(record.bytes).digest();
    return this.beforeSign(slot, new Uint8Array(digest.buffer, digest.byteOffset, digest.length), record.bytes);
  }

  /** The last record of each kind, for the consensus node's `restore.records` after a restart. */
  lastRecords(): PersistRecord[] {
    const out: PersistRecord[] = [];
    for (const kind of RECORD_KINDS) {
      const record = this.#kinds.get(kind);
      if (!record) continue;
      let best = -1;
      for (const [at, slot] of record.slots) if (at > best && slot.message) best = at;
      if (best < 0) continue;
      const index = Math.floor(best / VIEW_SPAN);
      const view = best - index * VIEW_SPAN;
      const bytes = record.slots.get(best)!.message!;
      const perRound = kind === 'submission' || kind === 'vote';
      out.push({ kind: kind as PersistRecord['kind'], round: perRound ? index : -1, height: perRound ? -1 : index, view: perRound ? -1 : view, bytes });
    }
    if (this.#lock) out.push({ kind: 'lock', round: -1, height: this.#lock.height, view: this.#lock.view, bytes: this.#lock.bytes });
    return out;
  }

  /**
   * Keeps the signed message for a slot (after signing, before or while publishing), so that a restarted node can
   * re-send exactly those bytes. The slot must have been granted by beforeSign.
   */
  async recordSigned(slot: Slot, message: Uint8Array): Promise<void> {
    checkSlot(slot);
    checkBytes(message, 'message', MESSAGE_MAX);
    const known = this.#kinds.get(slot.kind)?.slots.get(position(slot));
    if (!known) throw new RangeError(`node state: slot ${slotText(slot)} was not granted by beforeSign`);
    await known.durable;
    known.message = message;
    await this.#persist({ t: 'm', k: slot.kind, n: position(slot), m: message });
  }

  /** What was signed for a slot, if the node still remembers it. */
  signedFor(slot: Slot): { digest: Uint8Array; message?: Uint8Array } | undefined {
    checkSlot(slot);
    const known = this.#kinds.get(slot.kind)?.slots.get(position(slot));
    if (!known) return undefined;
    return known.message ? { digest: known.digest, message: known.message } : { digest: known.digest };
  }

  /** The highest slot signed for `kind` (by index, then view), with its digest. */
  lastSigned(kind: string): { index: number; view: number; digest: Uint8Array } | undefined {
    const record = this.#kinds.get(kind);
    if (!record || record.slots.size === 0) return undefined;
    let best = -1;
    for (const k of record.slots.keys()) if (k > best) best = k;
    const index = Math.floor(best / VIEW_SPAN);
    return { index, view: best - index * VIEW_SPAN, digest: record.slots.get(best)!.digest };
  }

  /** Keeps one of the node's own readings until it is settled; resolves when it is on stable storage. */
  async addPending(reading: PendingReading): Promise<void> {
    checkBytes(reading?.meter, 'reading.meter', 64);
    if (!Number.isSafeInteger(reading.seq) || reading.seq < 0) throw new RangeError(`node state: reading.seq must be a non-negative integer, got ${reading.seq}`);
    checkBytes(reading.bytes, 'reading.bytes', MESSAGE_MAX);
    this.#usable();
    this.#pending.set(pendingId(reading.meter, reading.seq), { meter: reading.meter, seq: reading.seq, bytes: reading.bytes });
    await this.#persist({ t: 'p', a: reading.meter, q: reading.seq, r: reading.bytes });
  }

  /** Forgets readings that were accepted (committed) or given up; resolves when that is on stable storage. */
  async settle(meter: Uint8Array, seqs: readonly number[]): Promise<void> {
    checkBytes(meter, 'meter', 64);
    this.#usable();
    const done: Promise<void>[] = [];
    for (const seq of seqs) {
      const id = pendingId(meter, seq);
      if (!this.#pending.has(id)) continue;
      this.#pending.delete(id);
      done.push(this.#persist({ t: 'x', a: meter, q: seq }));
    }
    await Promise.all(done);
  }

  /** Readings kept and not yet settled, in the order they were added. */
  pending(): PendingReading[] {
    return [...this.#pending.values()];
  }

  /** Folds the journal into a new snapshot (generation + 1), then starts an empty journal for that generation. */
  async #compact(): Promise<void> {
    const old = this.#journal!;
    await old.close();
    this.#journal = undefined;
    const gen = this.#gen + 1;
    const kinds: CborValue[] = [];
    for (const [kind, record] of this.#kinds) {
      const slots: CborValue[] = [];
      for (const [index, slot] of record.slots) slots.push([index, slot.digest, slot.message ?? null]);
      kinds.push([kind, record.floor, slots]);
    }
    const pending: CborValue[] = [];
    for (const p of this.#pending.values()) pending.push([p.meter, p.seq, p.bytes]);
    const snapshot: { [k: string]: CborValue } = { v: 1, gen, kinds, pending };
    if (this.#lock) snapshot['lock'] = [this.#lock.height, this.#lock.view, this.#lock.bytes];
    try {
      await replaceFileAtomically(join(this.dir, STATE_FILE), encode(snapshot));
      this.#gen = gen;
      const { log } = await RecordLog.open(join(this.dir, journalName(gen)), { sync: 'fdatasync' });
      this.#journal = log;
      this.#journalEntries = 0;
      await fsp.rm(old.path, { force: true });
    } catch (e) {
      this.#failed ??= new LedgerError('io-failed', `${this.dir}: compaction failed: ${(e as Error).message}; reopen the node state`);
    }
  }

  /** Waits for writes in flight, closes the journal and releases the directory. */
  async close(): Promise<void> {
    while (this.#compacting) await this.#compacting;
    await this.#journal?.close();
    this.#journal = undefined;
    await this.#dirLock?.release();
    this.#dirLock = undefined;
  }
}
