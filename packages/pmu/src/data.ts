// IEEE C37.118.2-2011 §6.3: the data frame (Table 5) and its STAT word (Table 6). A data frame is meaningful only with
// the configuration it was sent under: the decoder takes it and checks the frame against it, PMU by PMU.
import { codedError } from '@meterchain/core';
import { finishFrame, readHead, refuse, startFrame, trailing, type FrameHead, type Verdict } from './common.ts';
import type { ConfigFrame, PmuConfig } from './config.ts';

/** STAT (Table 6), all 16 bits. */
export interface Stat {
  /** Bits 15-14: 0 good, 1 PMU error (no information about data), 2 PMU in test mode, 3 PMU error (data invalid). */
  dataError: number;
  /** Bit 13: the PMU has lost time synchronization. */
  notSynchronized: boolean;
  /** Bit 12: data sorted by arrival rather than by timestamp (a PDC's block). */
  sortedByArrival: boolean;
  /** Bit 11: a trigger was detected. */
  trigger: boolean;
  /** Bit 10: the configuration will change within a minute (set until the new CFG is in force). */
  configChange: boolean;
  /** Bit 9: data modified by a post-processing step. */
  dataModified: boolean;
  /** Bits 8-6: PMU time quality: 0 not used, 1 < 100 ns … 6 < 10 ms, 7 ≥ 10 ms or unknown. */
  timeQuality: number;
  /** Bits 5-4: time since sync lost: 0 locked or < 10 s, 1 < 100 s, 2 < 1000 s, 3 ≥ 1000 s. */
  unlockedTime: number;
  /** Bits 3-0: trigger reason (0 manual, 1 magnitude low, 2 high, 3 phase-angle diff, 4 freq, 5 df/dt, 7 digital). */
  triggerReason: number;
}

export const GOOD_STAT: Stat = { dataError: 0, notSynchronized: false, sortedByArrival: false, trigger: false, configChange: false, dataModified: false, timeQuality: 0, unlockedTime: 0, triggerReason: 0 };

export function encodeStat(s: Stat): number {
  return ((s.dataError & 3) << 14) | (s.notSynchronized ? 0x2000 : 0) | (s.sortedByArrival ? 0x1000 : 0) | (s.trigger ? 0x800 : 0) | (s.configChange ? 0x400 : 0) | (s.dataModified ? 0x200 : 0) | ((s.timeQuality & 7) << 6) | ((s.unlockedTime & 3) << 4) | (s.triggerReason & 0xf);
}

export function decodeStat(word: number): Stat {
  return { dataError: (word >> 14) & 3, notSynchronized: (word & 0x2000) !== 0, sortedByArrival: (word & 0x1000) !== 0, trigger: (word & 0x800) !== 0, configChange: (word & 0x400) !== 0, dataModified: (word & 0x200) !== 0, timeQuality: (word >> 6) & 7, unlockedTime: (word >> 4) & 3, triggerReason: word & 0xf };
}

/**
 * One phasor as on the wire: rectangular (x real, y imaginary) or polar (x magnitude, y angle); 16-bit integers
 * (polar angle in 10^-4 rad) or float32 (polar angle in rad), as the PMU's FORMAT says.
 */
export interface PhasorWord {
  x: number;
  y: number;
}

/** One PMU's block of a data frame, values as on the wire (see `measurements` for engineering units). */
export interface PmuData {
  stat: Stat;
  phasors: PhasorWord[];
  /** 16-bit: deviation from nominal in mHz; float: frequency in Hz. */
  freq: number;
  /** 16-bit: ROCOF × 100 in Hz/s; float: ROCOF in Hz/s. */
  dfreq: number;
  analogs: number[];
  digitals: number[];
}

export interface DataFrame extends FrameHead {
  kind: 'data';
  pmus: PmuData[];
}

/** Bytes of one PMU's block under its configuration. */
export function blockLength(pmu: PmuConfig): number {
  return 2 + pmu.phasors.length * (pmu.format.phasorFloat ? 8 : 4) + (pmu.format.freqFloat ? 8 : 4) + pmu.analogs.length * (pmu.format.analogFloat ? 4 : 2) + pmu.digitals.length * 2;
}

/** Frame length of a data frame under `config`. */
export function dataFrameLength(config: ConfigFrame): number {
  let n = 16;
  for (const pmu of config.pmus) n += blockLength(pmu);
  return n;
}

function int16(v: number, what: string): number {
  if (typeof v !== 'number' || v !== Math.floor(v) || v < -32768 || v > 32767) throw codedError('PMU_BAD_FIELD', `${what} must be a 16-bit signed integer, got ${v}`);
  return v;
}

function uint16(v: number, what: string): number {
  if (typeof v !== 'number' || v !== Math.floor(v) || v < 0 || v > 0xffff) throw codedError('PMU_BAD_FIELD', `${what} must be a 16-bit unsigned integer, got ${v}`);
  return v;
}

/** Encodes a data frame under `config` (its PMU list and formats); throws when the frame does not fit it. */
export function encodeData(frame: DataFrame, config: ConfigFrame): Uint8Array {
  if (frame.pmus.length !== config.pmus.length) throw codedError('PMU_BAD_FIELD', `data frame has ${frame.pmus.length} PMU blocks, configuration ${config.pmus.length}`);
  if (frame.fraction >= config.timeBase) throw codedError('PMU_BAD_FIELD', `FRACSEC fraction ${frame.fraction} must be below TIME_BASE ${config.timeBase}`);
  const w = startFrame(frame, dataFrameLength(config));
  for (let k = 0; k < config.pmus.length; k++) {
    const pmu = config.pmus[k]!;
    const d = frame.pmus[k]!;
    if (d.phasors.length !== pmu.phasors.length || d.analogs.length !== pmu.analogs.length || d.digitals.length !== pmu.digitals.length) {
      throw codedError('PMU_BAD_FIELD', `PMU block ${k} does not match its configuration (${pmu.phasors.length} phasors, ${pmu.analogs.length} analogs, ${pmu.digitals.length} digital words)`);
    }
    w.u16(encodeStat(d.stat));
    const f = pmu.format;
    for (const p of d.phasors) {
      if (f.phasorFloat) {
        w.f32(p.x);
        w.f32(p.y);
      } else if (f.polar) {
        w.u16(uint16(p.x, 'polar phasor magnitude'));
        w.i16(int16(p.y, 'polar phasor angle'));
      } else {
        w.i16(int16(p.x, 'phasor real part'));
        w.i16(int16(p.y, 'phasor imaginary part'));
      }
    }
    if (f.freqFloat) {
      w.f32(d.freq);
      w.f32(d.dfreq);
    } else {
      w.i16(int16(d.freq, 'FREQ'));
      w.i16(int16(d.dfreq, 'DFREQ'));
    }
    for (const a of d.analogs) {
      if (f.analogFloat) w.f32(a);
      else w.i16(int16(a, 'analog value'));
    }
    for (const g of d.digitals) w.u16(uint16(g, 'digital status word'));
  }
  return finishFrame(w);
}

/** Decodes a data frame against the configuration in force for its stream. */
export function decodeData(bytes: Uint8Array, config: ConfigFrame): Verdict<DataFrame> {
  const start = readHead(bytes);
  if (!start.ok) return start;
  const head = start.value.head;
  const r = start.value.reader;
  if (head.kind !== 'data') return refuse(`not a data frame: ${head.kind}`);
  if (head.idcode !== config.idcode) return refuse(`data frame from IDCODE ${head.idcode}, configuration is for ${config.idcode}`);
  const expected = dataFrameLength(config);
  if (bytes.length !== expected) return refuse(`data frame of ${bytes.length} bytes, its configuration makes ${expected}: configuration changed or frame damaged`);
  if (head.fraction >= config.timeBase) return refuse(`FRACSEC fraction ${head.fraction} is not below TIME_BASE ${config.timeBase}`);
  const pmus: PmuData[] = [];
  for (const pmu of config.pmus) {
    const stat = decodeStat(r.u16());
    const f = pmu.format;
    const phasors: PhasorWord[] = [];
    for (let i = 0; i < pmu.phasors.length; i++) {
      if (f.phasorFloat) phasors.push({ x: r.f32(), y: r.f32() });
      else if (f.polar) phasors.push({ x: r.u16(), y: r.i16() });
      else phasors.push({ x: r.i16(), y: r.i16() });
    }
    const freq = f.freqFloat ? r.f32() : r.i16();
    const dfreq = f.freqFloat ? r.f32() : r.i16();
    const analogs: number[] = [];
    for (let i = 0; i < pmu.analogs.length; i++) analogs.push(f.analogFloat ? r.f32() : r.i16());
    const digitals: number[] = [];
    for (let i = 0; i < pmu.digitals.length; i++) digitals.push(r.u16());
    pmus.push({ stat, phasors, freq, dfreq, analogs, digitals });
  }
  return trailing(r, 'data frame', { kind: 'data', version: head.version, idcode: head.idcode, soc: head.soc, fraction: head.fraction, timeQuality: head.timeQuality, pmus });
}
