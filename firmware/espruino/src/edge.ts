// The edge checks that matter on a meter read by a sensor node, taken one by one from @meterchain/edge (the whole
// pipeline and its profiles do not fit a Puck.js heap): energy registers only count up (a register that went back is
// ENERGY_ROLLBACK, which the cluster's judges refuse; one that advanced more than the meter's maximum power allows is
// ENERGY_JUMP), and phase voltages and frequency stay within EN 50160's bands (OUT_OF_LIMITS, which informs).
import { fromFixed, type Channel } from '@meterchain/core';
import { energyCheck, limitsCheck, type Finding, type Sample } from '@meterchain/edge/checks';

/** The channels judged, in the order of the sample's values. */
const JUDGED = ['1-0:1.8.0', '1-0:2.8.0', '1-0:32.7.0', '1-0:52.7.0', '1-0:72.7.0', '1-0:14.7.0'];
/** A direct-connected three-phase meter: 3 × 230 V × 100 A. */
const MAX_POWER_W = 69000;
/** Eastron energy registers count 0.01 kWh. */
const ENERGY_RESOLUTION_WH = 10;

export interface MeterEdge {
  /** Judges one sample taken at `t` (ms); returns the quality flags its findings set, and the findings. */
  step: (t: number, channels: Channel[]) => { quality: number; findings: Finding[] };
}

export function createMeterEdge(): MeterEdge {
  const energy = energyCheck([
    { channel: 0, name: JUDGED[0]!, modulus: 0, maxPower: MAX_POWER_W, resolution: ENERGY_RESOLUTION_WH },
    { channel: 1, name: JUDGED[1]!, modulus: 0, maxPower: MAX_POWER_W, resolution: ENERGY_RESOLUTION_WH },
  ]);
  // 230 V ± 10 % and 50 Hz ± 1 % (EN 50160), written as integers and exact divisions (gate rule decimal-literal).
  const limits = limitsCheck([
    { channel: 2, name: JUDGED[2]!, min: 207, max: 253 },
    { channel: 3, name: JUDGED[3]!, min: 207, max: 253 },
    { channel: 4, name: JUDGED[4]!, min: 207, max: 253 },
    { channel: 5, name: JUDGED[5]!, min: 495 / 10, max: 505 / 10 },
  ]);
  const values = new Float64Array(JUDGED.length);
  const sample: Sample = { t: 0, seq: -1, clock: 1, values };

  function step(t: number, channels: Channel[]): { quality: number; findings: Finding[] } {
    for (let i = 0; i < values.length; i++) values[i] = NaN;
    for (let i = 0; i < channels.length; i++) {
      const at = JUDGED.indexOf(channels[i]!.id);
      if (at >= 0) values[at] = fromFixed(channels[i]!.value, channels[i]!.scale);
    }
    sample.t = t;
    const findings: Finding[] = [];
    energy.state = energy.step(energy.state, sample, findings);
    limits.state = limits.step(limits.state, sample, findings);
    let quality = 0;
    for (let i = 0; i < findings.length; i++) quality |= findings[i]!.flag;
    return { quality, findings };
  }

  return { step };
}
