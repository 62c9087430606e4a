// Shared by the property suites: a seeded configuration within the rule's fault bound, and the checks every run must
// pass. Each seed picks the cluster size, byzantine members and behaviours, vote mode, loss, delays and partitions.
import { expect } from '@jest/globals';
import type { VotingRule } from '@meterchain/core';
import { Rng, simulate, type Behaviour, type SimOptions, type SimReport } from '@meterchain/testkit';
import { threshold } from '../../src/threshold.ts';

/** Behaviours each rule tolerates within its bound (docs/protocol.md §14): majority does not survive double signing. */
export const TOLERATED: Record<VotingRule, Behaviour[]> = {
  bft: ['forge', 'bad-signature', 'replay', 'equivocate', 'vote-invalid', 'silent', 'withhold', 'fork'],
  majority: ['forge', 'bad-signature', 'replay', 'vote-invalid', 'silent', 'withhold'],
};

export interface PropertyCase {
  options: SimOptions;
  /** The honest members can reach the threshold all the time (no partition): liveness is asserted. */
  live: boolean;
}

export function caseFor(rule: VotingRule, seed: number): PropertyCase {
  const rng = new Rng(seed * 7919 + (rule === 'bft' ? 17 : 29));
  const n = rule === 'bft' ? rng.int(4, 7) : rng.int(3, 7);
  const t = threshold(rule, n);
  const maxFaulty = rule === 'bft' ? Math.floor((n - 1) / 3) : Math.floor((n - 1) / 2);
  const k = rng.int(0, maxFaulty);
  const pool = rng.shuffle(TOLERATED[rule]);
  const behaviours = k === 0 ? [] : pool.slice(0, rng.int(1, 3));
  // With exactly t honest members every honest vote is needed: keep the network lossless then.
  const loss = n - k > t ? [0, 0.002, 0.01][rng.int(0, 2)]! : 0;
  const partitioned = rng.chance(0.15);
  const honestCut = rng.int(1, n - 1);
  const options: SimOptions = {
    meters: n,
    rounds: 6,
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
      partitions: partitioned ? [{ from: 1500, to: 4500, groups: [[...Array(honestCut).keys()], [...Array(n).keys()].slice(honestCut)] }] : [],
    },
  };
  return { options, live: !partitioned };
}

export interface Tally {
  runs: number;
  liveRuns: number;
  honestReadings: number;
  honestAccepted: number;
}

/** Runs one seed and checks the safety properties (always) and per-run liveness (when live). */
export function checkSeed(rule: VotingRule, seed: number, tally: Tally): SimReport {
  const c = caseFor(rule, seed);
  const { report } = simulate(c.options);
  const context = `seed ${seed}: ${JSON.stringify({ n: report.meters, k: report.byzantine.length, behaviours: c.options.behaviours, mode: report.voteMode, net: c.options.network })}`;
  // Safety, within the bound, whatever the network does.
  expect([context, report.invalidSubmissionsAccepted]).toEqual([context, 0]);
  expect([context, report.conflictingCommits]).toEqual([context, 0]);
  expect([context, report.chainsVerify, report.chainError]).toEqual([context, true, undefined]);
  if (rule === 'bft') expect([context, report.conflictingAcceptances]).toEqual([context, 0]);
  tally.runs++;
  if (c.live) {
    tally.liveRuns++;
    tally.honestReadings += report.honestReadings;
    tally.honestAccepted += report.honestAccepted;
    // Blocks keep committing while the threshold of honest members is connected.
    expect([context, report.blocksCommitted >= report.blocksExpected]).toEqual([context, true]);
  }
  return report;
}
