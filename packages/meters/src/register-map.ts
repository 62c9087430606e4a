// Generic register maps for devices without a built-in profile: a YAML document (parsed by the host) checked by
// the JSON Schema below, then turned into register points.
import type { RegisterPoint } from './points.ts';
import { MAX_READ_REGISTERS, registerCount, type ByteOrder, type RegisterType, type WordOrder } from './registers.ts';

/** JSON Schema (draft-07) of a register map document. The host validates with it before calling `registerMap`. */
export const registerMapSchema = {
  $id: 'https://meterchain.dev/schemas/register-map.json',
  title: 'meterchain register map',
  type: 'object',
  additionalProperties: false,
  required: ['device', 'registers'],
  properties: {
    device: { type: 'string', minLength: 1, description: 'Name of the device, used in errors and logs.' },
    wordOrder: { enum: ['big', 'little'], description: 'Default word order of multi-register values (big = high word first).' },
    byteOrder: { enum: ['big', 'little'], description: 'Default byte order inside a register (big = Modbus standard).' },
    maxGap: { type: 'integer', minimum: 0, maximum: 125, description: 'Unused registers a read may span to join two values.' },
    maxRead: { type: 'integer', minimum: 1, maximum: 125, description: 'Largest read the device accepts, in registers.' },
    registers: {
      type: 'array',
      minItems: 1,
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['channel', 'address', 'function', 'type', 'unit'],
        properties: {
          channel: { type: 'string', minLength: 1, description: 'Channel name: OBIS code or SunSpec point name.' },
          address: { type: 'integer', minimum: 0, maximum: 65535, description: '0-based register address as sent on the wire.' },
          function: { enum: ['holding', 'input', 3, 4] },
          type: { enum: ['uint16', 'int16', 'uint32', 'int32', 'float32', 'float64'] },
          wordOrder: { enum: ['big', 'little'] },
          byteOrder: { enum: ['big', 'little'] },
          scale: { type: 'integer', minimum: -10, maximum: 10, description: 'Power of ten of the value (integers: as stored; floats: rounded to it).' },
          factor: { type: 'number', description: 'Floats only: multiplier before rounding (kWh to Wh: 1000).' },
          unit: { type: 'string' },
        },
      },
    },
  },
} as const;

/** A register map document as the schema describes it. */
export interface RegisterMapDocument {
  device: string;
  wordOrder?: WordOrder;
  byteOrder?: ByteOrder;
  maxGap?: number;
  maxRead?: number;
  registers: {
    channel: string;
    address: number;
    function: 'holding' | 'input' | 3 | 4;
    type: RegisterType;
    wordOrder?: WordOrder;
    byteOrder?: ByteOrder;
    scale?: number;
    factor?: number;
    unit: string;
  }[];
}

export interface RegisterMap {
  device: string;
  points: RegisterPoint[];
  maxGap: number;
  maxRead: number;
}

export type RegisterMapVerdict = { ok: true; map: RegisterMap } | { ok: false; reason: string };

/**
 * Turns a schema-valid document into a register map, with the checks a schema cannot express: values that run
 * past the register space, channel names used twice, a factor on an integer register.
 */
export function registerMap(doc: RegisterMapDocument): RegisterMapVerdict {
  const points: RegisterPoint[] = [];
  const seen: { [name: string]: boolean } = {};
  for (let i = 0; i < doc.registers.length; i++) {
    const entry = doc.registers[i]!;
    const where = `registers[${i}] (${entry.channel})`;
    if (seen[entry.channel]) return { ok: false, reason: `${where}: channel name used twice` };
    seen[entry.channel] = true;
    if (entry.address + registerCount(entry.type) > 65536) return { ok: false, reason: `${where}: ${entry.type} at ${entry.address} runs past register 65535` };
    const isFloat = entry.type === 'float32' || entry.type === 'float64';
    if (entry.factor !== undefined && !isFloat) return { ok: false, reason: `${where}: factor applies to float registers only; give integers a scale` };
    const point: RegisterPoint = {
      name: entry.channel,
      fn: entry.function === 'holding' || entry.function === 3 ? 3 : 4,
      address: entry.address,
      type: entry.type,
      wordOrder: entry.wordOrder ?? doc.wordOrder ?? 'big',
      byteOrder: entry.byteOrder ?? doc.byteOrder ?? 'big',
      scale: entry.scale ?? 0,
      unit: entry.unit,
    };
    if (entry.factor !== undefined) point.factor = entry.factor;
    points.push(point);
  }
  return { ok: true, map: { device: doc.device, points, maxGap: doc.maxGap ?? 8, maxRead: doc.maxRead ?? MAX_READ_REGISTERS } };
}
