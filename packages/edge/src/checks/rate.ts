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
  /** Last valid value and its timestamp per rule (NaN before the first). */
  last: Float64Array;
  lastT: Float64Array;
  names: string[];
}

function rateStep(s: RateState, sample: Sample, out: Finding[]): RateState {
  const v = sample.values;
  for (let i = 0; i < s.channel.length; i++) {
    const x = v[s.channel[i]!]!;
    if (x !== x) continue;
    const prev = s.last[i]!;
    if (prev === prev) {
      const step = Math.abs(x - prev);
      const dt = (sample.t - s.lastT[i]!) / 1000;
      if (step > s.maxStep[i]!) {
        out.push(finding('rate-of-change', 'step', 'warning', s.names[i]!, QualityFlag.RATE_OF_CHANGE, step, s.maxStep[i]!, `changed by ${num(x - prev)} in one sample (allowed ${num(s.maxStep[i]!)})`, 0));
      } else if (dt > 0 && step / dt > s.maxRate[i]!) {
        out.push(finding('rate-of-change', 'rate', 'warning', s.names[i]!, QualityFlag.RATE_OF_CHANGE, step / dt, s.maxRate[i]!, `changed at ${num((x - prev) / dt)}/s (allowed ${num(s.maxRate[i]!)}/s)`, 0));
      }
    }
    s.last[i] = x;
    s.lastT[i] = sample.t;
  }
  return s;
}

export function rateCheck(rules: RateRule[]): Check<RateState> {
  const n = rules.length;
  const s: RateState = { channel: new Int32Array(n), maxStep: new Float64Array(n), maxRate: new Float64Array(n), last: new Float64Array(n), lastT: new Float64Array(n), names: [] };
  for (let i = 0; i < n; i++) {
    s.channel[i] = rules[i]!.channel;
    s.maxStep[i] = rules[i]!.maxStep;
    s.maxRate[i] = rules[i]!.maxRate;
    s.last[i] = NaN;
    s.names.push(rules[i]!.name);
  }
  return { name: 'rate-of-change', lag: 0, state: s, step: rateStep };
}
