// A fixed two-PMU stream (a PDC's): 16-bit polar phasors for one PMU, float rectangular for the other.
import { crcCcitt } from '@meterchain/core';
import { GOOD_STAT, LOCKED, type ConfigFrame, type DataFrame, type PmuConfig } from '../../src/index.ts';

const cfg3Defaults = { globalId: '00112233445566778899aabbccddeeff', latitude: Math.fround(52.5), longitude: Math.fround(13.25), elevation: 34, serviceClass: 'M' as const, window: 20000, groupDelay: 10000 };

export function stationA(): PmuConfig {
  return {
    station: 'SUB-A 400kV',
    idcode: 11,
    format: { freqFloat: false, analogFloat: false, phasorFloat: false, polar: true },
    phasors: [
      { name: 'VA', unit: 'V', factor: 915527, modification: 0, component: 4, userFlags: 0, scale: 9.15527, angleOffset: 0 },
      { name: 'IA', unit: 'A', factor: 45776, modification: 0, component: 4, userFlags: 0, scale: 0.45776, angleOffset: 0 },
    ],
    analogs: [{ name: 'MW', kind: 1, factor: 100, scale: 100, offset: 0 }],
    digitals: [{ names: ['BRK1', 'BRK2', '', '', '', '', '', '', '', '', '', '', '', '', '', 'ALARM'], normal: 0, valid: 0xffff }],
    nominalHz: 50,
    changeCount: 3,
    ...cfg3Defaults,
  };
}

export function stationB(): PmuConfig {
  return {
    station: 'SUB-B 220kV',
    idcode: 12,
    format: { freqFloat: true, analogFloat: true, phasorFloat: true, polar: false },
    phasors: [{ name: 'V1', unit: 'V', factor: 1, modification: 0, component: 1, userFlags: 0, scale: 1, angleOffset: 0 }],
    analogs: [],
    digitals: [],
    nominalHz: 50,
    changeCount: 1,
    ...cfg3Defaults,
  };
}

export function config(kind: 'cfg1' | 'cfg2' | 'cfg3' = 'cfg2'): ConfigFrame {
  return { kind, version: 2, idcode: 7, soc: 1_700_000_000, fraction: 0, timeQuality: LOCKED, continuation: 0, timeBase: 1_000_000, pmus: [stationA(), stationB()], dataRate: 50 };
}

export function data(fraction = 20_000): DataFrame {
  return {
    kind: 'data',
    version: 2,
    idcode: 7,
    soc: 1_700_000_000,
    fraction,
    timeQuality: LOCKED,
    pmus: [
      { stat: GOOD_STAT, phasors: [{ x: 25_000, y: 5236 }, { x: 2000, y: 4000 }], freq: -20, dfreq: 3, analogs: [123], digitals: [0x8001] },
      { stat: GOOD_STAT, phasors: [{ x: Math.fround(127_000.5), y: Math.fround(-3_000.25) }], freq: Math.fround(49.98), dfreq: Math.fround(0.03), analogs: [], digitals: [] },
    ],
  };
}

/** Recomputes CHK after a mutation, so the mutated field (not the CRC) is what the decoder meets. */
export function rechecked(bytes: Uint8Array): Uint8Array {
  const out = bytes.slice();
  const crc = crcCcitt(out, 0, out.length - 2);
  out[out.length - 2] = crc >> 8;
  out[out.length - 1] = crc & 0xff;
  return out;
}

/** Sets FRAMESIZE to the array's length and recomputes CHK. */
export function resized(bytes: Uint8Array): Uint8Array {
  const out = bytes.slice();
  out[2] = out.length >> 8;
  out[3] = out.length & 0xff;
  return rechecked(out);
}
