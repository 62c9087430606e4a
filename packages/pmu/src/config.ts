// IEEE C37.118.2-2011 §6.4: configuration frames. CFG-1 (what the PMU can send) and CFG-2 (what it sends) share one
// layout (Table 8); CFG-3 (§6.4.5, Table 10) is in config3.ts. One model serves all three, so data frames decode
// with whichever arrived.
import { codedError } from '@meterchain/core';
import { finishFrame, readHead, refuse, startFrame, trailing, type FrameHead, type Verdict } from './common.ts';
import type { Reader, Writer } from './cursor.ts';

/** FORMAT (Table 8): bit 3 FREQ/DFREQ, bit 2 analogs, bit 1 phasors float (else 16-bit integer); bit 0 polar. */
export interface DataFormat {
  freqFloat: boolean;
  analogFloat: boolean;
  phasorFloat: boolean;
  polar: boolean;
}

export interface PhasorChannel {
  name: string;
  unit: 'V' | 'A';
  /** CFG-1/2 PHUNIT bits 23-0: 10^-5 V or A per bit of a 16-bit phasor (ignored for float phasors). */
  factor: number;
  /** CFG-3 PHSCALE first word bits 31-16: modification flags (filtered, downsampled, calibrated…). */
  modification: number;
  /** CFG-3 phasor component (bits 2-0 of the type byte): 0 zero-, 1 positive-, 2 negative-sequence, 4/5/6 phase A/B/C. */
  component: number;
  /** CFG-3 user designation byte. */
  userFlags: number;
  /** Magnitude scale applied to a 16-bit phasor: factor × 1e-5 for CFG-1/2, PHSCALE's Y for CFG-3. */
  scale: number;
  /** Angle offset in radians added to the phasor (CFG-3 PHSCALE θ; 0 for CFG-1/2). */
  angleOffset: number;
}

export interface AnalogChannel {
  name: string;
  /** ANUNIT bits 31-24: 0 single point-on-wave, 1 rms, 2 peak (CFG-1/2). */
  kind: number;
  /** ANUNIT bits 23-0, signed: user-defined scaling of a 16-bit analog (CFG-1/2). */
  factor: number;
  /** Scale and offset applied to a 16-bit analog: factor and 0 for CFG-1/2, ANSCALE for CFG-3. */
  scale: number;
  offset: number;
}

/** One 16-bit digital status word: 16 channel names, DIGUNIT's normal state and valid-inputs mask. */
export interface DigitalWord {
  names: string[];
  normal: number;
  valid: number;
}

/** One PMU block of a configuration frame: a PDC stream carries several. */
export interface PmuConfig {
  station: string;
  /** Data source IDCODE of this PMU. */
  idcode: number;
  format: DataFormat;
  phasors: PhasorChannel[];
  analogs: AnalogChannel[];
  digitals: DigitalWord[];
  nominalHz: 50 | 60;
  /** CFGCNT: incremented by the PMU at each configuration change. */
  changeCount: number;
  /** CFG-3 only (zeros / NaN / 'M' / 0 when decoded from CFG-1/2). */
  globalId: string;
  latitude: number;
  longitude: number;
  elevation: number;
  serviceClass: 'M' | 'P';
  /** Measurement window in microseconds (negative: in 1/1000 of a cycle... as the PMU states it). */
  window: number;
  /** Group delay in microseconds. */
  groupDelay: number;
}

export interface ConfigFrame extends FrameHead {
  kind: 'cfg1' | 'cfg2' | 'cfg3';
  /** CFG-3 CONT_IDX (0: the whole configuration in one frame). */
  continuation: number;
  /** TIME_BASE bits 23-0: FRACSEC counts of one second. */
  timeBase: number;
  pmus: PmuConfig[];
  /** DATA_RATE: frames per second when positive, seconds per frame when negative. */
  dataRate: number;
}

export const CHANNEL_NAME_LENGTH = 16;

export function formatBits(f: DataFormat): number {
  return (f.freqFloat ? 8 : 0) | (f.analogFloat ? 4 : 0) | (f.phasorFloat ? 2 : 0) | (f.polar ? 1 : 0);
}

export function formatOf(bits: number): DataFormat {
  return { freqFloat: (bits & 8) !== 0, analogFloat: (bits & 4) !== 0, phasorFloat: (bits & 2) !== 0, polar: (bits & 1) !== 0 };
}

/** Trailing spaces and NULs are padding (names are left-justified in 16 bytes). */
export function unpad(s: string): string {
  let end = s.length;
  while (end > 0 && (s.charCodeAt(end - 1) === 0x20 || s.charCodeAt(end - 1) === 0)) end--;
  return s.slice(0, end);
}

export function checkName(name: string, max: number, what: string): void {
  if (typeof name !== 'string' || name.length > max) throw codedError('PMU_BAD_FIELD', `${what} must be a string of at most ${max} characters, got ${JSON.stringify(name)}`);
  for (let i = 0; i < name.length; i++) {
    if (name.charCodeAt(i) > 0xff) throw codedError('PMU_BAD_FIELD', `${what} must hold byte-sized characters only: ${JSON.stringify(name)}`);
  }
}

function checkInt(v: number, min: number, max: number, what: string): void {
  if (typeof v !== 'number' || v !== Math.floor(v) || v < min || v > max) throw codedError('PMU_BAD_FIELD', `${what} must be an integer in ${min}..${max}, got ${v}`);
}

/** Programmer checks shared by CFG-1/2/3 encoders. */
export function checkConfig(frame: ConfigFrame): void {
  checkInt(frame.timeBase, 1, 0xffffff, 'TIME_BASE');
  checkInt(frame.dataRate, -32768, 32767, 'DATA_RATE');
  if (frame.dataRate === 0) throw codedError('PMU_BAD_FIELD', 'DATA_RATE must not be 0');
  if (frame.pmus.length < 1 || frame.pmus.length > 0xffff) throw codedError('PMU_BAD_FIELD', `NUM_PMU must be 1..65535, got ${frame.pmus.length}`);
  for (const pmu of frame.pmus) {
    checkInt(pmu.idcode, 0, 0xffff, 'PMU IDCODE');
    checkInt(pmu.changeCount, 0, 0xffff, 'CFGCNT');
    for (const d of pmu.digitals) {
      if (d.names.length !== 16) throw codedError('PMU_BAD_FIELD', `a digital status word has 16 channel names, got ${d.names.length}`);
    }
  }
}

function writeNames(w: Writer, pmu: PmuConfig): void {
  for (const p of pmu.phasors) {
    checkName(p.name, CHANNEL_NAME_LENGTH, 'phasor name');
    w.text(p.name, CHANNEL_NAME_LENGTH);
  }
  for (const a of pmu.analogs) {
    checkName(a.name, CHANNEL_NAME_LENGTH, 'analog name');
    w.text(a.name, CHANNEL_NAME_LENGTH);
  }
  for (const d of pmu.digitals) {
    for (const n of d.names) {
      checkName(n, CHANNEL_NAME_LENGTH, 'digital channel name');
      w.text(n, CHANNEL_NAME_LENGTH);
    }
  }
}

/** Encodes a CFG-1 or CFG-2 frame (Table 8). Throws on a value the format cannot carry. */
export function encodeConfig12(frame: ConfigFrame): Uint8Array {
  if (frame.kind !== 'cfg1' && frame.kind !== 'cfg2') throw codedError('PMU_BAD_FIELD', `encodeConfig12 writes cfg1 or cfg2, got ${frame.kind}`);
  checkConfig(frame);
  const w = startFrame(frame, 256);
  w.u32(frame.timeBase);
  w.u16(frame.pmus.length);
  for (const pmu of frame.pmus) {
    checkName(pmu.station, CHANNEL_NAME_LENGTH, 'station name');
    w.text(pmu.station, CHANNEL_NAME_LENGTH);
    w.u16(pmu.idcode);
    w.u16(formatBits(pmu.format));
    w.u16(pmu.phasors.length);
    w.u16(pmu.analogs.length);
    w.u16(pmu.digitals.length);
    writeNames(w, pmu);
    for (const p of pmu.phasors) {
      checkInt(p.factor, 0, 0xffffff, 'PHUNIT factor');
      w.u32(((p.unit === 'A' ? 1 : 0) << 24) | p.factor);
    }
    for (const a of pmu.analogs) {
      checkInt(a.kind, 0, 0xff, 'ANUNIT kind');
      checkInt(a.factor, -0x800000, 0x7fffff, 'ANUNIT factor');
      w.u32(((a.kind << 24) | (a.factor & 0xffffff)) >>> 0);
    }
    for (const d of pmu.digitals) {
      checkInt(d.normal, 0, 0xffff, 'DIGUNIT normal state');
      checkInt(d.valid, 0, 0xffff, 'DIGUNIT valid inputs');
      w.u16(d.normal);
      w.u16(d.valid);
    }
    w.u16(pmu.nominalHz === 50 ? 1 : 0);
    w.u16(pmu.changeCount);
  }
  w.i16(frame.dataRate);
  return finishFrame(w);
}

/** TIME_BASE and the checks on it (bits 31-24 are reserved flags: zero in every frame this decoder accepts). */
export function readTimeBase(r: Reader): Verdict<number> {
  const word = r.u32();
  if (word >>> 24 !== 0) return refuse(`TIME_BASE bits 31-24 (reserved) are 0x${(word >>> 24).toString(16)}`);
  if ((word & 0xffffff) === 0) return refuse('TIME_BASE is 0');
  return { ok: true, value: word & 0xffffff };
}

export function readFormat(r: Reader, station: string): Verdict<DataFormat> {
  const bits = r.u16();
  if (bits & 0xfff0) return refuse(`FORMAT of ${JSON.stringify(station)} has unused bits 15-4 set: 0x${bits.toString(16)}`);
  return { ok: true, value: formatOf(bits) };
}

export function readNominal(r: Reader, station: string): Verdict<50 | 60> {
  const fnom = r.u16();
  if (fnom & 0xfffe) return refuse(`FNOM of ${JSON.stringify(station)} has reserved bits 15-1 set: 0x${fnom.toString(16)}`);
  return { ok: true, value: fnom & 1 ? 50 : 60 };
}

/** Shared check on DATA_RATE and on FRACSEC against TIME_BASE. */
export function checkRateAndTime(head: FrameHead, timeBase: number, dataRate: number): string | undefined {
  if (dataRate === 0) return 'DATA_RATE is 0';
  if (head.fraction >= timeBase) return `FRACSEC fraction ${head.fraction} is not below TIME_BASE ${timeBase}`;
  return undefined;
}

/** Decodes a CFG-1 or CFG-2 frame; a verdict with the reason for anything out of the standard. */
export function decodeConfig12(bytes: Uint8Array): Verdict<ConfigFrame> {
  const start = readHead(bytes);
  if (!start.ok) return start;
  const head = start.value.head;
  const r = start.value.reader;
  if (head.kind !== 'cfg1' && head.kind !== 'cfg2') return refuse(`not a CFG-1/2 frame: ${head.kind}`);
  const timeBase = readTimeBase(r);
  if (!timeBase.ok) return timeBase;
  const count = r.u16();
  if (count === 0 && !r.short) return refuse('NUM_PMU is 0');
  const pmus: PmuConfig[] = [];
  for (let k = 0; k < count && !r.short; k++) {
    const station = unpad(r.text(CHANNEL_NAME_LENGTH));
    const idcode = r.u16();
    const format = readFormat(r, station);
    if (!format.ok) return format;
    const phnmr = r.u16();
    const annmr = r.u16();
    const dgnmr = r.u16();
    // Check the counts against what is left before allocating anything for them.
    const need = 16 * (phnmr + annmr + 16 * dgnmr) + 4 * (phnmr + annmr + dgnmr) + 4;
    if (r.short || !r.has(need)) return refuse(`PMU ${k} (${JSON.stringify(station)}) declares ${phnmr} phasors, ${annmr} analogs, ${dgnmr} digital words: more than the frame holds`);
    const phasors: PhasorChannel[] = [];
    const analogs: AnalogChannel[] = [];
    const digitals: DigitalWord[] = [];
    for (let i = 0; i < phnmr; i++) phasors.push({ name: unpad(r.text(16)), unit: 'V', factor: 0, modification: 0, component: 0, userFlags: 0, scale: 0, angleOffset: 0 });
    for (let i = 0; i < annmr; i++) analogs.push({ name: unpad(r.text(16)), kind: 0, factor: 0, scale: 0, offset: 0 });
    for (let i = 0; i < dgnmr; i++) {
      const names: string[] = [];
      for (let b = 0; b < 16; b++) names.push(unpad(r.text(16)));
      digitals.push({ names, normal: 0, valid: 0 });
    }
    for (const p of phasors) {
      const unit = r.u8();
      if (unit > 1) return refuse(`PHUNIT of phasor ${JSON.stringify(p.name)}: type ${unit} is neither 0 (voltage) nor 1 (current)`);
      p.unit = unit === 1 ? 'A' : 'V';
      p.factor = (r.u8() << 16) | r.u16();
      p.scale = p.factor * 1e-5;
    }
    for (const a of analogs) {
      a.kind = r.u8();
      const raw = (r.u8() << 16) | r.u16();
      a.factor = raw & 0x800000 ? raw - 0x1000000 : raw;
      a.scale = a.factor;
    }
    for (const d of digitals) {
      d.normal = r.u16();
      d.valid = r.u16();
    }
    const nominal = readNominal(r, station);
    if (!nominal.ok) return nominal;
    const changeCount = r.u16();
    pmus.push({ station, idcode, format: format.value, phasors, analogs, digitals, nominalHz: nominal.value, changeCount, globalId: '00000000000000000000000000000000', latitude: NaN, longitude: NaN, elevation: NaN, serviceClass: 'M', window: 0, groupDelay: 0 });
  }
  const dataRate = r.i16();
  const frame: ConfigFrame = { kind: head.kind, version: head.version, idcode: head.idcode, soc: head.soc, fraction: head.fraction, timeQuality: head.timeQuality, continuation: 0, timeBase: timeBase.value, pmus, dataRate };
  const done = trailing(r, head.kind === 'cfg1' ? 'CFG-1 frame' : 'CFG-2 frame', frame);
  if (!done.ok) return done;
  const bad = checkRateAndTime(head, timeBase.value, dataRate);
  return bad ? refuse(bad) : done;
}
