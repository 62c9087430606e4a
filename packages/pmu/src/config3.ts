// IEEE C37.118.2-2011 §6.4.5: the CFG-3 configuration frame (Table 10): variable-length names, a global PMU id,
// float scaling with flags per phasor, position, service class, window and group delay of each PMU.
import { codedError, fromHex, toHex } from '@meterchain/core';
import { finishFrame, readHead, refuse, startFrame, trailing, type Verdict } from './common.ts';
import { checkConfig, checkName, checkRateAndTime, formatBits, readFormat, readNominal, readTimeBase, type AnalogChannel, type ConfigFrame, type DigitalWord, type PhasorChannel, type PmuConfig } from './config.ts';
import type { Reader, Writer } from './cursor.ts';

function writeName(w: Writer, name: string, what: string): void {
  checkName(name, 255, what);
  w.u8(name.length);
  w.text(name, 0);
}

function readName(r: Reader): string {
  return r.text(r.u8());
}

function isGlobalId(s: string): boolean {
  if (typeof s !== 'string' || s.length !== 32) return false;
  for (let i = 0; i < 32; i++) if ('0123456789abcdef'.indexOf(s.charAt(i)) < 0) return false;
  return true;
}

/** Encodes a CFG-3 frame (one frame: CONT_IDX as given, normally 0). */
export function encodeConfig3(frame: ConfigFrame): Uint8Array {
  if (frame.kind !== 'cfg3') throw codedError('PMU_BAD_FIELD', `encodeConfig3 writes cfg3, got ${frame.kind}`);
  if (frame.version < 2) throw codedError('PMU_BAD_FIELD', 'CFG-3 needs version 2 (C37.118.2-2011)');
  checkConfig(frame);
  const w = startFrame(frame, 512);
  w.u16(frame.continuation);
  w.u32(frame.timeBase);
  w.u16(frame.pmus.length);
  for (const pmu of frame.pmus) {
    writeName(w, pmu.station, 'station name');
    w.u16(pmu.idcode);
    if (!isGlobalId(pmu.globalId)) throw codedError('PMU_BAD_FIELD', `G_PMU_ID must be 32 lowercase hex digits, got ${JSON.stringify(pmu.globalId)}`);
    w.raw(fromHex(pmu.globalId));
    w.u16(formatBits(pmu.format));
    w.u16(pmu.phasors.length);
    w.u16(pmu.analogs.length);
    w.u16(pmu.digitals.length);
    for (const p of pmu.phasors) writeName(w, p.name, 'phasor name');
    for (const a of pmu.analogs) writeName(w, a.name, 'analog name');
    for (const d of pmu.digitals) for (const n of d.names) writeName(w, n, 'digital channel name');
    for (const p of pmu.phasors) {
      w.u16(p.modification);
      w.u8(((p.unit === 'A' ? 8 : 0) | (p.component & 7)) & 0xff);
      w.u8(p.userFlags);
      w.f32(p.scale);
      w.f32(p.angleOffset);
    }
    for (const a of pmu.analogs) {
      w.f32(a.scale);
      w.f32(a.offset);
    }
    for (const d of pmu.digitals) {
      w.u16(d.normal);
      w.u16(d.valid);
    }
    w.f32(pmu.latitude);
    w.f32(pmu.longitude);
    w.f32(pmu.elevation);
    if (pmu.serviceClass !== 'M' && pmu.serviceClass !== 'P') throw codedError('PMU_BAD_FIELD', `SVC_CLASS must be 'M' or 'P', got ${JSON.stringify(pmu.serviceClass)}`);
    w.u8(pmu.serviceClass.charCodeAt(0));
    w.i32(pmu.window);
    w.i32(pmu.groupDelay);
    w.u16(pmu.nominalHz === 50 ? 1 : 0);
    w.u16(pmu.changeCount);
  }
  w.i16(frame.dataRate);
  return finishFrame(w);
}

/** Decodes a CFG-3 frame; continued configurations (CONT_IDX not 0) are refused with that reason. */
export function decodeConfig3(bytes: Uint8Array): Verdict<ConfigFrame> {
  const start = readHead(bytes);
  if (!start.ok) return start;
  const head = start.value.head;
  const r = start.value.reader;
  if (head.kind !== 'cfg3') return refuse(`not a CFG-3 frame: ${head.kind}`);
  const continuation = r.u16();
  if (continuation !== 0) return refuse(`CFG-3 CONT_IDX ${continuation}: configurations split over several frames are not supported`);
  const timeBase = readTimeBase(r);
  if (!timeBase.ok) return timeBase;
  const count = r.u16();
  if (count === 0 && !r.short) return refuse('NUM_PMU is 0');
  const pmus: PmuConfig[] = [];
  for (let k = 0; k < count && !r.short; k++) {
    const station = readName(r);
    const idcode = r.u16();
    const globalId = toHex(r.raw(16));
    const format = readFormat(r, station);
    if (!format.ok) return format;
    const phnmr = r.u16();
    const annmr = r.u16();
    const dgnmr = r.u16();
    // Every name takes at least its length byte: refuse counts the frame cannot hold before building anything.
    const least = phnmr + annmr + 16 * dgnmr + 12 * phnmr + 8 * annmr + 4 * dgnmr + 29;
    if (r.short || !r.has(least)) return refuse(`PMU ${k} (${JSON.stringify(station)}) declares ${phnmr} phasors, ${annmr} analogs, ${dgnmr} digital words: more than the frame holds`);
    const phasors: PhasorChannel[] = [];
    const analogs: AnalogChannel[] = [];
    const digitals: DigitalWord[] = [];
    for (let i = 0; i < phnmr; i++) phasors.push({ name: readName(r), unit: 'V', factor: 0, modification: 0, component: 0, userFlags: 0, scale: 0, angleOffset: 0 });
    for (let i = 0; i < annmr; i++) analogs.push({ name: readName(r), kind: 0, factor: 0, scale: 0, offset: 0 });
    for (let i = 0; i < dgnmr; i++) {
      const names: string[] = [];
      for (let b = 0; b < 16; b++) names.push(readName(r));
      digitals.push({ names, normal: 0, valid: 0 });
    }
    for (const p of phasors) {
      p.modification = r.u16();
      const type = r.u8();
      if (type & 0xf0) return refuse(`PHSCALE of phasor ${JSON.stringify(p.name)}: phasor type bits 7-4 (reserved) are set`);
      if ((type & 7) === 3) return refuse(`PHSCALE of phasor ${JSON.stringify(p.name)}: component 3 is reserved`);
      p.unit = type & 8 ? 'A' : 'V';
      p.component = type & 7;
      p.userFlags = r.u8();
      p.scale = r.f32();
      p.angleOffset = r.f32();
    }
    for (const a of analogs) {
      a.scale = r.f32();
      a.offset = r.f32();
    }
    for (const d of digitals) {
      d.normal = r.u16();
      d.valid = r.u16();
    }
    const latitude = r.f32();
    const longitude = r.f32();
    const elevation = r.f32();
    const service = String.fromCharCode(r.u8());
    if (!r.short && service !== 'M' && service !== 'P') return refuse(`SVC_CLASS of ${JSON.stringify(station)} is ${JSON.stringify(service)}, not 'M' or 'P'`);
    const window = r.i32();
    const groupDelay = r.i32();
    const nominal = readNominal(r, station);
    if (!nominal.ok) return nominal;
    const changeCount = r.u16();
    pmus.push({ station, idcode, format: format.value, phasors, analogs, digitals, nominalHz: nominal.value, changeCount, globalId, latitude, longitude, elevation, serviceClass: service === 'P' ? 'P' : 'M', window, groupDelay });
  }
  const dataRate = r.i16();
  const frame: ConfigFrame = { kind: 'cfg3', version: head.version, idcode: head.idcode, soc: head.soc, fraction: head.fraction, timeQuality: head.timeQuality, continuation, timeBase: timeBase.value, pmus, dataRate };
  const done = trailing(r, 'CFG-3 frame', frame);
  if (!done.ok) return done;
  const bad = checkRateAndTime(head, timeBase.value, dataRate);
  return bad ? refuse(bad) : done;
}
