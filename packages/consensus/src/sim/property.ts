// Seeded cases for the consensus property runs (CI suites and the long run behind a script): each seed picks a
// cluster, byzantine members within the rule's fault bound, behaviours, vote mode, loss, delays and a partition.
import type { VotingRule } from '@meterchain/core';
import { threshold } from '../index.ts';
import { Rng } from './rng.ts';
import type { Behaviour, SimOptions, SimReport } from './simulator.ts';

/** Behaviours each rule tolerates within its bound (docs/protocol.md §14): majority does not survive double signing. */
export const TOLERATED: Record<VotingRule, Behaviour[]> = {
  bft: ['forge', 'bad-signature', 'replay', 'equivocate', 'vote-invalid', 'silent', 'withhold', 'fork'],
  majority: ['forge', 'bad-signature', 'replay', 'vote-invalid', 'silent', 'withhold'],
};

export interface PropertyCase {
  options: SimOptions;
  /** No partition: the honest members reach the threshold all the time, so liveness is asserted. */
  live: boolean;
}

export interface CaseScale {
  /** Largest cluster (default 7). */
  maxMeters?: number;
  /** Rounds with readings (default 6). */
  rounds?: number;
}

export function propertyCase(rule: VotingRule, seed: number, scale?: CaseScale): PropertyCase {
  const rng = new Rng(seed * 7919 + (rule === 'bft' ? 17 : 29));
  const max = scale?.maxMeters ?? 7;
  const n = rule === 'bft' ? rng.int(4, max) : rng.int(3, max);
  const t = threshold(rule, n);
  const maxFaulty = rule === 'bft' ? Math.floor((n - 1) / 3) : Math.floor((n - 1) / 2);
  const k = rng.int(0, maxFaulty);
  const pool = rng.shuffle(TOLERATED[rule]);
  const behaviours = k === 0 ? [] : pool.slice(0, rng.int(1, 3));
  // With exactly t honest members every honest vote is needed: keep the network lossless then.
  const loss = n - k > t ? [0, 0.002, 0.01][rng.int(0, 2)]! : 0;
  const partitioned = rng.chance(0.15);
  const cut = rng.int(1, n - 1);
  const rounds = scale?.rounds ?? 6;
  const options: SimOptions = {
    meters: n,
    rounds,
    rule,
    voteMode: rng.chance(0.3) ? 'leader' : 'broadcast',
    byzantine: k,
    behaviours,
    seed,
    params: { blockRounds: 3 },
    network: {
      minDelayMs: rng.int(1, 5),
      maxDelayMs: rng.int(10, 80),
      loss,
      partitions: partitioned ? [{ from: 1500, to: 1500 + rng.int(1, 4) * 1000, groups: [[...Array(cut).keys()], [...Array(n).keys()].slice(cut)] }] : [],
    },
  };
  // A member restarts in some runs, restored from what it persisted; only where the others reach the threshold
  // without it, so that liveness is still asserted. (Drawn last: the seeds' earlier draws stay as they were.)
  const restart = n - k > t && rng.chance(0.3);
  const restartAt = rng.int(500, rounds * 1000);
  const restartMember = rng.int(0, n - 1);
  const downMs = rng.int(0, 3000);
  if (restart) options.restarts = [{ member: restartMember, at: restartAt, downMs }];
  return { options, live: !partitioned };
}

/** The properties a run within the bound must keep; returns what it broke (empty when none). */
export function violations(rule: VotingRule, c: PropertyCase, r: SimReport): string[] {
  const out: string[] = [];
  if (r.invalidSubmissionsAccepted !== 0) out.push(`${r.invalidSubmissionsAccepted} invalid submissions accepted`);
  if (r.conflictingCommits !== 0) out.push(`${r.conflictingCommits} heights with conflicting commits`);
  if (!r.chainsVerify) out.push(`a committed chain does not verify: ${r.chainError}`);
  if (rule === 'bft' && r.conflictingAcceptances !== 0) out.push(`${r.conflictingAcceptances} conflicting acceptances`);
  if (c.live && r.blocksCommitted < r.blocksExpected) out.push(`${r.blocksCommitted} of ${r.blocksExpected} blocks committed while connected`);
  return out;
}
