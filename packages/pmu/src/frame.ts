// One entry for any frame: `decodeFrame` dispatches on SYNC's frame type, `encodeFrame` on `kind`; `measurements`
// turns a data frame into engineering units with its configuration (§6.3, Table 5 notes on scaling).
import { codedError } from '@meterchain/core';
import { kindOf, readHead, refuse, type Verdict } from './common.ts';
import { decodeCommand, encodeCommand, type CommandFrame } from './command.ts';
import { decodeConfig12, encodeConfig12, type ConfigFrame } from './config.ts';
import { decodeConfig3, encodeConfig3 } from './config3.ts';
import { decodeData, encodeData, type DataFrame, type Stat } from './data.ts';
import { decodeHeader, encodeHeader, type HeaderFrame } from './header.ts';

export type Frame = DataFrame | ConfigFrame | HeaderFrame | CommandFrame;

/**
 * Decodes one frame (exactly FRAMESIZE bytes). A data frame needs the stream's configuration: without one the verdict
 * says so. Never throws.
 */
export function decodeFrame(bytes: Uint8Array, config?: ConfigFrame): Verdict<Frame> {
  if (!bytes || typeof bytes.length !== 'number' || bytes.length < 2) return refuse('frame shorter than SYNC');
  const kind = kindOf(bytes[1]!);
  if (kind === 'data') {
    if (!config) {
      const head = readHead(bytes);
      return head.ok ? refuse(`data frame from IDCODE ${head.value.head.idcode} before any configuration frame`) : head;
    }
    return decodeData(bytes, config);
  }
  if (kind === 'cfg1' || kind === 'cfg2') return decodeConfig12(bytes);
  if (kind === 'cfg3') return decodeConfig3(bytes);
  if (kind === 'header') return decodeHeader(bytes);
  if (kind === 'command') return decodeCommand(bytes);
  return readHead(bytes) as Verdict<never>;
}

/** Encodes any frame; a data frame needs its configuration. Throws on values the format cannot carry. */
export function encodeFrame(frame: Frame, config?: ConfigFrame): Uint8Array {
  if (frame.kind === 'data') {
    if (!config) throw codedError('PMU_NO_CONFIG', 'a data frame is encoded under a configuration: pass one');
    return encodeData(frame, config);
  }
  if (frame.kind === 'cfg1' || frame.kind === 'cfg2') return encodeConfig12(frame);
  if (frame.kind === 'header') return encodeHeader(frame);
  if (frame.kind === 'command') return encodeCommand(frame);
  return encodeConfig3(frame);
}

/** Timestamp of a frame in seconds since 1970 (SOC + FRACSEC / TIME_BASE). */
export function frameTime(soc: number, fraction: number, timeBase: number): number {
  return soc + fraction / timeBase;
}

export interface PhasorMeasurement {
  name: string;
  unit: 'V' | 'A';
  /** Magnitude in volts or amperes (NaN for a missing value: 0x8000 integers or NaN floats). */
  magnitude: number;
  /** Angle in radians, in (-π, π] for rectangular phasors. */
  angle: number;
}

export interface PmuMeasurement {
  idcode: number;
  station: string;
  stat: Stat;
  phasors: PhasorMeasurement[];
  /** Hz. */
  frequency: number;
  /** Hz/s. */
  rocof: number;
  analogs: { name: string; value: number }[];
  digitals: number[];
}

const MISSING16 = -32768;

/** Data frame values in engineering units, one entry per PMU block. */
export function measurements(frame: DataFrame, config: ConfigFrame): PmuMeasurement[] {
  const out: PmuMeasurement[] = [];
  for (let k = 0; k < frame.pmus.length && k < config.pmus.length; k++) {
    const pmu = config.pmus[k]!;
    const d = frame.pmus[k]!;
    const f = pmu.format;
    const phasors: PhasorMeasurement[] = [];
    for (let i = 0; i < d.phasors.length; i++) {
      const ch = pmu.phasors[i]!;
      const p = d.phasors[i]!;
      let magnitude: number;
      let angle: number;
      if (f.phasorFloat) {
        magnitude = f.polar ? p.x : Math.sqrt(p.x * p.x + p.y * p.y);
        angle = f.polar ? p.y : Math.atan2(p.y, p.x);
      } else if (f.polar) {
        magnitude = p.x * ch.scale;
        angle = p.y === MISSING16 ? NaN : p.y / 1e4;
      } else {
        const missing = p.x === MISSING16 || p.y === MISSING16;
        magnitude = missing ? NaN : Math.sqrt(p.x * p.x + p.y * p.y) * ch.scale;
        angle = missing ? NaN : Math.atan2(p.y, p.x);
      }
      phasors.push({ name: ch.name, unit: ch.unit, magnitude, angle: angle + ch.angleOffset });
    }
    const frequency = f.freqFloat ? d.freq : d.freq === MISSING16 ? NaN : pmu.nominalHz + d.freq / 1000;
    const rocof = f.freqFloat ? d.dfreq : d.dfreq === MISSING16 ? NaN : d.dfreq / 100;
    const analogs: { name: string; value: number }[] = [];
    for (let i = 0; i < d.analogs.length; i++) {
      const ch = pmu.analogs[i]!;
      const v = d.analogs[i]!;
      analogs.push({ name: ch.name, value: f.analogFloat ? v : v * ch.scale + ch.offset });
    }
    out.push({ idcode: pmu.idcode, station: pmu.station, stat: d.stat, phasors, frequency, rocof, analogs, digitals: d.digitals });
  }
  return out;
}
