// Quorum counting, in one place (etcd's raft keeps it in its quorum package): the threshold t of the manifest's voters
// (threshold.ts), counts of distinct signers toward it per key, and what a round tally says about one member. Every
// machine of the node asks here whether a count is a quorum; none compares with t itself.
import type { VotingRule } from '@meterchain/core';
import type { Candidate } from './certificate.ts';
import { threshold } from './threshold.ts';

export type MemberOutcome =
  | { outcome: 'accepted'; digest: Uint8Array }
  | { outcome: 'rejected'; digest: Uint8Array; reason: number }
  | { outcome: 'not-enough-votes'; digest: Uint8Array }
  | { outcome: 'none' };

/** What a tally says about one member at threshold `t`: accepted, rejected (t rejects in all), undecided, or none. */
export function memberOutcome(cands: Candidate[], t: number): MemberOutcome {
  if (cands.length === 0) return { outcome: 'none' };
  let rejects = 0;
  let most = cands[0]!;
  let mostRejected = cands[0]!;
  for (const c of cands) {
    if (c.accept >= t) return { outcome: 'accepted', digest: c.digest };
    rejects += c.reject;
    if (c.accept + c.reject > most.accept + most.reject) most = c;
    if (c.reject > mostRejected.reject) mostRejected = c;
  }
  if (rejects >= t) return { outcome: 'rejected', digest: mostRejected.digest, reason: mostRejected.reason };
  return { outcome: 'not-enough-votes', digest: most.digest };
}

/** Counts of distinct signers per key (a block hash in a phase and view, a view's timeouts); the caller adds a signer
 * once per key. */
export class QuorumCounts {
  private counts: { [key: string]: number } = {};

  /** Adds one signer under `key`; returns the count now. */
  add(key: string): number {
    const count = (this.counts[key] ?? 0) + 1;
    this.counts[key] = count;
    return count;
  }

  /** The count under `key` (not named `of`: a class method of that name is a syntax error on Espruino 2v29). */
  get(key: string): number {
    return this.counts[key] ?? 0;
  }
}

/** The quorum of a cluster: `t` of its `voters` full members (members counts sensors too). */
export class Quorum {
  readonly t: number;

  constructor(
    rule: VotingRule,
    readonly voters: number,
    readonly members: number,
  ) {
    this.t = threshold(rule, voters);
  }

  /** Whether `count` distinct signers make a quorum. */
  reached(count: number): boolean {
    return count >= this.t;
  }

  /** Whether a round tally decides a member (accepted or rejected) or not. */
  outcome(cands: Candidate[]): MemberOutcome {
    return memberOutcome(cands, this.t);
  }

  /** Whether `count` distinct signers include at least one correct member: more than the members − t that may be
   * faulty. */
  includesCorrect(count: number): boolean {
    return count >= this.oneCorrect;
  }

  /** The fewest distinct members among which one is correct while at most members − t are faulty. */
  get oneCorrect(): number {
    return this.members - this.t + 1;
  }

  /**
   * Whether member `self` is one of the members − t + 1 after `lagging` (in manifest order) that answer a member
   * lagging a view behind: one correct member does while at most members − t are faulty.
   */
  answersLagging(self: number, lagging: number): boolean {
    const after = (self - lagging + this.members) % this.members;
    return after >= 1 && after <= this.members - this.t + 1;
  }
}
