// Rate of change: a channel that moved further between two samples than its profile allows (a step in the supply
// voltage beyond EN 50160's rapid-voltage-change size, say), per sample and per second.
import { QualityFlag } from '@meterchain/core';
import { finding, num, type Check, type Finding, type Sample } from '../types.ts';

export interface RateRule {
  channel: number;
  name: string;
  /** Largest change between consecutive samples, channel units; Infinity for none. */
  maxStep: number;
  /** Largest change per second, channel units/s; Infinity for none. */
  maxRate: number;
}

export interface RateState {
  channel: Int32Array;
  maxStep: Float64Array;
  maxRate: Float64Array;
  /** Last valid value and its timestamp per rule (NaN before the first), the value before it, and 1 when the last
   * step was flagged. */
  last: Float64Array;
  lastT: Float64Array;
  before: Float64Array;
  flagged: Uint8Array;
  names: string[];
}

function rateStep(s: RateState, sample: Sample, out: Finding[]): RateState {
  const v = sample.values;
  for (let i = 0; i < s.channel.length; i++) {
    const x = v[s.channel[i]!]!;
    if (x !== x) continue;
    const prev = s.last[i]!;
    let flagged = 0;
    // The step back from a one-sample excursion already reported (the value comes at least halfway back to where
    // it was before) is not a second change: the excursion was, and it is flagged on its own sample.
    const returning = s.flagged[i] === 1 && Math.abs(x - s.before[i]!) <= Math.abs(prev - s.before[i]!) / 2;
    if (prev === prev && !returning) {
      const step = Math.abs(x - prev);
      const dt = (sample.t - s.lastT[i]!) / 1000;
      if (step > s.maxStep[i]!) {
        out.push(finding('rate-of-change', 'step', 'warning', s.names[i]!, QualityFlag.RATE_OF_CHANGE, step, s.maxStep[i]!, `changed by ${num(x - prev)} in one sample (allowed ${num(s.maxStep[i]!)})`, 0));
        flagged = 1;
      } else if (dt > 0 && step / dt > s.maxRate[i]!) {
        out.push(finding('rate-of-change', 'rate', 'warning', s.names[i]!, QualityFlag.RATE_OF_CHANGE, step / dt, s.maxRate[i]!, `changed at ${num((x - prev) / dt)}/s (allowed ${num(s.maxRate[i]!)}/s)`, 0));
        flagged = 1;
      }
    }
    s.flagged[i] = flagged;
    s.before[i] = prev;
    s.last[i] = x;
    s.lastT[i] = sample.t;
  }
  return s;
}

export function rateCheck(rules: RateRule[]): Check<RateState> {
  const n = rules.length;
  const s: RateState = { channel: new Int32Array(n), maxStep: new Float64Array(n), maxRate: new Float64Array(n), last: new Float64Array(n), lastT: new Float64Array(n), before: new Float64Array(n), flagged: new Uint8Array(n), names: [] };
  for (let i = 0; i < n; i++) {
    s.channel[i] = rules[i]!.channel;
    s.maxStep[i] = rules[i]!.maxStep;
    s.maxRate[i] = rules[i]!.maxRate;
    s.last[i] = NaN;
    s.before[i] = NaN;
    s.names.push(rules[i]!.name);
  }
  return { name: 'rate-of-change', lag: 0, state: s, step: rateStep };
}
