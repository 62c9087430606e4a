// Random configurations and frames for property tests, from a seed (core's mulberry32): a failing seed replays.
import { mulberry32 } from '@meterchain/core';
import { LOCKED, type ConfigFrame, type DataFrame, type PmuConfig, type PmuData, type PhasorWord } from '../../src/index.ts';

export type Rand = () => number;

export function int(rand: Rand, min: number, max: number): number {
  return min + Math.floor(rand() * (max - min + 1));
}

function name(rand: Rand, max: number): string {
  const n = int(rand, 0, max);
  let s = '';
  // Printable ASCII but no trailing space (padding is stripped on decode).
  for (let i = 0; i < n; i++) s += String.fromCharCode(int(rand, 0x21, 0x7e));
  return s;
}

function f32(x: number): number {
  return Math.fround(x);
}

export function randomPmu(rand: Rand, cfg3: boolean): PmuConfig {
  const format = { freqFloat: rand() < 0.5, analogFloat: rand() < 0.5, phasorFloat: rand() < 0.5, polar: rand() < 0.5 };
  const max = cfg3 ? 40 : 16;
  const phasors = [];
  for (let i = int(rand, 0, 6); i > 0; i--) {
    const factor = int(rand, 0, 0xffffff);
    phasors.push({ name: name(rand, max), unit: rand() < 0.5 ? ('A' as const) : ('V' as const), factor: cfg3 ? 0 : factor, modification: cfg3 ? int(rand, 0, 0xffff) : 0, component: cfg3 ? [0, 1, 2, 4, 5, 6][int(rand, 0, 5)]! : 0, userFlags: cfg3 ? int(rand, 0, 255) : 0, scale: cfg3 ? f32(rand() * 10) : factor * 1e-5, angleOffset: cfg3 ? f32(rand() - 0.5) : 0 });
  }
  const analogs = [];
  for (let i = int(rand, 0, 3); i > 0; i--) {
    const factor = int(rand, -0x800000, 0x7fffff);
    analogs.push({ name: name(rand, max), kind: cfg3 ? 0 : int(rand, 0, 2), factor: cfg3 ? 0 : factor, scale: cfg3 ? f32(rand() * 100) : factor, offset: cfg3 ? f32(rand() * 10 - 5) : 0 });
  }
  const digitals = [];
  for (let i = int(rand, 0, 2); i > 0; i--) {
    const names: string[] = [];
    for (let b = 0; b < 16; b++) names.push(name(rand, cfg3 ? 12 : 16));
    digitals.push({ names, normal: int(rand, 0, 0xffff), valid: int(rand, 0, 0xffff) });
  }
  let globalId = '';
  for (let i = 0; i < 32; i++) globalId += '0123456789abcdef'[int(rand, 0, 15)];
  return {
    station: name(rand, cfg3 ? 60 : 16),
    idcode: int(rand, 0, 0xffff),
    format,
    phasors,
    analogs,
    digitals,
    nominalHz: rand() < 0.5 ? 50 : 60,
    changeCount: int(rand, 0, 0xffff),
    globalId: cfg3 ? globalId : '00000000000000000000000000000000',
    latitude: cfg3 ? f32(rand() * 180 - 90) : NaN,
    longitude: cfg3 ? f32(rand() * 360 - 180) : NaN,
    elevation: cfg3 ? f32(rand() * 3000) : NaN,
    serviceClass: cfg3 && rand() < 0.5 ? 'P' : 'M',
    window: cfg3 ? int(rand, -0x80000000, 0x7fffffff) : 0,
    groupDelay: cfg3 ? int(rand, -0x80000000, 0x7fffffff) : 0,
  };
}

export function randomConfig(rand: Rand, kind: 'cfg1' | 'cfg2' | 'cfg3'): ConfigFrame {
  const pmus = [];
  for (let i = int(rand, 1, 4); i > 0; i--) pmus.push(randomPmu(rand, kind === 'cfg3'));
  const timeBase = [1000, 1000000, 0xffffff, int(rand, 1, 0xffffff)][int(rand, 0, 3)]!;
  const rates = [10, 25, 30, 50, 60, 100, 120, -5, int(rand, -32768, 32767) || 1];
  return {
    kind,
    version: kind === 'cfg3' ? 2 : int(rand, 1, 2),
    idcode: int(rand, 0, 0xffff),
    soc: int(rand, 0, 0xffffffff),
    fraction: int(rand, 0, timeBase - 1),
    timeQuality: { leapSecondNegative: rand() < 0.2, leapSecondOccurred: rand() < 0.2, leapSecondPending: rand() < 0.2, code: [0, 0, 1, 5, 10, 11, 15][int(rand, 0, 6)]! },
    continuation: 0,
    timeBase,
    pmus,
    dataRate: rates[int(rand, 0, rates.length - 1)]!,
  };
}

export function randomData(rand: Rand, config: ConfigFrame): DataFrame {
  const pmus: PmuData[] = [];
  for (const pmu of config.pmus) {
    const f = pmu.format;
    const phasors: PhasorWord[] = [];
    for (let i = 0; i < pmu.phasors.length; i++) {
      if (f.phasorFloat) phasors.push({ x: f32((rand() - 0.5) * 1e5), y: f32(f.polar ? (rand() - 0.5) * 2 * Math.PI : (rand() - 0.5) * 1e5) });
      else if (f.polar) phasors.push({ x: int(rand, 0, 0xffff), y: int(rand, -31416, 31416) });
      else phasors.push({ x: int(rand, -32768, 32767), y: int(rand, -32768, 32767) });
    }
    const analogs: number[] = [];
    for (let i = 0; i < pmu.analogs.length; i++) analogs.push(f.analogFloat ? f32((rand() - 0.5) * 1e6) : int(rand, -32768, 32767));
    const digitals: number[] = [];
    for (let i = 0; i < pmu.digitals.length; i++) digitals.push(int(rand, 0, 0xffff));
    const word = int(rand, 0, 0xffff);
    pmus.push({
      stat: { dataError: word >> 14, notSynchronized: (word & 0x2000) !== 0, sortedByArrival: (word & 0x1000) !== 0, trigger: (word & 0x800) !== 0, configChange: (word & 0x400) !== 0, dataModified: (word & 0x200) !== 0, timeQuality: (word >> 6) & 7, unlockedTime: (word >> 4) & 3, triggerReason: word & 15 },
      phasors,
      freq: f.freqFloat ? f32(pmu.nominalHz + (rand() - 0.5)) : int(rand, -32768, 32767),
      dfreq: f.freqFloat ? f32(rand() - 0.5) : int(rand, -32768, 32767),
      analogs,
      digitals,
    });
  }
  return { kind: 'data', version: config.version, idcode: config.idcode, soc: int(rand, 0, 0xffffffff), fraction: int(rand, 0, config.timeBase - 1), timeQuality: LOCKED, pmus };
}

export function seeded(seed: number): Rand {
  return mulberry32(seed);
}
