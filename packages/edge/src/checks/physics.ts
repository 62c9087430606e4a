// Physics across channels of one meter: apparent power from P and Q against V·I, P ≤ S, power factor bounds.
// Tolerances combine a relative part and an absolute current allowance, because real meters average over a minute
// and round current (DESIGN §6: √(P²+Q²) tracks V·I with a median gap of 0.07 A, yet 6% of minutes differ by more
// than 0.5 A; V·I also exceeds √(P²+Q²) by the distortion power of non-linear loads, down to 0.54 of it there).
import { QualityFlag } from '@meterchain/core';
import { finding, num, type Check, type Finding, type Sample } from '../types.ts';

export interface PhysicsRule {
  /** Channel indices, -1 when the meter does not report the quantity. voltage, current and active are required. */
  voltage: number;
  current: number;
  active: number;
  reactive: number;
  apparent: number;
  powerFactor: number;
  /** Names for findings: the active power channel, the apparent power channel, the power factor channel. */
  activeName: string;
  apparentName: string;
  powerFactorName: string;
  /** √(P²+Q²) may exceed V·I by this fraction (measurement classes, averaging). */
  relHigh: number;
  /** Absolute allowance expressed as a current, A (times V): covers current rounding and averaging. */
  absCurrent: number;
  /** √(P²+Q²) must be at least this fraction of V·I (distortion power of non-linear loads lowers it). */
  ratioMin: number;
  /** Allowed difference between a reported power factor and P/S (and how far |PF| may exceed 1). */
  pfTolerance: number;
}

export interface PhysicsState {
  ch: Int32Array; // per rule: voltage, current, active, reactive, apparent, powerFactor
  par: Float64Array; // per rule: relHigh, absCurrent, ratioMin, pfTolerance
  names: string[]; // per rule: activeName, apparentName, powerFactorName
}

function value(v: Float64Array, c: number): number {
  return c >= 0 ? v[c]! : NaN;
}

function judgePowers(s: PhysicsState, r: number, v: Float64Array, out: Finding[]): void {
  const ch = r * 6;
  const p = r * 4;
  const u = value(v, s.ch[ch]!);
  const i = value(v, s.ch[ch + 1]!);
  const pw = value(v, s.ch[ch + 2]!);
  const q = value(v, s.ch[ch + 3]!);
  const sa = value(v, s.ch[ch + 4]!);
  const pf = value(v, s.ch[ch + 5]!);
  const relHigh = s.par[p]!;
  const allowance = Math.abs(u) * s.par[p + 1]!;
  const vi = Math.abs(u * i);
  const name = s.names[r * 3]!;
  if (vi === vi && pw === pw) {
    const spq = q === q ? Math.sqrt(pw * pw + q * q) : Math.abs(pw);
    const high = vi * (1 + relHigh) + allowance;
    const low = vi * s.par[p + 2]! - allowance;
    if (spq > high) {
      out.push(finding('physics', 's-exceeds-vi', 'error', name, QualityFlag.PHYSICS, spq, high, `√(P²+Q²) = ${num(spq)} VA exceeds V·I = ${num(vi)} VA (allowed ${num(high)})`, 0));
    } else if (spq < low) {
      out.push(finding('physics', 's-below-vi', 'error', name, QualityFlag.PHYSICS, spq, low, `√(P²+Q²) = ${num(spq)} VA too small for V·I = ${num(vi)} VA (at least ${num(low)})`, 0));
    }
  }
  if (sa === sa && pw === pw && Math.abs(pw) > sa * (1 + relHigh) + allowance) {
    out.push(finding('physics', 'p-exceeds-s', 'error', name, QualityFlag.PHYSICS, Math.abs(pw), sa, `|P| = ${num(Math.abs(pw))} W exceeds S = ${num(sa)} VA`, 0));
  }
  if (sa === sa && vi === vi && Math.abs(sa - vi) > vi * relHigh + allowance) {
    out.push(finding('physics', 's-mismatch', 'error', s.names[r * 3 + 1]!, QualityFlag.PHYSICS, sa, vi, `S = ${num(sa)} VA differs from V·I = ${num(vi)} VA`, 0));
  }
  if (pf === pf) {
    const tol = s.par[p + 3]!;
    if (Math.abs(pf) > 1 + tol) {
      out.push(finding('physics', 'pf-out-of-range', 'error', s.names[r * 3 + 2]!, QualityFlag.PHYSICS, pf, 1, `power factor ${num(pf)} outside [-1, 1]`, 0));
    } else {
      const sRef = sa === sa ? sa : vi;
      if (pw === pw && sRef > allowance) {
        const expected = Math.abs(pw) / sRef;
        const allowed = tol + allowance / sRef;
        if (Math.abs(Math.abs(pf) - expected) > allowed) {
          out.push(finding('physics', 'pf-mismatch', 'error', s.names[r * 3 + 2]!, QualityFlag.PHYSICS, pf, expected, `power factor ${num(pf)} but P/S = ${num(expected)}`, 0));
        }
      }
    }
  }
}

function physicsStep(s: PhysicsState, sample: Sample, out: Finding[]): PhysicsState {
  const n = s.ch.length / 6;
  for (let r = 0; r < n; r++) judgePowers(s, r, sample.values, out);
  return s;
}

export function physicsCheck(rules: PhysicsRule[]): Check<PhysicsState> {
  const n = rules.length;
  const s: PhysicsState = { ch: new Int32Array(n * 6), par: new Float64Array(n * 4), names: [] };
  for (let r = 0; r < n; r++) {
    const x = rules[r]!;
    s.ch[r * 6] = x.voltage;
    s.ch[r * 6 + 1] = x.current;
    s.ch[r * 6 + 2] = x.active;
    s.ch[r * 6 + 3] = x.reactive;
    s.ch[r * 6 + 4] = x.apparent;
    s.ch[r * 6 + 5] = x.powerFactor;
    s.par[r * 4] = x.relHigh;
    s.par[r * 4 + 1] = x.absCurrent;
    s.par[r * 4 + 2] = x.ratioMin;
    s.par[r * 4 + 3] = x.pfTolerance;
    s.names.push(x.activeName, x.apparentName, x.powerFactorName);
  }
  return { name: 'physics', lag: 0, state: s, step: physicsStep };
}
