// Shared by the property suites: run one seeded case within the rule's fault bound (see testkit's propertyCase) and
// check what must hold on every seed; keep the honest-acceptance counts for the 99 % property.
import { expect } from '@jest/globals';
import type { VotingRule } from '@meterchain/core';
import { propertyCase, simulate, violations, type SimReport } from '@meterchain/testkit';

export interface Tally {
  runs: number;
  liveRuns: number;
  honestReadings: number;
  honestAccepted: number;
}

export function checkSeed(rule: VotingRule, seed: number, tally: Tally): SimReport {
  const c = propertyCase(rule, seed);
  const { report } = simulate(c.options);
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
