// Per-stream tracking on the receiving side: removes duplicates (MQTT QoS 1 is at-least-once; a spool resends what
// the broker may already have) and reports gaps, late arrivals and restarts. Pure: no I/O, no clock.
//
// The header (incarnation, sequence number) is not signed, so anyone who can put a payload on a member's topic can
// write any numbers into it. The rule (docs/transport.md §4): the header decides only how a frame is REPORTED
// (missed, late, restarted, gap events), never WHETHER it is delivered. A frame is dropped only when the very same
// payload (header and frame, compared by digest) was delivered on its stream before, so a forger cannot suppress a
// member's frame: to make it count as a duplicate it would have to send those exact bytes first, which delivers them.

export type SequenceVerdict =
  /**
   * Deliver. `missed`: frames skipped just before this one by the header's numbering (0 when in order or when nothing
   * is known yet). `late`: the header places this frame at or before one already seen (it fills a gap, belongs to an
   * older incarnation, or reuses a number). `restarted`: the header starts a newer incarnation.
   */
  | { deliver: true; missed: number; late: boolean; restarted: boolean }
  /** Drop: this very payload was already delivered on this stream. */
  | { deliver: false; reason: 'duplicate' };

interface StreamState {
  incarnation: number;
  last: number;
  /** Known gaps as inclusive [from, to] ranges, oldest first; bounded so a hostile stream cannot grow it. */
  gaps: Array<[number, number]>;
  /** Digests of the last payloads delivered (64 bits each as two u32), a ring of `dedupWindow` entries. */
  seen: Uint32Array;
  seenCount: number;
  seenNext: number;
}

export interface SequenceTrackerOptions {
  /** How many separate gaps per stream are remembered for late arrivals (default 64; older ones are forgotten). */
  maxGaps?: number;
  /**
   * How many payloads per stream are remembered to remove duplicates (default 256). Honest duplicates are recent:
   * a publisher resends at most its 64 frames in flight after a reconnect, the broker its 100 in flight. An older
   * duplicate is delivered again, which a consensus layer that judges replays by signature takes in its stride.
   */
  dedupWindow?: number;
  /** Streams tracked at most (default 1024); the least recently seen is forgotten, so a flood of made-up
   * publishers cannot grow memory. A forgotten stream's next frame counts as its first. */
  maxStreams?: number;
}

const INITIAL_SEEN = 16;

export class SequenceTracker {
  readonly #streams = new Map<string, StreamState>();
  readonly #maxGaps: number;
  readonly #window: number;
  readonly #maxStreams: number;

  constructor(options: SequenceTrackerOptions = {}) {
    this.#maxGaps = options.maxGaps ?? 64;
    this.#window = options.dedupWindow ?? 256;
    this.#maxStreams = options.maxStreams ?? 1024;
    if (!Number.isInteger(this.#maxGaps) || this.#maxGaps < 0) throw new RangeError(`sequence tracker: expected maxGaps >= 0, got ${options.maxGaps}`);
    if (!Number.isInteger(this.#window) || this.#window < 1) throw new RangeError(`sequence tracker: expected dedupWindow >= 1, got ${options.dedupWindow}`);
    if (!Number.isInteger(this.#maxStreams) || this.#maxStreams < 1) throw new RangeError(`sequence tracker: expected maxStreams >= 1, got ${options.maxStreams}`);
  }

  /**
   * Judges one payload of `stream` (one publisher's frames of one kind) and records it. `digest`: a collision-resistant
   * digest of the whole payload, header included (at least 8 bytes; the first 8 are kept). A forger does not know a
   * member's future payloads, so it cannot make one of them match a digest it planted.
   */
  observe(stream: string, incarnation: number, seq: number, digest: Uint8Array): SequenceVerdict {
    if (!(digest instanceof Uint8Array) || digest.length < 8) throw new TypeError(`sequence tracker: expected a digest of at least 8 bytes, got ${digest instanceof Uint8Array ? digest.length : typeof digest}`);
    const hi = ((digest[0]! << 24) | (digest[1]! << 16) | (digest[2]! << 8) | digest[3]!) >>> 0;
    const lo = ((digest[4]! << 24) | (digest[5]! << 16) | (digest[6]! << 8) | digest[7]!) >>> 0;
    let state = this.#streams.get(stream);
    if (state !== undefined) {
      // A payload seen before carries the header it had then, and every header seen in the current incarnation is
      // at or below `last`: a higher number in that incarnation is new, with no need to search the ring (the usual
      // case, once per frame and subscriber).
      const fresh = incarnation === state.incarnation && seq > state.last;
      if (!fresh && this.#seenBefore(state, hi, lo)) return { deliver: false, reason: 'duplicate' };
      // Most recently seen last: the first entry is the one to forget when the map is full.
      this.#streams.delete(stream);
      this.#streams.set(stream, state);
    } else {
      if (this.#streams.size >= this.#maxStreams) this.#streams.delete(this.#streams.keys().next().value!);
      state = { incarnation, last: seq, gaps: [], seen: new Uint32Array(2 * Math.min(INITIAL_SEEN, this.#window)), seenCount: 0, seenNext: 0 };
      this.#streams.set(stream, state);
      this.#remember(state, hi, lo);
      // Joined mid-stream: what came before is not a gap we can judge.
      return { deliver: true, missed: 0, late: false, restarted: false };
    }
    this.#remember(state, hi, lo);
    if (incarnation < state.incarnation) return { deliver: true, missed: 0, late: true, restarted: false };
    if (incarnation > state.incarnation) {
      // A new incarnation numbers its frames from 1, so everything below `seq` was missed.
      state.incarnation = incarnation;
      state.last = seq;
      state.gaps = [];
      this.#addGap(state, 1, seq - 1);
      return { deliver: true, missed: seq - 1, late: false, restarted: true };
    }
    if (seq > state.last) {
      const missed = seq - state.last - 1;
      this.#addGap(state, state.last + 1, seq - 1);
      state.last = seq;
      return { deliver: true, missed, late: false, restarted: false };
    }
    this.#fillGap(state, seq);
    return { deliver: true, missed: 0, late: true, restarted: false };
  }

  /** Forgets everything about `stream` (e.g. when nothing subscribes to it any more). */
  forget(stream: string): void {
    this.#streams.delete(stream);
  }

  get streamCount(): number {
    return this.#streams.size;
  }

  #seenBefore(state: StreamState, hi: number, lo: number): boolean {
    const seen = state.seen;
    for (let i = 0; i < state.seenCount; i++) if (seen[2 * i] === hi && seen[2 * i + 1] === lo) return true;
    return false;
  }

  #remember(state: StreamState, hi: number, lo: number): void {
    const capacity = state.seen.length / 2;
    if (state.seenCount === capacity && capacity < this.#window) {
      // The ring grows only before it first wraps, so its entries are in order at 0..capacity-1.
      const grown = new Uint32Array(2 * Math.min(this.#window, capacity * 2));
      grown.set(state.seen);
      state.seen = grown;
      state.seenNext = capacity;
    }
    const size = state.seen.length / 2;
    state.seen[2 * state.seenNext] = hi;
    state.seen[2 * state.seenNext + 1] = lo;
    state.seenNext = (state.seenNext + 1) % size;
    if (state.seenCount < size) state.seenCount++;
  }

  #addGap(state: StreamState, from: number, to: number): void {
    if (to < from || this.#maxGaps === 0) return;
    state.gaps.push([from, to]);
    if (state.gaps.length > this.#maxGaps) state.gaps.shift();
  }

  #fillGap(state: StreamState, seq: number): void {
    for (let i = 0; i < state.gaps.length; i++) {
      const gap = state.gaps[i]!;
      if (seq < gap[0] || seq > gap[1]) continue;
      const pieces: Array<[number, number]> = [];
      if (seq > gap[0]) pieces.push([gap[0], seq - 1]);
      if (seq < gap[1]) pieces.push([seq + 1, gap[1]]);
      state.gaps.splice(i, 1, ...pieces);
      if (state.gaps.length > this.#maxGaps) state.gaps.shift();
      return;
    }
  }
}
