// Frequency and rate of change of frequency (ROCOF), as PMUs report them. Bands from EN 50160 §4.2.1 (50 Hz ±1%
// for 99.5% of a year, +4%/−6% at all times); the reported ROCOF must agree with the change of the reported
// frequency over a window (IEC/IEEE 60255-118-1 bounds the ROCOF error of a compliant PMU).
import { QualityFlag } from '@meterchain/core';
import { finding, num, type Check, type Finding, type Sample } from '../types.ts';

export interface FrequencyConfig {
  frequency: number;
  frequencyName: string;
  /** Reported ROCOF channel, Hz/s; -1 when absent (then ROCOF is computed from the frequency). */
  rocof: number;
  rocofName: string;
  /** Normal band (warning outside) and limit band (error outside), Hz. */
  normalMin: number;
  normalMax: number;
  limitMin: number;
  limitMax: number;
  /** Largest plausible |ROCOF|, Hz/s. */
  rocofMax: number;
  /** Samples over which the frequency change is compared with the reported ROCOF. */
  window: number;
  /** Allowed |mean reported ROCOF − Δf/Δt| over the window, Hz/s. */
  rocofTolerance: number;
}

export interface FrequencyState {
  ch: Int32Array; // frequency, rocof
  par: Float64Array; // normalMin, normalMax, limitMin, limitMax, rocofMax, rocofTolerance
  /** Ring of the last window+1 samples: frequency, time, reported ROCOF. */
  f: Float64Array;
  t: Float64Array;
  r: Float64Array;
  /** [next slot, count] */
  pos: Int32Array;
  names: string[];
}

function judgeRocof(s: FrequencyState, out: Finding[]): void {
  const n = s.f.length; // window + 1
  const newest = (s.pos[0]! + n - 1) % n;
  const oldest = s.pos[0]!;
  const dt = (s.t[newest]! - s.t[oldest]!) / 1000;
  if (!(dt > 0)) return;
  const measured = (s.f[newest]! - s.f[oldest]!) / dt;
  if (measured !== measured) return;
  const rocofMax = s.par[4]!;
  if (s.ch[1]! < 0) {
    if (Math.abs(measured) > rocofMax) out.push(finding('rocof', 'limit', 'warning', s.names[0]!, QualityFlag.FREQUENCY, measured, rocofMax, `frequency changing at ${num(measured)} Hz/s (limit ${num(rocofMax)})`, 0));
    return;
  }
  // Mean of the reported ROCOF over the samples after the oldest one: each approximates df/dt over its own step.
  let sum = 0;
  for (let k = 1; k < n; k++) sum += s.r[(oldest + k) % n]!;
  const reported = sum / (n - 1);
  const tol = s.par[5]!;
  if (Math.abs(reported - measured) > tol) {
    out.push(finding('rocof', 'mismatch', 'error', s.names[1]!, QualityFlag.FREQUENCY, reported, measured, `reported ROCOF ${num(reported)} Hz/s but frequency changed at ${num(measured)} Hz/s over ${n - 1} samples`, 0));
  }
}

function frequencyStep(s: FrequencyState, sample: Sample, out: Finding[]): FrequencyState {
  const v = sample.values;
  const f = v[s.ch[0]!]!;
  const rc = s.ch[1]!;
  const rocof = rc >= 0 ? v[rc]! : 0;
  if (f < s.par[2]! || f > s.par[3]!) {
    out.push(finding('frequency', 'outside-limit', 'error', s.names[0]!, QualityFlag.FREQUENCY, f, f < s.par[2]! ? s.par[2]! : s.par[3]!, `${num(f)} Hz outside ${num(s.par[2]!)}..${num(s.par[3]!)} Hz`, 0));
  } else if (f < s.par[0]! || f > s.par[1]!) {
    out.push(finding('frequency', 'outside-normal', 'warning', s.names[0]!, QualityFlag.FREQUENCY, f, f < s.par[0]! ? s.par[0]! : s.par[1]!, `${num(f)} Hz outside ${num(s.par[0]!)}..${num(s.par[1]!)} Hz`, 0));
  }
  if (rc >= 0 && Math.abs(rocof) > s.par[4]!) {
    out.push(finding('rocof', 'limit', 'warning', s.names[1]!, QualityFlag.FREQUENCY, rocof, s.par[4]!, `ROCOF ${num(rocof)} Hz/s beyond ${num(s.par[4]!)}`, 0));
  }
  const n = s.f.length;
  const slot = s.pos[0]!;
  s.f[slot] = f;
  s.t[slot] = sample.t;
  s.r[slot] = rocof;
  s.pos[0] = (slot + 1) % n;
  if (s.pos[1]! < n) s.pos[1] = s.pos[1]! + 1;
  // A missing or out-of-band value in the window (NaN) leaves the comparison false until it has passed.
  if (s.pos[1] === n) judgeRocof(s, out);
  return s;
}

export function frequencyCheck(c: FrequencyConfig): Check<FrequencyState> {
  const n = c.window + 1;
  const s: FrequencyState = { ch: new Int32Array(2), par: new Float64Array(6), f: new Float64Array(n), t: new Float64Array(n), r: new Float64Array(n), pos: new Int32Array(2), names: [c.frequencyName, c.rocofName] };
  s.ch[0] = c.frequency;
  s.ch[1] = c.rocof;
  s.par[0] = c.normalMin;
  s.par[1] = c.normalMax;
  s.par[2] = c.limitMin;
  s.par[3] = c.limitMax;
  s.par[4] = c.rocofMax;
  s.par[5] = c.rocofTolerance;
  return { name: 'frequency', lag: 0, state: s, step: frequencyStep };
}
