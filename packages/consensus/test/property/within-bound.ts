// Shared by the property suites: run one seeded case within the rule's fault bound (see testkit's propertyCase) and
// check what must hold on every seed; keep the honest-acceptance counts for the 99 % property, and compare the run's
// effect stream with the hash recorded for its seed (helpers/effect-hash.ts).
import { expect } from '@jest/globals';
import type { VotingRule } from '@meterchain/core';
import { propertyCase, simulate, violations, type SimReport } from '@meterchain/testkit';
import { EffectHasher, type RecordedHashes } from '../helpers/effect-hash.ts';

export interface Tally {
  runs: number;
  liveRuns: number;
  honestReadings: number;
  honestAccepted: number;
  /** Seeds whose effect stream differs from the recorded hash: `seed: recorded -> observed`. */
  changed: string[];
}

export function checkSeed(rule: VotingRule, seed: number, tally: Tally, hashes: RecordedHashes): SimReport {
  const c = propertyCase(rule, seed);
  const hasher = new EffectHasher();
  const { report } = simulate({ ...c.options, trace: (member, effects) => hasher.add(member, effects) });
  const observed = hasher.digest();
  const expected = hashes.expected(`${rule}:${seed}`, observed);
  if (observed !== expected) tally.changed.push(`${rule}:${seed}: ${expected} -> ${observed}`);
  const context = `seed ${seed}: ${JSON.stringify({ n: report.meters, k: report.byzantine.length, behaviours: c.options.behaviours, mode: report.voteMode, net: c.options.network })}`;
  expect([context, violations(rule, c, report)]).toEqual([context, []]);
  tally.runs++;
  if (c.live) {
    tally.liveRuns++;
    tally.honestReadings += report.honestReadings;
    tally.honestAccepted += report.honestAccepted;
  }
  return report;
}
