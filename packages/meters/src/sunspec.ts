// SunSpec information models (common model 1, meter models 201–204 with scale factors, 211–214 in float32):
// layouts computed from the model definitions (the package's own tables, sunspec-models.ts, or others the host passes
// in), and register blocks decoded into channels named by OBIS code.
import { toFixed, type SampledChannel } from '@meterchain/core';
import { meterError, normaliseUnit } from './channel.ts';
import { decodeRegisters, decodeString, rawUint32, type Words } from './registers.ts';

/** One point of a SunSpec model definition (the JSON model files, `group.points[]`). */
export interface SunSpecPointDef {
  name: string;
  type: string;
  size: number;
  sf?: string;
  units?: string;
  mandatory?: string;
  value?: number;
  label?: string;
}

/** A SunSpec model definition as published in the JSON model files. */
export interface SunSpecModelDef {
  id: number;
  group: { name: string; label?: string; points: SunSpecPointDef[] };
}

/** Where each point sits: register offset from the model's ID register. */
export interface SunSpecPointLayout extends SunSpecPointDef {
  offset: number;
}

export interface SunSpecLayout {
  id: number;
  name: string;
  /** Registers of the whole model, ID and L included. */
  size: number;
  points: SunSpecPointLayout[];
}

/** Meter models this package decodes: 20x carry integers with scale factors, 21x carry float32. */
export const SUNSPEC_METER_MODELS = [201, 202, 203, 204, 211, 212, 213, 214];

/** The 'SunS' marker (0x5375 0x6E53) a SunSpec device places at its base address. */
export const SUNSPEC_MARKER = [0x5375, 0x6e53];

/** Base addresses to probe for the marker, in the order the SunSpec specification recommends. */
export const SUNSPEC_BASES = [40000, 50000, 0];

/** End-of-models marker: a model ID of 0xFFFF. */
export const SUNSPEC_END = 0xffff;

/** Lays out a model definition: offsets of every point, total size. Rejects definitions it cannot decode. */
export function sunspecLayout(def: SunSpecModelDef): SunSpecLayout {
  if (def === null || typeof def !== 'object' || typeof def.id !== 'number' || !def.group || !Array.isArray(def.group.points)) {
    throw new Error(`expected a SunSpec model definition {id, group: {points}}, got ${typeof def}`);
  }
  const points: SunSpecPointLayout[] = [];
  let offset = 0;
  for (const point of def.group.points) {
    if (typeof point.size !== 'number' || point.size < 1) throw new Error(`SunSpec model ${def.id} point ${point.name}: size must be a positive number`);
    const laid = { offset } as SunSpecPointLayout;
    for (const key of Object.keys(point)) (laid as unknown as Record<string, unknown>)[key] = (point as unknown as Record<string, unknown>)[key];
    laid.offset = offset;
    points.push(laid);
    offset += point.size;
  }
  return { id: def.id, name: def.group.name, size: offset, points };
}

/** True when `words` (2 registers) hold the 'SunS' marker. */
export function isSunSpecMarker(words: Words): boolean {
  return words.length >= 2 && words[0] === SUNSPEC_MARKER[0] && words[1] === SUNSPEC_MARKER[1];
}

/**
 * Value of an integer point, or null for the "not implemented" sentinel of its type (SunSpec Information Model
 * Specification, point types): int16/sunssf 0x8000, uint16/enum16/bitfield16 0xFFFF, acc16/acc32/acc64 0,
 * uint32/bitfield32/enum32 0xFFFFFFFF, int32 0x80000000, float32 NaN.
 */
export function sunspecRaw(words: Words, offset: number, type: string): number | null {
  const first = words[offset]! & 0xffff;
  switch (type) {
    case 'int16':
    case 'sunssf':
      return first === 0x8000 ? null : decodeRegisters(words, offset, 'int16', 'big', 'big');
    case 'uint16':
    case 'enum16':
    case 'bitfield16':
    case 'count':
      return first === 0xffff ? null : first;
    case 'acc16':
      return first === 0 ? null : first;
    case 'uint32':
    case 'enum32':
    case 'bitfield32': {
      const raw = rawUint32(words, offset);
      return raw === 0xffffffff ? null : raw;
    }
    case 'acc32': {
      const raw = rawUint32(words, offset);
      return raw === 0 ? null : raw;
    }
    case 'int32': {
      const raw = rawUint32(words, offset);
      return raw === 0x80000000 ? null : decodeRegisters(words, offset, 'int32', 'big', 'big');
    }
    case 'float32': {
      const value = decodeRegisters(words, offset, 'float32', 'big', 'big');
      return isFinite(value) ? value : null;
    }
    default:
      return null;
  }
}

/**
 * Fixed-point scale used for float32 models (21x), per unit: they carry floats, a reading carries integers.
 * Chosen to keep the resolution of class 0.2 meters: 10 mV, 1 mA, 1 mHz, 0.1 W, 1 Wh.
 */
export const FLOAT_SCALE: { [unit: string]: number } = {
  V: -2, A: -3, Hz: -3, W: -1, VA: -1, var: -1, PF: -3, Pct: -4, Wh: 0, VAh: 0, varh: 0,
};

/**
 * OBIS value groups C (total, and phase L1 minus 20) and D of the SunSpec meter quantities (IEC 62056-61): a phase
 * is C + 20 (L1), + 40 (L2), + 60 (L3) of its quantity: W 16.7.0, WphA 36.7.0; TotWhImp 1.8.0, TotWhImpPhB 41.8.0.
 */
const OBIS_GROUPS: { [total: string]: number[] } = {
  A: [90, 11, 7], PhV: [12, 12, 7], Hz: [14, 14, 7], W: [16, 16, 7], VA: [9, 9, 7], VAR: [3, 3, 7], PF: [13, 13, 7],
  TotWhImp: [1, 1, 8], TotWhExp: [2, 2, 8], TotVAhImp: [9, 9, 8], TotVAhExp: [10, 10, 8],
  TotVArhImpQ1: [5, 5, 8], TotVArhImpQ2: [6, 6, 8], TotVArhExpQ3: [7, 7, 8], TotVArhExpQ4: [8, 8, 8],
};

/**
 * The OBIS code a SunSpec meter point is carried under (`PhVphA` → `1-0:32.7.0`), so that the edge checks and every
 * reader see one naming for all meters; null for points OBIS has no code for (line-to-line voltages, events).
 */
export function sunspecObis(name: string): string | null {
  let total = name;
  let phase = 0;
  const last = name.charAt(name.length - 1);
  const infix = name.slice(-3, -1);
  if ((infix === 'ph' || infix === 'Ph') && (last === 'A' || last === 'B' || last === 'C')) {
    total = name.slice(0, -3);
    phase = last === 'A' ? 1 : last === 'B' ? 2 : 3;
  }
  const groups = OBIS_GROUPS[total];
  if (groups === undefined) return null;
  const c = phase === 0 ? groups[0]! : groups[1]! + 20 * phase;
  return '1-0:' + c + '.' + groups[2]! + '.0';
}

/**
 * Decodes one meter model block (starting at its ID register) into channels, in definition order, each named by
 * its OBIS code where it has one (sunspecObis), else by its SunSpec point name.
 */
export function decodeSunSpecMeter(layout: SunSpecLayout, words: Words): SampledChannel[] {
  if (words.length < layout.size) throw new Error(`SunSpec model ${layout.id} needs ${layout.size} registers, got ${words.length}`);
  const scaleFactors: { [name: string]: number | null } = {};
  for (const point of layout.points) {
    if (point.type === 'sunssf') scaleFactors[point.name] = sunspecRaw(words, point.offset, 'sunssf');
  }
  const channels: SampledChannel[] = [];
  for (const point of layout.points) {
    if (point.name === 'ID' || point.name === 'L' || point.type === 'sunssf' || point.type === 'pad' || point.type === 'string') continue;
    const raw = sunspecRaw(words, point.offset, point.type);
    const units = point.units ?? '';
    const normal = normaliseUnit(units);
    const unit = normal.unit;
    const shift = normal.shift;
    if (point.type === 'float32') {
      const scale = FLOAT_SCALE[units] ?? -3;
      channels.push({ id: sunspecObis(point.name) || point.name, value: raw === null ? null : toFixed(raw, scale - shift), scale, unit });
    } else if (point.sf !== undefined) {
      const sf = scaleFactors[point.sf];
      const known = sf !== null && sf !== undefined && sf >= -10 && sf <= 10;
      channels.push({ id: sunspecObis(point.name) || point.name, value: raw === null || !known ? null : raw, scale: known ? sf + shift : 0, unit });
    } else {
      channels.push({ id: sunspecObis(point.name) || point.name, value: raw, scale: 0, unit });
    }
  }
  return channels;
}

/** The common model (1): who made the device. */
export interface SunSpecCommon {
  manufacturer: string;
  model: string;
  options: string;
  version: string;
  serialNumber: string;
  deviceAddress: number | null;
}

/** Decodes the common model block (starting at its ID register). */
export function decodeSunSpecCommon(layout: SunSpecLayout, words: Words): SunSpecCommon {
  if (layout.id !== 1) throw new Error(`expected the layout of SunSpec model 1, got model ${layout.id}`);
  const text: { [name: string]: string } = {};
  let deviceAddress: number | null = null;
  for (const point of layout.points) {
    if (point.offset + point.size > words.length) continue;
    if (point.type === 'string') text[point.name] = decodeString(words, point.offset, point.size);
    if (point.name === 'DA') deviceAddress = sunspecRaw(words, point.offset, 'uint16');
  }
  return {
    manufacturer: text.Mn ?? '', model: text.Md ?? '', options: text.Opt ?? '', version: text.Vr ?? '',
    serialNumber: text.SN ?? '', deviceAddress,
  };
}

/** One model found while walking the model list: its ID, its length L, and where its ID register is. */
export interface SunSpecModelHeader {
  id: number;
  length: number;
  address: number;
}

/**
 * Next step of a model walk, given the two header registers (ID, L) read at `address`: the header, or null at
 * the end marker. Rejects a model list that runs past the 16-bit address space (a device that is not SunSpec).
 */
export function sunspecHeader(words: Words, address: number): SunSpecModelHeader | null {
  const id = words[0]! & 0xffff;
  const length = words[1]! & 0xffff;
  if (id === SUNSPEC_END) return null;
  if (address + 2 + length > 0xffff) throw meterError('SUNSPEC_WALK', `SunSpec model ${id} at ${address} runs past the register space (L=${length})`);
  return { id, length, address };
}

/** Builds the layout table the host passes in, keyed by model id, from the loaded definitions. */
export function sunspecLayouts(defs: SunSpecModelDef[]): { [id: number]: SunSpecLayout } {
  const table: { [id: number]: SunSpecLayout } = {};
  for (const def of defs) table[def.id] = sunspecLayout(def);
  return table;
}
