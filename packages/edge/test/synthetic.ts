// Seeded synthetic recordings for the device kinds the real data does not cover: a three-phase meter at 1 sample/s
// and a PMU at 50 frames/s. Clean by construction (physics, sums and ROCOF consistent), with realistic noise.
import { xorshift32 } from '@meterchain/core';
import { emptyRecording, type Recording } from '@meterchain/edge';

function gaussian(rand: () => number): number {
  return Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand());
}

function round(x: number, step: number): number {
  return Math.round(x / step) * step;
}

export const THREE_PHASE_CHANNELS = [
  'voltageL1', 'voltageL2', 'voltageL3', 'currentL1', 'currentL2', 'currentL3',
  'activePowerL1', 'activePowerL2', 'activePowerL3', 'reactivePowerL1', 'reactivePowerL2', 'reactivePowerL3',
  'activePower', 'reactivePower', 'frequency', 'energyImport', 'energyExport',
];

/** A three-phase meter at 1 sample/s: per phase a base load of 2-6 A plus appliances switching on and off, supply
 * voltage wandering around 230 V, 32-bit sequence numbers that wrap during the recording. */
export function threePhaseRecording(seed: number, length: number): Recording {
  const rand = xorshift32(seed);
  const rec = emptyRecording(THREE_PHASE_CHANNELS, length);
  const nch = THREE_PHASE_CHANNELS.length;
  const volts = [230, 231, 229];
  const baseP = [600 + 800 * rand(), 600 + 800 * rand(), 600 + 800 * rand()];
  const extraP = [0, 0, 0];
  const extraPf = [1, 1, 1];
  let frequency = 50;
  let imported = 5e7;
  const exported = 1234567;
  for (let i = 0; i < length; i++) {
    const row = i * nch;
    rec.t[i] = 1.7e12 + i * 1000;
    rec.seq[i] = (4294967296 - 3000 + i) % 4294967296;
    let totalP = 0;
    let totalQ = 0;
    for (let k = 0; k < 3; k++) {
      volts[k] = volts[k]! + 0.05 * gaussian(rand) + (230 - volts[k]!) * 0.01;
      if (rand() < 0.002) {
        extraP[k] = extraP[k]! > 0 ? 0 : 500 + 2500 * rand();
        extraPf[k] = 0.6 + 0.4 * rand();
      }
      const v = round(volts[k]! + 0.15 * gaussian(rand), 0.1);
      const p = baseP[k]! * (1 + 0.02 * gaussian(rand)) + extraP[k]!;
      const q = 0.2 * baseP[k]! + (extraP[k]! * Math.sqrt(1 - extraPf[k]! * extraPf[k]!)) / extraPf[k]!;
      const pr = round(p, 1);
      const qr = round(q, 1);
      rec.values[row + k] = v;
      rec.values[row + 3 + k] = round((Math.sqrt(p * p + q * q) / v) * (1 + 0.03 * rand()), 0.01);
      rec.values[row + 6 + k] = pr;
      rec.values[row + 9 + k] = qr;
      totalP += pr;
      totalQ += qr;
    }
    rec.values[row + 12] = totalP;
    rec.values[row + 13] = totalQ;
    frequency += 0.001 * gaussian(rand) + (50 - frequency) * 0.01;
    rec.values[row + 14] = round(frequency, 0.001);
    imported += totalP / 3600;
    rec.values[row + 15] = Math.floor(imported);
    rec.values[row + 16] = exported;
  }
  return rec;
}

export const PMU_CHANNELS = ['voltage', 'current', 'frequency', 'rocof'];

/** A PMU at 50 frames/s: frequency wandering around 50 Hz with ramps of up to ±0.2 Hz/s lasting 1-3 s, reported
 * ROCOF the derivative of the frequency plus noise, voltage and current with load steps. */
export function pmuRecording(seed: number, length: number): Recording {
  const rand = xorshift32(seed);
  const rec = emptyRecording(PMU_CHANNELS, length);
  const dt = 0.02;
  let f = 50;
  let ramp = 0;
  let rampLeft = 0;
  let current = 40;
  let volts = 231;
  for (let i = 0; i < length; i++) {
    rec.t[i] = 1.7e12 + i * 20;
    if (rampLeft <= 0 && rand() < 0.002) {
      ramp = (rand() - 0.5) * 0.4;
      rampLeft = 50 + Math.floor(rand() * 100);
    }
    // Ramps pull back towards 50 Hz so the frequency stays inside the normal band.
    const r = (rampLeft > 0 ? ramp : 0) + (50 - f) * 1.0 + 0.02 * gaussian(rand);
    rampLeft--;
    f += r * dt;
    if (rand() < 0.001) current = 20 + 60 * rand();
    volts += 0.02 * gaussian(rand) + (231 - volts) * 0.01;
    rec.values[i * 4] = round(volts + 0.05 * gaussian(rand), 0.01);
    rec.values[i * 4 + 1] = round(current + 0.05 * gaussian(rand), 0.01);
    rec.values[i * 4 + 2] = f + 0.0005 * gaussian(rand);
    rec.values[i * 4 + 3] = r + 0.01 * gaussian(rand);
  }
  return rec;
}
