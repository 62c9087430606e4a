// Node state that survives reboots: what this node signed for each slot, so that a restarted node re-sends the same
// message instead of signing a different one (equivocation, docs/protocol.md), and its own readings that are not yet
// accepted, and the round certificates it holds for rounds no committed block covers yet. A journal (journal-<gen>.log, fdatasync per batch) holds every change; a snapshot (state.log, the same
// framed entries, replaced atomically) folds the journal in when it grows. What it keeps is bounded by what the node
// can still be asked to sign (NodeStateLimits, docs/ledger.md §4), so both files have a derived maximum size.
import { promises as fsp } from 'node:fs';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import { DEFAULT_PARAMS, MAX_MEMBERS, decode, encode, equalBytes, toHex, type CborValue, type Schema } from '@meterchain/core';
import { roundRecordLimit, type PersistRecord } from './consensus.ts';
import { LedgerError, REPAIR_HINT } from './errors.ts';
import { lockDirectory, readIfExists, replaceFileAtomically, type DirectoryLock } from './files.ts';
import { FRAME_HEADER_LENGTH, MAX_PAYLOAD_LENGTH, encodeFrame } from './frame.ts';
import { LOG_MAGIC, RecordLog, salvageFrames, type Recovery } from './record-log.ts';

/** The snapshot: the state's entries as framed records (one record each, never one large item). */
export const STATE_FILE = 'state.log';
/** The snapshot of earlier versions (one CBOR item), read once and replaced by state.log at the next compaction. */
const LEGACY_STATE_FILE = 'state.cbor';

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

/**
 * What the node state keeps, derived from the cluster's manifest by nodeStateLimits (docs/ledger.md §4): the node is
 * only ever asked to sign, or to sign again, slots above these; everything older is refused ('too-old').
 */
export interface NodeStateLimits {
  /** Submission and vote slots: rounds kept below the newest signed one (the consensus node's open-round window). */
  rounds: number;
  /** Prepare, commit and timeout slots kept per kind ((height, view) signed in increasing order; the last is re-sent). */
  views: number;
  /** Own readings kept pending; the caller records the oldest as given up before adding past it. */
  pending: number;
  /** Largest signed message or pending reading kept (bytes). */
  messageBytes: number;
  /** Largest lock kept (bytes): a lock holds a whole block with its certificate. */
  lockBytes: number;
  /** Largest round record kept (bytes): a round's certificate with its accepted submissions (roundRecordLimit). At
   * most `rounds` of them are kept, the newest round's and those below it within the window. */
  roundBytes: number;
}

/** Bytes an entry adds around its message or reading: map header, keys, kind, slot, digest (≤ 64), meter (≤ 64). */
const ENTRY_OVERHEAD = 256;
/** Largest signed submission a member accepts (openEnvelope's limit). */
const SUBMISSION_MAX = 65536;
/** A lock holds a whole block with its certificate: up to what one frame carries. */
const LOCK_MAX = MAX_PAYLOAD_LENGTH - ENTRY_OVERHEAD;

/**
 * The limits for a cluster: the consensus node works on rounds at most max(8 × blockRounds, 64) past the last round
 * of its last committed block (its round window), so a node never signs (or re-sends) a submission or vote further
 * back than that; one block period more is kept as a margin. Block-agreement slots are signed in increasing (height, view) order and only the last
 * is re-sent after a restart, so 16 per kind is margin. A pending reading older than the round window can no longer
 * be put in a block by this node. The largest message: a submission (64 KiB envelope limit), a vote
 * (34 bytes per member), or a timeout carrying a certificate (up to 72 bytes per member). The largest round record:
 * every member's vote with its own list and every member's submission (roundRecordLimit: 257 KiB for 4 members,
 * 4.1 MiB for 64), at most what one frame carries (reached past about 730 members).
 */
export function nodeStateLimits(manifest: { params: { blockRounds: number }; members: readonly unknown[] }): NodeStateLimits {
  const blockRounds = manifest.params.blockRounds;
  const rounds = Math.max(8 * blockRounds, 64) + blockRounds;
  return {
    rounds,
    views: 16,
    pending: rounds,
    messageBytes: Math.max(SUBMISSION_MAX, 72 * manifest.members.length + 1024),
    lockBytes: LOCK_MAX,
    roundBytes: Math.min(roundRecordLimit(manifest.members.length), LOCK_MAX),
  };
}

/** Limits for a cluster of the largest size with the default parameters (when no manifest is given). */
const DEFAULT_LIMITS = nodeStateLimits({ params: DEFAULT_PARAMS, members: new Array<number>(MAX_MEMBERS) });

/** The most a node state holds under `limits`: entries and bytes of the snapshot, and of the journal beside it. */
export interface NodeStateBounds {
  entries: number;
  snapshotBytes: number;
  journalEntries: number;
  journalBytes: number;
}

/** What NodeState.repair did. */
export interface NodeStateRepair {
  /** Entries kept (intact and decodable). */
  kept: number;
  /** Damaged ranges left out: file, byte offset (−1: an intact frame that does not decode), length. */
  damaged: { file: string; offset: number; bytes: number }[];
  /** Files set aside, and where. */
  moved: string[];
  movedTo?: string;
  /** The floors after the fence (NodeState.floors). */
  floors: { [kind: string]: number };
}

export interface NodeStateOptions {
  /** What to keep (default: nodeStateLimits of the largest cluster with default parameters). */
  limits?: Partial<NodeStateLimits>;
  /** Tests: rounds and views kept per kind (overrides limits). */
  window?: number;
  /** Journal entries before the snapshot folds them in (default: the snapshot's entry bound). */
  compactEvery?: number;
  /**
   * Called when a write fails (a full disk, EIO) and will be tried again after `retryMs`: the state retries until the
   * disk takes it, and what waits on it (a signature, a reading) waits too. Default: no report.
   */
  onWriteError?: (error: Error, retryMs: number) => void;
}

/**
 * Backoff between attempts to write after a failure: from 50 ms, doubling, at most 1 s. A failed attempt costs one
 * system call; a longer wait only keeps the node out of its cluster after the disk has room again (at 5 s a node back
 * from a full disk held a view change of its cluster for 5 s).
 */
const RETRY_FIRST_MS = 50;
const RETRY_MAX_MS = 1000;

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

const ENTRY_SCHEMA: Schema = {
  oneOf: [
    { map: { t: 'text', k: { text: { max: KIND_MAX } }, n: 'uint', d: 'bytes', m: 'bytes' }, optional: ['m'] },
    { map: { t: 'text', k: { text: { max: KIND_MAX } }, n: 'uint', m: 'bytes' } },
    { map: { t: 'text', a: 'bytes', q: 'uint', r: 'bytes' } },
    { map: { t: 'text', a: 'bytes', q: 'uint' } },
    { map: { t: 'text', h: 'uint', w: 'uint', r: 'bytes' } },
    // a round record: round, bytes (the consensus node's PersistRecord of kind 'round')
    { map: { t: 'text', n: 'uint', r: 'bytes' } },
    // floors: [kind, position] — every slot at or below position is refused
    { map: { t: 'text', f: { array: { tuple: [{ text: { max: KIND_MAX } }, 'int'] }, max: 16 } } },
    // the snapshot's first entry: format version and generation
    { map: { t: 'text', v: 'uint', g: 'uint' } },
  ],
};

const LEGACY_SNAPSHOT_SCHEMA: Schema = {
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

async function fileExists(path: string): Promise<boolean> {
  try {
    await fsp.stat(path);
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw e;
  }
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
const ROUND_KINDS = ['submission', 'vote'];
/** Round records sign nothing: they are kept per round, the newest replacing the earlier ones, and forgotten when a
 * committed block covers their round (their floor, in the floors entry under this name) or the window passes them. */
const ROUND_RECORD = 'round';

function checkBytes(x: unknown, what: string, max: number): asserts x is Uint8Array {
  if (!(x instanceof Uint8Array)) throw new TypeError(`node state: ${what} must be a Uint8Array, got ${typeof x}`);
  if (x.length === 0 || x.length > max) throw new RangeError(`node state: ${what} must be 1..${max} bytes, got ${x.length}`);
}

export class NodeState {
  readonly dir: string;
  readonly limits: NodeStateLimits;
  #compactEvery: number;
  #kinds = new Map<string, KindRecord>();
  #pending = new Map<string, PendingReading>();
  #lock: { height: number; view: number; bytes: Uint8Array } | undefined;
  /** Round records by round, and the highest round whose record is forgotten (a committed block covers it). */
  #rounds = new Map<number, Uint8Array>();
  #roundFloor = -1;
  #gen = 0;
  #journal: RecordLog | undefined;
  /** Entries in the journal, counting appends in flight: the journal never holds more than compactEvery. */
  #journalEntries = 0;
  #lastAppend: Promise<unknown> = RESOLVED;
  #compacting: Promise<void> | undefined;
  #failed: Error | undefined;
  #dirLock: DirectoryLock | undefined;
  #onWriteError: ((error: Error, retryMs: number) => void) | undefined;
  /** One recovery of the journal at a time after a failed write; every failed append waits for it, then retries. */
  #recovering: Promise<void> | undefined;
  #retryMs = RETRY_FIRST_MS;
  /** No compaction before this time (ms) after one failed. */
  #compactAfter = 0;
  #closing = false;
  /** Appends not yet durable (retrying ones included). */
  #inflight = new Set<Promise<void>>();
  /** What opening found at the journal's end: a torn tail cut off (cutAt, cutBytes), or nothing. */
  recovery: Recovery = { records: 0, scanned: 0, cutBytes: 0 };

  private constructor(dir: string, limits: NodeStateLimits, compactEvery: number) {
    this.dir = dir;
    this.limits = limits;
    this.#compactEvery = compactEvery;
  }

  /** The most the state holds under `limits` (docs/ledger.md §4), with the journal folded in every `compactEvery`. */
  static bounds(limits: NodeStateLimits, compactEvery = NodeState.#entryBound(limits)): NodeStateBounds {
    const entries = NodeState.#entryBound(limits);
    const entry = FRAME_HEADER_LENGTH + ENTRY_OVERHEAD + limits.messageBytes;
    const round = FRAME_HEADER_LENGTH + ENTRY_OVERHEAD + limits.roundBytes;
    const lock = FRAME_HEADER_LENGTH + ENTRY_OVERHEAD + Math.max(limits.lockBytes, limits.messageBytes);
    return {
      entries,
      snapshotBytes: LOG_MAGIC.length + (entries - 1 - limits.rounds) * entry + limits.rounds * round + lock,
      journalEntries: compactEvery,
      // Any entry of the journal may be a lock (one is written per lock taken) or a round record.
      journalBytes: LOG_MAGIC.length + compactEvery * Math.max(lock, round),
    };
  }

  /** Slots of two round kinds and three block kinds, the pending readings, the round records, the lock, the floors
   * and the header. */
  static #entryBound(limits: NodeStateLimits): number {
    return ROUND_KINDS.length * limits.rounds + (RECORD_KINDS.length - ROUND_KINDS.length) * limits.views + limits.pending + limits.rounds + 3;
  }

  /** Opens (creating when missing) the node state in `dir`; one process at a time. */
  static async open(dir: string, opts: NodeStateOptions = {}): Promise<NodeState> {
    const limits: NodeStateLimits = { ...DEFAULT_LIMITS, ...opts.limits };
    if (opts.window !== undefined) {
      limits.rounds = opts.window;
      limits.views = opts.window;
    }
    for (const name of ['rounds', 'views', 'pending', 'messageBytes', 'lockBytes', 'roundBytes'] as const) {
      const v = limits[name];
      if (!Number.isSafeInteger(v) || v < 1) throw new RangeError(`node state: limits.${name} must be a positive integer, got ${v}`);
    }
    if (limits.messageBytes > LOCK_MAX || limits.lockBytes > LOCK_MAX || limits.roundBytes > LOCK_MAX) {
      throw new RangeError(`node state: limits.messageBytes, lockBytes and roundBytes must be at most ${LOCK_MAX}`);
    }
    const compactEvery = opts.compactEvery ?? NodeState.#entryBound(limits);
    if (!Number.isSafeInteger(compactEvery) || compactEvery < 1) throw new RangeError(`node state: compactEvery must be a positive integer, got ${compactEvery}`);
    await fsp.mkdir(dir, { recursive: true });
    const state = new NodeState(dir, limits, compactEvery);
    state.#onWriteError = opts.onWriteError;
    state.#dirLock = await lockDirectory(dir);
    try {
      await state.#load();
    } catch (e) {
      await state.#dirLock.release();
      throw e;
    }
    return state;
  }

  /** Whether `dir` holds a node state (a snapshot or a journal): a node that signed anything has one. */
  static async exists(dir: string): Promise<boolean> {
    let names: string[];
    try {
      names = await fsp.readdir(dir);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return false;
      throw e;
    }
    return names.some((n) => n === STATE_FILE || n === LEGACY_STATE_FILE || /^journal-\d+\.log$/.test(n));
  }

  /**
   * Rebuilds a damaged or missing node state (docs/ledger.md §4, "Repair and fence"): keeps every entry whose frame is
   * intact in the snapshot and the journals (in order), and raises the floors to the fence, so that the node signs
   * no submission or vote for a round at or below `fence.round` and no block vote or timeout at a height at or below
   * `fence.height`: what was lost may have been signed there. The old files are moved to `repaired-<ms>/`.
   */
  static async repair(dir: string, fence: { round: number; height: number }, opts: NodeStateOptions = {}): Promise<NodeStateRepair> {
    for (const [name, v] of [['round', fence.round], ['height', fence.height]] as const) {
      if (!Number.isSafeInteger(v) || v < -1 || v >= MAX_INDEX) throw new RangeError(`node state: fence.${name} must be an integer in -1..${MAX_INDEX - 1}, got ${v}`);
    }
    await fsp.mkdir(dir, { recursive: true });
    const state = new NodeState(dir, { ...DEFAULT_LIMITS, ...opts.limits }, 1);
    const lock = await lockDirectory(dir);
    try {
      const report: NodeStateRepair = { kept: 0, damaged: [], moved: [], floors: {} };
      const names = await fsp.readdir(dir);
      const journals = names
        .filter((n) => /^journal-\d+\.log$/.test(n))
        .sort((a, b) => Number(a.slice(8, -4)) - Number(b.slice(8, -4)));
      let gen = 0;
      const salvage = async (name: string, snapshot: boolean) => {
        const path = join(dir, name);
        const { payloads, damaged } = salvageFrames(new Uint8Array(await fsp.readFile(path)));
        for (const d of damaged) report.damaged.push({ file: path, offset: d.at, bytes: d.bytes });
        payloads.forEach((payload, i) => {
          const d = decode(payload, ENTRY_SCHEMA, { maxBytes: MAX_PAYLOAD_LENGTH });
          if (!d.ok) {
            report.damaged.push({ file: path, offset: -1, bytes: payload.length });
            return;
          }
          const e = d.value as { [k: string]: CborValue };
          if (e['t'] === 'g') {
            if (snapshot && i === 0) gen = Math.max(gen, e['g'] as number);
            return;
          }
          state.#apply(e);
          report.kept++;
        });
        report.moved.push(name);
      };
      if (names.includes(STATE_FILE)) await salvage(STATE_FILE, true);
      else if (names.includes(LEGACY_STATE_FILE)) {
        try {
          state.#applyLegacySnapshot(new Uint8Array(await fsp.readFile(join(dir, LEGACY_STATE_FILE))));
        } catch {
          report.damaged.push({ file: join(dir, LEGACY_STATE_FILE), offset: 0, bytes: (await fsp.stat(join(dir, LEGACY_STATE_FILE))).size });
        }
        report.moved.push(LEGACY_STATE_FILE);
      }
      for (const name of journals) {
        gen = Math.max(gen, Number(name.slice(8, -4)));
        await salvage(name, false);
      }
      for (const kind of RECORD_KINDS) {
        const index = ROUND_KINDS.indexOf(kind) >= 0 ? fence.round : fence.height;
        if (index >= 0) state.#raiseFloor(kind, index * VIEW_SPAN + (VIEW_SPAN - 1));
      }
      report.floors = state.floors();
      // The new snapshot, an empty journal of its generation, then the old files set aside (never deleted).
      state.#gen = gen + 1;
      const frames: Uint8Array[] = [LOG_MAGIC, encodeFrame(encode({ t: 'g', v: 2, g: state.#gen }))];
      for (const e of state.#entries()) frames.push(encodeFrame(encode(e)));
      const aside = join(dir, `repaired-${Date.now()}`);
      await fsp.mkdir(aside);
      for (const name of report.moved) await fsp.rename(join(dir, name), join(aside, name));
      await replaceFileAtomically(join(dir, STATE_FILE), Buffer.concat(frames));
      const { log } = await RecordLog.open(join(dir, journalName(state.#gen)), { sync: 'fdatasync' });
      await log.close();
      report.movedTo = aside;
      return report;
    } finally {
      await lock.release();
    }
  }

  async #load(): Promise<void> {
    const snapshotPath = join(this.dir, STATE_FILE);
    if (await fileExists(snapshotPath)) {
      // Written whole and synced before it replaced the last one: any damage in it is damage, never a torn tail.
      const { log, recovery } = await RecordLog.open(snapshotPath, {
        readOnly: true,
        onScan: (i, payload) => {
          const e = this.#decodeEntry(snapshotPath, i, payload);
          if (i === 0) {
            if (e['t'] !== 'g' || e['v'] !== 2) throw new LedgerError('corrupt', `${snapshotPath}: entry 0 is not a snapshot header`);
            this.#gen = e['g'] as number;
          } else this.#apply(e);
        },
      });
      await log.close();
      if (recovery.cutAt !== undefined) {
        throw new LedgerError('corrupt', `${snapshotPath}: record ${recovery.records} at byte ${recovery.cutAt} is damaged (${recovery.cutReason}); ${REPAIR_HINT}`);
      }
    } else {
      const legacy = await readIfExists(join(this.dir, LEGACY_STATE_FILE));
      if (legacy) this.#applyLegacySnapshot(legacy);
    }
    const path = join(this.dir, journalName(this.#gen));
    let opened;
    try {
      // A torn tail (the last record unfinished, as a power cut leaves it) is cut; any other damage is refused.
      opened = await RecordLog.open(path, {
        sync: 'fdatasync',
        strictTail: true,
        onScan: (i, payload) => {
          this.#apply(this.#decodeEntry(path, i, payload));
          this.#journalEntries++;
        },
      });
    } catch (e) {
      if (e instanceof LedgerError && e.code === 'corrupt' && !e.message.includes(REPAIR_HINT)) throw new LedgerError('corrupt', `${e.message}; ${REPAIR_HINT}`);
      throw e;
    }
    this.#journal = opened.log;
    this.recovery = opened.recovery;
    // Journals of other generations are left over from a compaction that a crash interrupted.
    for (const name of await fsp.readdir(this.dir)) {
      if (/^journal-\d+\.log$/.test(name) && name !== journalName(this.#gen)) await fsp.rm(join(this.dir, name), { force: true });
    }
  }

  /** One entry of the journal or snapshot, decoded on its own, within the largest entry the limits allow. */
  #decodeEntry(path: string, i: number, payload: Uint8Array): { [k: string]: CborValue } {
    const d = decode(payload, ENTRY_SCHEMA, { maxBytes: Math.max(this.limits.messageBytes, this.limits.lockBytes, this.limits.roundBytes) + ENTRY_OVERHEAD });
    // Entries are checked by their frame; one that does not decode was not written by this code.
    if (!d.ok) throw new LedgerError('corrupt', `${path}: entry ${i}: ${d.reason}; ${REPAIR_HINT}`);
    return d.value as { [k: string]: CborValue };
  }

  #applyLegacySnapshot(bytes: Uint8Array): void {
    const d = decode(bytes, LEGACY_SNAPSHOT_SCHEMA, { maxBytes: MAX_PAYLOAD_LENGTH });
    if (!d.ok) throw new LedgerError('corrupt', `${join(this.dir, LEGACY_STATE_FILE)}: ${d.reason}; ${REPAIR_HINT}`);
    const s = d.value as {
      gen: number;
      kinds: [string, number, [number, Uint8Array, CborValue][]][];
      pending: [Uint8Array, number, Uint8Array][];
      lock?: [number, number, Uint8Array];
    };
    this.#gen = s.gen;
    if (s.lock) this.#lock = { height: s.lock[0], view: s.lock[1], bytes: s.lock[2] };
    for (const [kind, floor, slots] of s.kinds) {
      const record = this.#kind(kind);
      record.floor = Math.max(record.floor, floor);
      for (const [index, digest, message] of slots) {
        this.#reserve(kind, index, digest, RESOLVED);
        if (message instanceof Uint8Array) {
          const slot = record.slots.get(index);
          if (slot) slot.message = message;
        }
      }
    }
    for (const [meter, seq, reading] of s.pending) this.#pending.set(pendingId(meter, seq), { meter, seq, bytes: reading });
  }

  /** Replays one entry (the same changes the live calls make). */
  #apply(e: { [k: string]: CborValue }): void {
    const t = e['t'];
    if (t === 's') {
      this.#reserve(e['k'] as string, e['n'] as number, e['d'] as Uint8Array, RESOLVED);
      const slot = this.#kinds.get(e['k'] as string)!.slots.get(e['n'] as number);
      if (slot && e['m'] !== undefined) slot.message = e['m'] as Uint8Array;
    } else if (t === 'l') this.#lock = { height: e['h'] as number, view: e['w'] as number, bytes: e['r'] as Uint8Array };
    else if (t === 'm') {
      const slot = this.#kinds.get(e['k'] as string)?.slots.get(e['n'] as number);
      if (slot) slot.message = e['m'] as Uint8Array;
    } else if (t === 'p') {
      const meter = e['a'] as Uint8Array;
      const seq = e['q'] as number;
      this.#pending.set(pendingId(meter, seq), { meter, seq, bytes: e['r'] as Uint8Array });
    } else if (t === 'x') this.#pending.delete(pendingId(e['a'] as Uint8Array, e['q'] as number));
    else if (t === 'c') this.#keepRound(e['n'] as number, e['r'] as Uint8Array);
    else if (t === 'f') for (const [kind, at] of e['f'] as [string, number][]) this.#raiseFloor(kind, at);
  }

  #kind(kind: string): KindRecord {
    let record = this.#kinds.get(kind);
    if (!record) {
      record = { slots: new Map(), floor: -1 };
      this.#kinds.set(kind, record);
    }
    return record;
  }

  /** Refuses every slot of `kind` at or below `at` from now on, and forgets those kept. */
  #raiseFloor(kind: string, at: number): void {
    if (kind === ROUND_RECORD) {
      const round = Math.floor(at / VIEW_SPAN);
      if (round <= this.#roundFloor) return;
      this.#roundFloor = round;
      for (const r of [...this.#rounds.keys()]) if (r <= round) this.#rounds.delete(r);
      return;
    }
    const record = this.#kind(kind);
    if (at <= record.floor) return;
    record.floor = at;
    for (const k of [...record.slots.keys()]) if (k <= at) record.slots.delete(k);
  }

  /** Keeps a round's record (the newest replaces the earlier), unless a committed block covers the round or it is
   * `limits.rounds` or more below the newest round kept; forgets those the window passes. */
  #keepRound(round: number, bytes: Uint8Array): void {
    if (round <= this.#roundFloor) return;
    let newest = round;
    for (const r of this.#rounds.keys()) if (r > newest) newest = r;
    const below = newest - this.limits.rounds;
    if (round <= below) return;
    this.#rounds.set(round, bytes);
    for (const r of [...this.#rounds.keys()]) if (r <= below) this.#rounds.delete(r);
  }

  #reserve(kind: string, at: number, digest: Uint8Array, durable: Promise<void>): void {
    const record = this.#kind(kind);
    if (at <= record.floor) return;
    record.slots.set(at, { digest, durable });
    if (ROUND_KINDS.indexOf(kind) >= 0) {
      // Rounds further back than the window are never signed again: forget them, and refuse them for ever.
      let newest = -1;
      for (const k of record.slots.keys()) if (k > newest) newest = k;
      const below = newest - this.limits.rounds * VIEW_SPAN;
      if (below > record.floor) this.#raiseFloor(kind, below);
    } else {
      while (record.slots.size > this.limits.views) {
        let lowest = Infinity;
        for (const k of record.slots.keys()) if (k < lowest) lowest = k;
        this.#raiseFloor(kind, lowest);
      }
    }
  }

  #usable(): void {
    if (this.#failed) throw this.#failed;
    if (!this.#journal && !this.#compacting) throw new LedgerError('closed', `${this.dir}: node state is closed`);
  }

  /**
   * Appends one entry and resolves when it is durable. A failed write (ENOSPC, EIO) is not the end: the journal is
   * cut back to its last durable entry and the entry written again, with backoff, until the disk takes it (or the
   * state is closed). Entries that depend on another are only written once that one is durable, so retrying them
   * independently keeps their order where it matters.
   */
  async #appendDurably(bytes: Uint8Array): Promise<void> {
    for (;;) {
      if (this.#closing) throw new LedgerError('closed', `${this.dir}: node state is closed`);
      // A compaction waits for every append in flight (#inflight), so the journal stays the same until this returns.
      const journal = this.#journal!;
      try {
        await journal.append(bytes);
        this.#retryMs = RETRY_FIRST_MS;
        return;
      } catch (e) {
        if (!(e instanceof LedgerError) || e.code !== 'io-failed') throw e;
        if (!this.#recovering) {
          const wait = this.#retryMs;
          this.#retryMs = Math.min(2 * this.#retryMs, RETRY_MAX_MS);
          this.#onWriteError?.(e, wait);
          this.#recovering = (async () => {
            await new Promise((r) => setTimeout(r, wait));
            await journal.recover().catch(() => undefined); // still failing: the next append says so again
          })().finally(() => {
            this.#recovering = undefined;
          });
        }
        await this.#recovering;
      }
    }
  }

  #appendTracked(bytes: Uint8Array): Promise<void> {
    const p = this.#appendDurably(bytes);
    this.#inflight.add(p);
    const done = () => this.#inflight.delete(p);
    p.then(done, done);
    return p;
  }

  async #persist(entry: { [k: string]: CborValue }): Promise<void> {
    while (this.#compacting) await this.#compacting;
    this.#usable();
    const bytes = encode(entry);
    this.#journalEntries++;
    if (this.#journalEntries >= this.#compactEvery && Date.now() >= this.#compactAfter) {
      // The journal is full with this entry: later ones wait for the fold into a new snapshot.
      const last = this.#appendTracked(bytes);
      this.#lastAppend = last;
      this.#compacting = last
        .then(
          async () => {
            await Promise.allSettled([...this.#inflight]);
            await this.#compact();
          },
          () => undefined,
        )
        .finally(() => {
          this.#compacting = undefined;
        });
      await this.#track(last);
      return;
    }
    const appended = this.#appendTracked(bytes);
    this.#lastAppend = appended;
    await this.#track(appended);
  }

  async #track(append: Promise<unknown>): Promise<void> {
    try {
      await append;
    } catch (e) {
      this.#failed ??= e as Error;
      throw e;
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
    if (message !== undefined) checkBytes(message, 'message', this.limits.messageBytes);
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
    const kept = record.slots.get(at);
    if (kept && message !== undefined) kept.message = message;
    await durable;
    return { ok: true, fresh: true };
  }

  /**
   * Persists a consensus node's `persist` effect (docs/protocol.md §11) and resolves once it is on stable storage;
   * only then may the runtime perform the next effect. A record that would sign a different message for a slot
   * already signed is refused (the conflict decision carries the recorded message, to be re-published instead).
   * Locks are kept as the last one, round records as the newest per round (within the round window, until a committed
   * block covers the round); they sign nothing.
   */
  async persist(record: PersistRecord): Promise<SignDecision> {
    if (record?.kind === 'round') {
      checkBytes(record.bytes, 'record.bytes', this.limits.roundBytes);
      if (!Number.isSafeInteger(record.round) || record.round < 0 || record.round >= MAX_INDEX) {
        throw new RangeError(`node state: record.round must be an integer in 0..${MAX_INDEX - 1}, got ${record.round}`);
      }
      this.#usable();
      // A round a committed block covers already (the block lane ran ahead): nothing left to hold for it.
      if (record.round <= this.#roundFloor) return { ok: true, fresh: false };
      this.#keepRound(record.round, record.bytes);
      await this.#persist({ t: 'c', n: record.round, r: record.bytes });
      return { ok: true, fresh: true };
    }
    if (record?.kind === 'lock') {
      checkBytes(record.bytes, 'record.bytes', this.limits.lockBytes);
      this.#usable();
      const lock = { height: record.height, view: record.view, bytes: record.bytes };
      this.#lock = lock;
      await this.#persist({ t: 'l', h: lock.height, w: lock.view, r: lock.bytes });
      return { ok: true, fresh: true };
    }
    checkBytes(record?.bytes, 'record.bytes', this.limits.messageBytes);
    if (RECORD_KINDS.indexOf(record.kind) < 0) throw new RangeError(`node state: unknown record kind '${String(record.kind)}'`);
    const perRound = record.kind === 'submission' || record.kind === 'vote';
    const slot: Slot = perRound ? { kind: record.kind, index: record.round } : { kind: record.kind, index: record.height, view: record.view };
    const digest = createHash('sha256').update(record.bytes).digest();
    return this.beforeSign(slot, new Uint8Array(digest.buffer, digest.byteOffset, digest.length), record.bytes);
  }

  /**
   * A block at `height` covering rounds up to `last` is committed and stored: the node never signs a submission or
   * vote for those rounds again (they closed before the block was proposed), nor a block vote or timeout at that
   * height or below. Their slots are forgotten and refused from now on, and those rounds' records forgotten; resolves
   * when that is durable.
   */
  async committed(height: number, last: number): Promise<void> {
    if (!Number.isSafeInteger(height) || height < 0 || height >= MAX_INDEX) throw new RangeError(`node state: height must be an integer in 0..${MAX_INDEX - 1}, got ${height}`);
    if (!Number.isSafeInteger(last) || last < 0 || last >= MAX_INDEX) throw new RangeError(`node state: last must be an integer in 0..${MAX_INDEX - 1}, got ${last}`);
    this.#usable();
    const floors: [string, number][] = [];
    for (const kind of RECORD_KINDS) {
      const at = ROUND_KINDS.indexOf(kind) >= 0 ? last * VIEW_SPAN + (VIEW_SPAN - 1) : height * VIEW_SPAN + (VIEW_SPAN - 1);
      if (at > this.#kind(kind).floor) floors.push([kind, at]);
    }
    // The rounds' records: the block holds what they were kept for.
    if (last > this.#roundFloor) floors.push([ROUND_RECORD, last * VIEW_SPAN + (VIEW_SPAN - 1)]);
    if (floors.length === 0) return;
    for (const [kind, at] of floors) this.#raiseFloor(kind, at);
    await this.#persist({ t: 'f', f: floors });
  }

  /** For each kind, the highest slot position refused (index × 2^20 + view; −1: none). */
  floors(): { [kind: string]: number } {
    const out: { [kind: string]: number } = {};
    for (const [kind, record] of this.#kinds) out[kind] = record.floor;
    return out;
  }

  /** Slots kept, per kind. */
  slotCounts(): { [kind: string]: number } {
    const out: { [kind: string]: number } = {};
    for (const [kind, record] of this.#kinds) out[kind] = record.slots.size;
    return out;
  }

  /** The consensus node's `restore.records` after a restart: the last record of each signing kind, every submission
   * kept (its own readings of rounds no committed block covers: after a power cut of every node they may be the only
   * copies), the lock, and every round record kept (oldest round first). */
  lastRecords(): PersistRecord[] {
    const out: PersistRecord[] = [];
    for (const kind of RECORD_KINDS) {
      const record = this.#kinds.get(kind);
      if (!record) continue;
      if (kind === 'submission') {
        for (const at of [...record.slots.keys()].sort((a, b) => a - b)) {
          const bytes = record.slots.get(at)!.message;
          if (bytes) out.push({ kind: 'submission', round: Math.floor(at / VIEW_SPAN), height: -1, view: -1, bytes });
        }
        continue;
      }
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
    for (const round of [...this.#rounds.keys()].sort((a, b) => a - b)) out.push({ kind: 'round', round, height: -1, view: -1, bytes: this.#rounds.get(round)! });
    return out;
  }

  /** Rounds whose record is kept, oldest first. */
  roundRecords(): number[] {
    return [...this.#rounds.keys()].sort((a, b) => a - b);
  }

  /**
   * Keeps the signed message for a slot (after signing, before or while publishing), so that a restarted node can
   * re-send exactly those bytes. The slot must have been granted by beforeSign.
   */
  async recordSigned(slot: Slot, message: Uint8Array): Promise<void> {
    checkSlot(slot);
    checkBytes(message, 'message', this.limits.messageBytes);
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

  /**
   * Keeps one of the node's own readings until it is settled; resolves when it is on stable storage. At most
   * `limits.pending` are kept: past that the caller must first give the oldest up (record it as such, then settle
   * it); adding one more is refused (RangeError), never done by silently dropping another.
   */
  async addPending(reading: PendingReading): Promise<void> {
    checkBytes(reading?.meter, 'reading.meter', 64);
    if (!Number.isSafeInteger(reading.seq) || reading.seq < 0) throw new RangeError(`node state: reading.seq must be a non-negative integer, got ${reading.seq}`);
    checkBytes(reading.bytes, 'reading.bytes', this.limits.messageBytes);
    this.#usable();
    const id = pendingId(reading.meter, reading.seq);
    if (!this.#pending.has(id) && this.#pending.size >= this.limits.pending) {
      throw new RangeError(`node state: ${this.#pending.size} readings are pending, the limit (limits.pending): give the oldest up before adding one`);
    }
    this.#pending.set(id, { meter: reading.meter, seq: reading.seq, bytes: reading.bytes });
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

  /** The entries that rebuild this state: the snapshot's body. */
  #entries(): { [k: string]: CborValue }[] {
    const out: { [k: string]: CborValue }[] = [];
    const floors: [string, number][] = [];
    for (const [kind, record] of this.#kinds) if (record.floor >= 0) floors.push([kind, record.floor]);
    if (this.#roundFloor >= 0) floors.push([ROUND_RECORD, this.#roundFloor * VIEW_SPAN + (VIEW_SPAN - 1)]);
    if (floors.length > 0) out.push({ t: 'f', f: floors });
    for (const [kind, record] of this.#kinds) {
      for (const [at, slot] of record.slots) {
        const e: { [k: string]: CborValue } = { t: 's', k: kind, n: at, d: slot.digest };
        if (slot.message) e['m'] = slot.message;
        out.push(e);
      }
    }
    for (const p of this.#pending.values()) out.push({ t: 'p', a: p.meter, q: p.seq, r: p.bytes });
    for (const [n, r] of this.#rounds) out.push({ t: 'c', n, r });
    if (this.#lock) out.push({ t: 'l', h: this.#lock.height, w: this.#lock.view, r: this.#lock.bytes });
    return out;
  }

  /** Folds the journal into a new snapshot (generation + 1), then starts an empty journal for that generation. */
  async #compact(): Promise<void> {
    const old = this.#journal!;
    await old.close();
    this.#journal = undefined;
    const gen = this.#gen + 1;
    const frames: Uint8Array[] = [LOG_MAGIC, encodeFrame(encode({ t: 'g', v: 2, g: gen }))];
    for (const e of this.#entries()) frames.push(encodeFrame(encode(e)));
    let replaced = false;
    try {
      await replaceFileAtomically(join(this.dir, STATE_FILE), Buffer.concat(frames));
      replaced = true;
      const { log } = await RecordLog.open(join(this.dir, journalName(gen)), { sync: 'fdatasync' });
      this.#gen = gen;
      this.#journal = log;
      this.#journalEntries = 0;
      this.#compactAfter = 0;
      await fsp.rm(old.path, { force: true });
      await fsp.rm(join(this.dir, LEGACY_STATE_FILE), { force: true });
    } catch (e) {
      if (this.#journal) return; // only the removal of old files failed: the next open removes them
      // A full disk: the old snapshot and journal still hold everything. Go on with them and fold later.
      const retryMs = this.#retryMs;
      this.#retryMs = Math.min(2 * this.#retryMs, RETRY_MAX_MS);
      this.#compactAfter = Date.now() + retryMs;
      this.#onWriteError?.(new LedgerError('io-failed', `${this.dir}: compaction failed: ${(e as Error).message}`), retryMs);
      try {
        if (replaced) {
          // The new snapshot is in place but its journal could not be made: it holds everything, so start its journal
          // as soon as the disk allows; until then the state refuses writes.
          this.#gen = gen;
          this.#failed ??= new LedgerError('io-failed', `${this.dir}: compaction could not start journal ${journalName(gen)}: ${(e as Error).message}; restart the node`);
          return;
        }
        const { log } = await RecordLog.open(old.path, { sync: 'fdatasync' });
        this.#journal = log;
      } catch (again) {
        this.#failed ??= new LedgerError('io-failed', `${this.dir}: compaction failed and the journal could not be reopened: ${(again as Error).message}; restart the node`);
      }
    }
  }

  /** Waits for writes in flight, closes the journal and releases the directory. */
  async close(): Promise<void> {
    this.#closing = true;
    while (this.#compacting) await this.#compacting;
    await Promise.allSettled([this.#lastAppend, ...this.#inflight]);
    await this.#journal?.close();
    this.#journal = undefined;
    await this.#dirLock?.release();
    this.#dirLock = undefined;
  }
}
