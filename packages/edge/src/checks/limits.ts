// Limits per channel: a value outside the band its profile allows (voltage band around nominal, current >= 0,
// frequency band). Out of the band is information about the supply or the sensor; the flag says which channel.
import { QualityFlag } from '@meterchain/core';
import { finding, num, type Check, type Finding, type Sample } from '../types.ts';

export interface LimitRule {
  channel: number;
  name: string;
  min: number;
  max: number;
}

export interface LimitsState {
  channel: Int32Array;
  min: Float64Array;
  max: Float64Array;
  names: string[];
}

function limitsStep(s: LimitsState, sample: Sample, out: Finding[]): LimitsState {
  const v = sample.values;
  for (let i = 0; i < s.channel.length; i++) {
    const x = v[s.channel[i]!]!;
    // NaN compares false both ways: a missing value is not judged here.
    if (x < s.min[i]!) out.push(finding('limits', 'below', 'warning', s.names[i]!, QualityFlag.OUT_OF_LIMITS, x, s.min[i]!, `${num(x)} below ${num(s.min[i]!)}`, 0));
    else if (x > s.max[i]!) out.push(finding('limits', 'above', 'warning', s.names[i]!, QualityFlag.OUT_OF_LIMITS, x, s.max[i]!, `${num(x)} above ${num(s.max[i]!)}`, 0));
  }
  return s;
}

export function limitsCheck(rules: LimitRule[]): Check<LimitsState> {
  const n = rules.length;
  const s: LimitsState = { channel: new Int32Array(n), min: new Float64Array(n), max: new Float64Array(n), names: [] };
  for (let i = 0; i < n; i++) {
    const r = rules[i]!;
    s.channel[i] = r.channel;
    s.min[i] = r.min;
    s.max[i] = r.max;
    s.names.push(r.name);
  }
  return { name: 'limits', lag: 0, state: s, step: limitsStep };
}
