// The rounds a node holds (rounds.ts and the parts it composes share it): each Round by number, the numbers in order,
// and the submissions they hold by digest (so that a compact proposal or a block is put together and checked without
// decoding them again).
import { hexKey } from './context.ts';
import type { Round } from './round.ts';
import type { Submission } from './submission.ts';

export class RoundTable {
  private rounds: { [round: number]: Round } = {};
  /** The rounds held, in ascending order. */
  private order: number[] = [];
  private byDigest: { [digest: string]: Submission } = {};

  get(round: number): Round | undefined {
    return this.rounds[round];
  }

  /** The numbers of the rounds held, in ascending order (not to be changed by the caller). */
  get held(): readonly number[] {
    return this.order;
  }

  /** Holds a round (in place of one held with its number). */
  put(rs: Round): void {
    const r = rs.round;
    if (!this.rounds[r]) {
      let i = this.order.length;
      while (i > 0 && this.order[i - 1]! > r) i--;
      this.order.splice(i, 0, r);
    }
    this.rounds[r] = rs;
  }

  /** Forgets the oldest round held, and the submissions it held. */
  dropOldest(): void {
    const r = this.order.shift()!;
    const rs = this.rounds[r]!;
    for (const slot of rs.subs) if (slot) delete this.byDigest[hexKey(slot.sub.digest)];
    delete this.rounds[r];
  }

  /** Indexes a submission a round holds by its digest. */
  index(s: Submission): void {
    this.byDigest[hexKey(s.digest)] = s;
  }

  /** A submission held in a round, by digest. */
  submission(digest: Uint8Array): Submission | undefined {
    return this.byDigest[hexKey(digest)];
  }
}
