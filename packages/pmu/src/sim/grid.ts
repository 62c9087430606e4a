// A small grid for the PMU simulator: a few stations on one electrical island, one frequency, angles spread along
// the line, and scripted events — a frequency excursion, an angle step, and a slowly drifting clock as GPS spoofing
// causes (the PMU still says it is locked; only its angle walks away from the others). Pure: time in, values out.
import { roundHalfAway } from '@meterchain/core';
import { GOOD_STAT, LOCKED, type ConfigFrame, type DataFrame, type PmuConfig, type PmuData } from '../index.ts';

export type GridEvent =
  /** Frequency moves by `deltaHz` over `rampSeconds`, holds for `holdSeconds`, and returns over `rampSeconds`. */
  | { kind: 'frequency-excursion'; atSeconds: number; deltaHz: number; rampSeconds: number; holdSeconds: number }
  /** One station's angle jumps by `degrees` (a switching operation, a line trip nearby). */
  | { kind: 'angle-step'; atSeconds: number; station: number; degrees: number }
  /** One station's clock runs off by `microsecondsPerSecond` from `atSeconds` on, still reporting lock. */
  | { kind: 'clock-drift'; atSeconds: number; station: number; microsecondsPerSecond: number };

export interface GridOptions {
  /** Stream IDCODE (the PDC's or the single PMU's). */
  idcode: number;
  /** Stations in the stream (PMU blocks per data frame). */
  stations: number;
  nominalHz: 50 | 60;
  dataRate: number;
  timeBase: number;
  events: GridEvent[];
  /** Angle between neighbouring stations, degrees (power flowing along the line). */
  spreadDegrees: number;
}

export const DEFAULT_GRID: GridOptions = { idcode: 7, stations: 1, nominalHz: 50, dataRate: 50, timeBase: 1_000_000, events: [], spreadDegrees: 4 };

const VOLTAGE = 400_000 / Math.sqrt(3);
const CURRENT = 500;
const DEG = Math.PI / 180;

function station(k: number, nominalHz: 50 | 60, changeCount: number, withCurrent: boolean): PmuConfig {
  const phasor = (name: string, unit: 'V' | 'A', component: number) => ({ name, unit, factor: 0, modification: 0, component, userFlags: 0, scale: 1, angleOffset: 0 });
  const phasors = [phasor('VA', 'V', 4), phasor('VB', 'V', 5), phasor('VC', 'V', 6)];
  if (withCurrent) phasors.push(phasor('I1', 'A', 1));
  let globalId = (k + 1).toString(16);
  while (globalId.length < 32) globalId = '0' + globalId;
  return {
    station: `SIM-PMU-${k + 1}`,
    idcode: 100 + k,
    format: { freqFloat: true, analogFloat: true, phasorFloat: true, polar: true },
    phasors,
    analogs: [],
    digitals: [],
    nominalHz,
    changeCount,
    globalId,
    latitude: Math.fround(52 + k / 10),
    longitude: Math.fround(13 + k / 10),
    elevation: 40,
    serviceClass: 'P',
    window: 40_000,
    groupDelay: 20_000,
  };
}

/** The configuration the simulator sends: `revision` 0 has a current phasor per station, odd revisions drop it. */
export function gridConfig(options: GridOptions, kind: 'cfg1' | 'cfg2' | 'cfg3', revision: number, soc: number): ConfigFrame {
  const pmus: PmuConfig[] = [];
  for (let k = 0; k < options.stations; k++) pmus.push(station(k, options.nominalHz, revision, revision % 2 === 0));
  return { kind, version: 2, idcode: options.idcode, soc, fraction: 0, timeQuality: LOCKED, continuation: 0, timeBase: options.timeBase, pmus, dataRate: options.dataRate };
}

/** Frequency deviation (Hz) and its rate of change (Hz/s) at `t` seconds after start. */
export function frequencyAt(options: GridOptions, t: number): { deviation: number; rocof: number } {
  let deviation = 0;
  let rocof = 0;
  for (const e of options.events) {
    if (e.kind !== 'frequency-excursion' || t < e.atSeconds) continue;
    const s = t - e.atSeconds;
    const r = e.rampSeconds;
    if (s < r) {
      deviation += (e.deltaHz * s) / r;
      rocof += e.deltaHz / r;
    } else if (s < r + e.holdSeconds) deviation += e.deltaHz;
    else if (s < 2 * r + e.holdSeconds) {
      deviation += e.deltaHz * (1 - (s - r - e.holdSeconds) / r);
      rocof -= e.deltaHz / r;
    }
  }
  return { deviation, rocof };
}

/** ∫ deviation dt from 0 to t (Hz·s), in closed form so angles do not accumulate rounding over hours. */
function phaseTurns(options: GridOptions, t: number): number {
  let turns = 0;
  for (const e of options.events) {
    if (e.kind !== 'frequency-excursion' || t < e.atSeconds) continue;
    const s = t - e.atSeconds;
    const r = e.rampSeconds;
    const h = e.holdSeconds;
    const ramp = Math.min(s, r);
    turns += (e.deltaHz * ramp * ramp) / (2 * r);
    if (s > r) turns += e.deltaHz * Math.min(s - r, h);
    if (s > r + h) {
      const d = Math.min(s - r - h, r);
      turns += e.deltaHz * (d - (d * d) / (2 * r));
    }
  }
  return turns;
}

/** Angle of station `k` at `t` (rad), as its own (possibly drifting) clock makes it report. */
export function stationAngle(options: GridOptions, k: number, t: number): number {
  const f = options.nominalHz + frequencyAt(options, t).deviation;
  let angle = 2 * Math.PI * phaseTurns(options, t) - k * options.spreadDegrees * DEG;
  for (const e of options.events) {
    if (e.kind === 'angle-step' && e.station === k && t >= e.atSeconds) angle += e.degrees * DEG;
    // A clock ahead by ε samples the wave ε later: the reported phase leads by 2π f ε.
    if (e.kind === 'clock-drift' && e.station === k && t >= e.atSeconds) angle += 2 * Math.PI * f * (e.microsecondsPerSecond * 1e-6) * (t - e.atSeconds);
  }
  return Math.atan2(Math.sin(angle), Math.cos(angle));
}

/** FRACSEC count of frame `index` (frame 0 at a whole second). */
export function frameFraction(options: GridOptions, index: number): { soc: number; fraction: number } {
  const perSecond = options.dataRate > 0 ? options.dataRate : 1;
  const secondsPerFrame = options.dataRate > 0 ? 0 : -options.dataRate;
  if (secondsPerFrame > 0) return { soc: index * secondsPerFrame, fraction: 0 };
  const whole = Math.floor(index / perSecond);
  return { soc: whole, fraction: roundHalfAway(((index - whole * perSecond) * options.timeBase) / perSecond) };
}

/** Data frame number `index` of a stream whose frame 0 is at `startSoc`, under `config`. */
export function gridFrame(options: GridOptions, config: ConfigFrame, startSoc: number, index: number, announceChange: boolean): DataFrame {
  const at = frameFraction(options, index);
  const t = at.soc + at.fraction / options.timeBase;
  const freq = frequencyAt(options, t);
  const pmus: PmuData[] = [];
  for (let k = 0; k < config.pmus.length; k++) {
    const angle = stationAngle(options, k, t);
    const phasors = [
      { x: Math.fround(VOLTAGE), y: Math.fround(angle) },
      { x: Math.fround(VOLTAGE), y: Math.fround(wrap(angle - 120 * DEG)) },
      { x: Math.fround(VOLTAGE), y: Math.fround(wrap(angle + 120 * DEG)) },
    ];
    if (config.pmus[k]!.phasors.length > 3) phasors.push({ x: Math.fround(CURRENT), y: Math.fround(wrap(angle - 10 * DEG)) });
    pmus.push({ stat: announceChange ? { ...GOOD_STAT, configChange: true } : GOOD_STAT, phasors, freq: Math.fround(options.nominalHz + freq.deviation), dfreq: Math.fround(freq.rocof), analogs: [], digitals: [] });
  }
  return { kind: 'data', version: 2, idcode: options.idcode, soc: startSoc + at.soc, fraction: at.fraction, timeQuality: LOCKED, pmus };
}

function wrap(a: number): number {
  return Math.atan2(Math.sin(a), Math.cos(a));
}
