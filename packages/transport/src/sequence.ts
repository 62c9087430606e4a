// Per-stream sequence tracking on the receiving side: tells in-order frames from gaps, late arrivals that fill a
// gap, duplicates (MQTT QoS 1 is at-least-once; a spool resends what the broker may already have) and frames of
// an older incarnation. Pure: no I/O, no clock.

export type SequenceVerdict =
  /** Deliver. `missed` frames were skipped just before this one (0 when in order or when nothing is known yet). */
  | { deliver: true; missed: number; late: false; restarted: boolean }
  /** Deliver: this frame was reported missing earlier and has now arrived. */
  | { deliver: true; missed: 0; late: true; restarted: false }
  /** Drop: already delivered (same incarnation, not in a known gap) or from an older incarnation. */
  | { deliver: false; reason: 'duplicate' | 'stale-incarnation' };

interface StreamState {
  incarnation: number;
  last: number;
  /** Known gaps as inclusive [from, to] ranges, oldest first; bounded so a hostile stream cannot grow it. */
  gaps: Array<[number, number]>;
}

export interface SequenceTrackerOptions {
  /** How many separate gaps per stream are remembered for late arrivals (default 64; older ones are forgotten). */
  maxGaps?: number;
}

export class SequenceTracker {
  readonly #streams = new Map<string, StreamState>();
  readonly #maxGaps: number;

  constructor(options: SequenceTrackerOptions = {}) {
    this.#maxGaps = options.maxGaps ?? 64;
    if (!Number.isInteger(this.#maxGaps) || this.#maxGaps < 0) throw new RangeError(`sequence tracker: expected maxGaps >= 0, got ${options.maxGaps}`);
  }

  /** Judges frame (incarnation, seq) of `stream` (one publisher's frames of one kind) and records it. */
  observe(stream: string, incarnation: number, seq: number): SequenceVerdict {
    const state = this.#streams.get(stream);
    if (state === undefined) {
      // Joined mid-stream: what came before is not a gap we can judge.
      this.#streams.set(stream, { incarnation, last: seq, gaps: [] });
      return { deliver: true, missed: 0, late: false, restarted: false };
    }
    if (incarnation < state.incarnation) return { deliver: false, reason: 'stale-incarnation' };
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
    if (this.#fillGap(state, seq)) return { deliver: true, missed: 0, late: true, restarted: false };
    return { deliver: false, reason: 'duplicate' };
  }

  /** Forgets everything about `stream` (e.g. when nothing subscribes to it any more). */
  forget(stream: string): void {
    this.#streams.delete(stream);
  }

  get streamCount(): number {
    return this.#streams.size;
  }

  #addGap(state: StreamState, from: number, to: number): void {
    if (to < from || this.#maxGaps === 0) return;
    state.gaps.push([from, to]);
    if (state.gaps.length > this.#maxGaps) state.gaps.shift();
  }

  #fillGap(state: StreamState, seq: number): boolean {
    for (let i = 0; i < state.gaps.length; i++) {
      const gap = state.gaps[i]!;
      if (seq < gap[0] || seq > gap[1]) continue;
      const pieces: Array<[number, number]> = [];
      if (seq > gap[0]) pieces.push([gap[0], seq - 1]);
      if (seq < gap[1]) pieces.push([seq + 1, gap[1]]);
      state.gaps.splice(i, 1, ...pieces);
      if (state.gaps.length > this.#maxGaps) state.gaps.shift();
      return true;
    }
    return false;
  }
}
