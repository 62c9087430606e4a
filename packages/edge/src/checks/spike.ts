// Isolated spikes that the neighbours do not explain: one sample far from both the sample before and the sample
// after, which agree with each other. A neighbour in time (the level returns) and a neighbour channel (current and
// power moving together is a load switching on and off, not a fault) can explain it. Needs the next sample: lag 1.
import { QualityFlag } from '@meterchain/core';
import { finding, num, type Check, type Finding, type Sample } from '../types.ts';

export interface SpikeRule {
  channel: number;
  name: string;
  /** The smallest spike, channel units; also the floor of the level used for relative sizes. */
  abs: number;
  /** The smallest spike relative to the neighbours' level (0.5 = half of it); the larger of abs and rel wins. */
  rel: number;
  /** A channel that moves with this one when the change is genuine (current for power, power for current); -1. */
  companion: number;
  companionName: string;
  /** Floor of the companion's level for its relative change, companion units. */
  companionFloor: number;
  /** The companion explains the spike when its relative change, in the same direction, is at least this fraction
   * of the channel's own. */
  companionRatio: number;
}

export interface SpikeState {
  channel: Int32Array;
  companion: Int32Array;
  par: Float64Array; // per rule: abs, rel, companionFloor, companionRatio
  hist: Float64Array; // per rule: x[k-2], x[k-1], c[k-2], c[k-1]
  names: string[];
}

function explainedByCompanion(dev: number, level: number, floor: number, ca: number, cm: number, cb: number, cFloor: number, ratio: number): boolean {
  // The companion moved the same way by at least `ratio` as much, relative to each one's own level.
  const cDev = cm - (ca + cb) / 2;
  const rx = dev / Math.max(Math.abs(level), floor);
  const rc = cDev / Math.max(Math.abs((ca + cb) / 2), cFloor);
  return rx * rc > 0 && Math.abs(rc) >= ratio * Math.abs(rx);
}

function spikeStep(s: SpikeState, sample: Sample, out: Finding[]): SpikeState {
  const v = sample.values;
  for (let i = 0; i < s.channel.length; i++) {
    const h = i * 4;
    const a = s.hist[h]!;
    const m = s.hist[h + 1]!;
    const b = v[s.channel[i]!]!;
    const c = s.companion[i]!;
    const cb = c >= 0 ? v[c]! : NaN;
    const d1 = m - a;
    const d2 = m - b;
    // NaN anywhere makes d1 * d2 NaN and the test false: a missing neighbour judges nothing.
    if (d1 * d2 > 0) {
      const dev = Math.abs(d1) < Math.abs(d2) ? d1 : d2;
      const level = (a + b) / 2;
      const p = i * 4;
      const threshold = Math.max(s.par[p]!, s.par[p + 1]! * Math.abs(level));
      if (Math.abs(dev) > threshold && Math.abs(b - a) < Math.abs(dev)) {
        const explained = c >= 0 && explainedByCompanion(dev, level, s.par[p]!, s.hist[h + 2]!, s.hist[h + 3]!, cb, s.par[p + 2]!, s.par[p + 3]!);
        if (!explained) {
          out.push(finding('spike', 'isolated', 'error', s.names[i]!, QualityFlag.SPIKE, m, threshold, `isolated spike ${num(m)} between ${num(a)} and ${num(b)} (threshold ${num(threshold)})`, 1));
        }
      }
    }
    s.hist[h] = m;
    s.hist[h + 1] = b;
    s.hist[h + 2] = s.hist[h + 3]!;
    s.hist[h + 3] = cb;
  }
  return s;
}

export function spikeCheck(rules: SpikeRule[]): Check<SpikeState> {
  const n = rules.length;
  const s: SpikeState = { channel: new Int32Array(n), companion: new Int32Array(n), par: new Float64Array(n * 4), hist: new Float64Array(n * 4), names: [] };
  s.hist.fill(NaN);
  for (let i = 0; i < n; i++) {
    const r = rules[i]!;
    s.channel[i] = r.channel;
    s.companion[i] = r.companion;
    s.par[i * 4] = r.abs;
    s.par[i * 4 + 1] = r.rel;
    s.par[i * 4 + 2] = r.companionFloor;
    s.par[i * 4 + 3] = r.companionRatio;
    s.names.push(r.name);
  }
  return { name: 'spike', lag: 1, state: s, step: spikeStep };
}
