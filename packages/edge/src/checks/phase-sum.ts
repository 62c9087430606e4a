// Three-phase sums: a total (active, reactive or apparent power, energy) must equal the sum of its phases, within
// the meter's class accuracy. A lost phase or a wrong CT on one phase shows here first.
import { QualityFlag } from '@meterchain/core';
import { finding, num, type Check, type Finding, type Sample } from '../types.ts';

export interface PhaseSumRule {
  total: number;
  name: string;
  /** Channel indices of the phases (usually three). */
  parts: number[];
  /** Allowed |total − Σ phases|: abs + rel × Σ|phase|. */
  abs: number;
  rel: number;
}

export interface PhaseSumState {
  total: Int32Array;
  /** Phase channel indices, `width` per rule, -1 padding. */
  parts: Int32Array;
  width: number;
  par: Float64Array; // abs, rel
  names: string[];
}

function phaseSumStep(s: PhaseSumState, sample: Sample, out: Finding[]): PhaseSumState {
  const v = sample.values;
  for (let r = 0; r < s.total.length; r++) {
    const total = v[s.total[r]!]!;
    let sum = 0;
    let mag = 0;
    for (let k = 0; k < s.width; k++) {
      const c = s.parts[r * s.width + k]!;
      if (c < 0) continue;
      sum += v[c]!;
      mag += Math.abs(v[c]!);
    }
    // NaN in the total or a phase makes the comparison false: not judged.
    const allowed = s.par[r * 2]! + s.par[r * 2 + 1]! * mag;
    if (Math.abs(total - sum) > allowed) {
      out.push(finding('phase-sum', 'mismatch', 'error', s.names[r]!, QualityFlag.PHASE_SUM, total, sum, `total ${num(total)} but phases sum to ${num(sum)} (allowed difference ${num(allowed)})`, 0));
    }
  }
  return s;
}

export function phaseSumCheck(rules: PhaseSumRule[]): Check<PhaseSumState> {
  let width = 0;
  for (const r of rules) width = Math.max(width, r.parts.length);
  const s: PhaseSumState = { total: new Int32Array(rules.length), parts: new Int32Array(rules.length * width), width, par: new Float64Array(rules.length * 2), names: [] };
  s.parts.fill(-1);
  for (let r = 0; r < rules.length; r++) {
    const x = rules[r]!;
    s.total[r] = x.total;
    for (let k = 0; k < x.parts.length; k++) s.parts[r * width + k] = x.parts[k]!;
    s.par[r * 2] = x.abs;
    s.par[r * 2 + 1] = x.rel;
    s.names.push(x.name);
  }
  return { name: 'phase-sum', lag: 0, state: s, step: phaseSumStep };
}
