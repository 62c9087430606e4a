// Stuck or frozen sensor: a channel that always varies (supply voltage at 0.01 V resolution, frequency at mHz)
// repeating the same value sample after sample. Channels that legitimately sit still (current rounded to 0.2 A
// at night) are not listed for this check in the profiles.
import { QualityFlag } from '@meterchain/core';
import { finding, num, type Check, type Finding, type Sample } from '../types.ts';

export interface StuckRule {
  channel: number;
  name: string;
  /** Number of consecutive equal samples that makes the channel stuck (the first one counts). */
  samples: number;
  /** Largest change still counted as "equal", channel units (0: exactly equal). */
  epsilon: number;
}

export interface StuckState {
  channel: Int32Array;
  samples: Int32Array;
  epsilon: Float64Array;
  last: Float64Array;
  run: Int32Array;
  names: string[];
}

function stuckStep(s: StuckState, sample: Sample, out: Finding[]): StuckState {
  const v = sample.values;
  for (let i = 0; i < s.channel.length; i++) {
    const x = v[s.channel[i]!]!;
    if (x !== x) {
      s.run[i] = 0;
      continue;
    }
    if (s.run[i]! > 0 && Math.abs(x - s.last[i]!) <= s.epsilon[i]!) s.run[i] = s.run[i]! + 1;
    else {
      s.run[i] = 1;
      s.last[i] = x;
    }
    if (s.run[i]! >= s.samples[i]!) {
      out.push(finding('stuck', 'frozen', 'error', s.names[i]!, QualityFlag.STUCK, x, s.samples[i]!, `same value ${num(x)} for ${s.run[i]} samples`, 0));
    }
  }
  return s;
}

export function stuckCheck(rules: StuckRule[]): Check<StuckState> {
  const n = rules.length;
  const s: StuckState = { channel: new Int32Array(n), samples: new Int32Array(n), epsilon: new Float64Array(n), last: new Float64Array(n), run: new Int32Array(n), names: [] };
  for (let i = 0; i < n; i++) {
    s.channel[i] = rules[i]!.channel;
    s.samples[i] = rules[i]!.samples;
    s.epsilon[i] = rules[i]!.epsilon;
    s.names.push(rules[i]!.name);
  }
  return { name: 'stuck', lag: 0, state: s, step: stuckStep };
}
