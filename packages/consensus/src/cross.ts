// Cross-meter round judges built on the edge's pure checks: redundant sensors of one point must agree, and a feeder
// head must match the sum of its children within losses (DESIGN §3, "Votes"). Every member of a cluster configures
// the same groups, or honest votes split.
import { equalBytes, type Reading } from '@meterchain/core';
import { feederBalance, redundantOutliers, type Losses, type Tolerance } from '@meterchain/edge';
import { Reason } from './codes.ts';
import type { RoundJudge } from './judge.ts';
import type { Submission } from './submission.ts';

/** `value × 10^scale` as a float, by repeated exact steps (no Math.pow: its last bit differs between platforms). */
function quantity(value: number, scale: number): number {
  let q = value;
  for (let i = 0; i < scale; i++) q = q * 10;
  for (let i = 0; i > scale; i--) q = q / 10;
  return q;
}

function channelValue(r: Reading, channel: string): number {
  for (const c of r.channels) if (c.id === channel) return quantity(c.value, c.scale);
  return NaN;
}

function find(subs: Submission[], address: Uint8Array): Submission | undefined {
  for (const s of subs) if (equalBytes(s.member.address, address)) return s;
  return undefined;
}

export interface RedundantGroup {
  /** Members measuring the same point. */
  members: Uint8Array[];
  /** Channel compared (e.g. '1-0:32.7.0'). */
  channel: string;
  tolerance: Tolerance;
}

/**
 * Refuses the readings of a redundant group that disagree with the group's median (three or more sensors), or both
 * readings of a pair that disagree (no majority to tell which is wrong). Members that did not submit are skipped.
 */
export function redundancyJudge(groups: RedundantGroup[]): RoundJudge {
  return (subs) => {
    const out: { index: number; reason: number }[] = [];
    for (const g of groups) {
      const present: Submission[] = [];
      const values: number[] = [];
      for (const m of g.members) {
        const s = find(subs, m);
        if (!s || !s.reading) continue;
        present.push(s);
        values.push(channelValue(s.reading, g.channel));
      }
      if (present.length < 2) continue;
      for (const i of redundantOutliers(values, g.tolerance)) out.push({ index: present[i]!.index, reason: Reason.CROSS_CHECK });
    }
    return out;
  };
}

export interface Feeder {
  head: Uint8Array;
  children: Uint8Array[];
  /** Channel compared, a power (e.g. '1-0:16.7.0', W): one round's readings are one instant. */
  channel: string;
  losses: Losses;
}

/**
 * Refuses every reading of a feeder whose head and children cannot be reconciled within losses in the round (who is
 * wrong cannot be told from one balance: a liveness cost for the feeder's honest meters, never a safety one).
 * A feeder with a member missing from the round is not judged.
 */
export function feederJudge(feeders: Feeder[]): RoundJudge {
  return (subs) => {
    const out: { index: number; reason: number }[] = [];
    for (const f of feeders) {
      const head = find(subs, f.head);
      if (!head || !head.reading) continue;
      const children: number[] = [];
      const involved: Submission[] = [head];
      let complete = true;
      for (const c of f.children) {
        const s = find(subs, c);
        if (!s || !s.reading) complete = false;
        else {
          children.push(channelValue(s.reading, f.channel));
          involved.push(s);
        }
      }
      if (!complete) continue;
      if (!feederBalance(channelValue(head.reading, f.channel), children, f.losses).ok) {
        for (const s of involved) out.push({ index: s.index, reason: Reason.CROSS_CHECK });
      }
    }
    return out;
  };
}
