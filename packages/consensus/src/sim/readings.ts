// Readings of simulated three-phase meters: a daily load curve with noise, an energy register that integrates the
// power, voltage near 230 V and frequency near 50 Hz, as fixed-point channels with OBIS codes.
import { ClockStatus, type Reading } from '@meterchain/core';
import type { Rng } from './rng.ts';

export interface MeterModel {
  /** Mean load in watts. */
  baseW: number;
  /** Energy register in Wh at the start. */
  energyWh: number;
  seq: number;
}

export function newMeterModel(rng: Rng): MeterModel {
  return { baseW: rng.int(300, 4000), energyWh: rng.int(1000000, 50000000), seq: rng.int(0, 1000) };
}

/** The next honest reading of a meter at `ts` (ms), advancing its register by the power over `intervalMs`. */
export function nextReading(model: MeterModel, rng: Rng, cluster: string, meter: Uint8Array, ts: number, intervalMs: number): Reading {
  const hour = (ts / 3600000) % 24;
  const curve = 0.6 + 0.4 * Math.sin(((hour - 6) / 24) * 2 * Math.PI);
  const power = Math.max(0, Math.round(model.baseW * curve + rng.int(-50, 50)));
  model.energyWh += Math.round((power * intervalMs) / 3600000) + 1;
  model.seq += 1;
  return {
    v: 1,
    cluster,
    meter,
    seq: model.seq,
    ts,
    clock: ClockStatus.SYNCED,
    channels: [
      { id: '1-0:32.7.0', unit: 'V', scale: -1, value: 2300 + rng.int(-60, 60) },
      { id: '1-0:52.7.0', unit: 'V', scale: -1, value: 2300 + rng.int(-60, 60) },
      { id: '1-0:72.7.0', unit: 'V', scale: -1, value: 2300 + rng.int(-60, 60) },
      { id: '1-0:16.7.0', unit: 'W', scale: 0, value: power },
      { id: '1-0:1.8.0', unit: 'Wh', scale: 0, value: model.energyWh },
      { id: '1-0:14.7.0', unit: 'Hz', scale: -3, value: 50000 + rng.int(-30, 30) },
    ],
    quality: 0,
  };
}

/** A forged reading: the same shape with values no honest meter gives (a phase voltage of 460 V or 69 V, a
 * frequency of 70 Hz), so honest judges can tell without any history. */
export function forgeReading(r: Reading, variant: number): Reading {
  const channels = r.channels.map((c) => ({ ...c }));
  if (variant % 3 === 0) channels[0]!.value = 4600;
  else if (variant % 3 === 1) channels[1]!.value = 690;
  else channels[5]!.value = 70000;
  return { ...r, channels };
}
