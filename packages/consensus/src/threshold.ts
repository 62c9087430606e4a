// Acceptance thresholds, counted against the manifest's voters (full members), never against who is online
// (DESIGN §3). etcd's quorum counting is the model: a number compared with a count of distinct addresses.
import { consensusError } from './codes.ts';
import type { VotingRule } from '@meterchain/core';

/** bft: the number of byzantine voters tolerated, f = ⌊(n − 1)/3⌋. */
export function bftFaults(n: number): number {
  return Math.floor((n - 1) / 3);
}

/**
 * Accept votes from distinct voters needed, out of n voters.
 * - majority: more than n/2, ⌊n/2⌋ + 1.
 * - bft: ⌊(n + f)/2⌋ + 1 with f = ⌊(n − 1)/3⌋; that is 2f + 1 when n = 3f + 1, and for other n the smallest
 *   count whose any two quorums share more than f voters (2t − n > f), which is what safety needs.
 */
export function threshold(rule: VotingRule, n: number): number {
  if (Math.floor(n) !== n || n < 1) throw consensusError('BAD_ARGUMENT', `threshold: expected a positive whole number of voters, got ${n}`);
  if (rule === 'majority') return Math.floor(n / 2) + 1;
  if (rule === 'bft') return Math.floor((n + bftFaults(n)) / 2) + 1;
  throw consensusError('BAD_ARGUMENT', `threshold: rule must be 'majority' or 'bft', got '${String(rule)}'`);
}

/**
 * How many faulty voters each guarantee survives (docs/protocol.md, "Fault bounds"):
 * - `invalid`: voters that accept invalid submissions, while no invalid submission is accepted (f < t);
 * - `live`: silent or crashed voters, while honest submissions are still accepted and blocks commit (n − f ≥ t);
 * - `equivocating`: voters that sign two different votes or block signatures for one slot, while no two
 *   conflicting certificates can exist (2t − n > f).
 */
export function faultBounds(rule: VotingRule, n: number): { invalid: number; live: number; equivocating: number } {
  const t = threshold(rule, n);
  return { invalid: t - 1, live: n - t, equivocating: Math.max(0, 2 * t - n - 1) };
}
