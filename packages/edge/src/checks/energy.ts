// Energy registers: they only count up. A drop from near the register's capacity to near zero is a rollover
// (recognised, informational); any other drop is a rollback; an advance beyond what the meter's maximum power could
// deliver in the elapsed time is a jump.
import { QualityFlag } from '@meterchain/core';
import { finding, num, type Check, type Finding, type Sample } from '../types.ts';

export interface EnergyRule {
  channel: number;
  name: string;
  /** The register wraps to 0 at this value, Wh (e.g. 10^8 Wh for a 99999.999 kWh display); 0 if it never wraps. */
  modulus: number;
  /** Largest power the metering point can carry, W (rated voltage × maximum current). */
  maxPower: number;
  /** Register resolution, Wh: changes within it are not judged. */
  resolution: number;
}

export interface EnergyState {
  channel: Int32Array;
  par: Float64Array; // per rule: modulus, maxPower, resolution
  last: Float64Array; // per rule: last value, its timestamp (NaN before the first)
  names: string[];
}

function energyStep(s: EnergyState, sample: Sample, out: Finding[]): EnergyState {
  const v = sample.values;
  for (let i = 0; i < s.channel.length; i++) {
    const e = v[s.channel[i]!]!;
    if (e !== e) continue;
    const prev = s.last[i * 2]!;
    const dtHours = (sample.t - s.last[i * 2 + 1]!) / 3600000;
    s.last[i * 2] = e;
    s.last[i * 2 + 1] = sample.t;
    if (prev !== prev) continue;
    const modulus = s.par[i * 3]!;
    const resolution = s.par[i * 3 + 2]!;
    // Most the register can advance: full power over the elapsed time, plus one count of resolution.
    const maxAdvance = s.par[i * 3 + 1]! * Math.max(dtHours, 0) + resolution;
    const d = e - prev;
    if (d < -resolution) {
      const wrapped = d + modulus;
      if (modulus > 0 && wrapped >= 0 && wrapped <= maxAdvance) {
        out.push(finding('energy-rollover', 'rollover', 'info', s.names[i]!, QualityFlag.ENERGY_ROLLOVER, e, prev, `register rolled over from ${num(prev)} to ${num(e)} Wh (advance ${num(wrapped)} Wh)`, 0));
      } else {
        out.push(finding('energy-rollback', 'rollback', 'error', s.names[i]!, QualityFlag.ENERGY_ROLLBACK, e, prev, `register went back from ${num(prev)} to ${num(e)} Wh`, 0));
      }
    } else if (d > maxAdvance && dtHours > 0) {
      out.push(finding('energy-jump', 'jump', 'warning', s.names[i]!, QualityFlag.ENERGY_JUMP, d, maxAdvance, `register advanced ${num(d)} Wh, more than ${num(maxAdvance)} Wh possible in ${num(dtHours * 3600)} s`, 0));
    }
  }
  return s;
}

export function energyCheck(rules: EnergyRule[]): Check<EnergyState> {
  const n = rules.length;
  const s: EnergyState = { channel: new Int32Array(n), par: new Float64Array(n * 3), last: new Float64Array(n * 2), names: [] };
  s.last.fill(NaN);
  for (let i = 0; i < n; i++) {
    const r = rules[i]!;
    s.channel[i] = r.channel;
    s.par[i * 3] = r.modulus;
    s.par[i * 3 + 1] = r.maxPower;
    s.par[i * 3 + 2] = r.resolution;
    s.names.push(r.name);
  }
  return { name: 'energy', lag: 0, state: s, step: energyStep };
}
