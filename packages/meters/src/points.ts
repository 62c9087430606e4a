// Register points: where a channel lives on a Modbus device and how to turn its registers into a fixed-point value.
// Shared by the Eastron maps and the generic YAML register maps.
import { toFixed, type SampledChannel } from '@meterchain/core';
import { decodeRegisters, planReads, registerCount, type ByteOrder, type ReadBlock, type RegisterType, type WordOrder, type Words } from './registers.ts';

export interface RegisterPoint {
  /** Channel name: OBIS code or SunSpec point name. */
  name: string;
  /** 3 = holding registers, 4 = input registers. */
  fn: 3 | 4;
  /** 0-based register address as sent on the wire. */
  address: number;
  type: RegisterType;
  wordOrder: WordOrder;
  byteOrder: ByteOrder;
  /**
   * Power of ten of the channel. Integer registers are taken as they are, already at this scale (a uint16 of
   * 0.1 V steps has scale -1); floats are rounded to it.
   */
  scale: number;
  unit: string;
  /** Floats only: multiplier before rounding (Eastron's kWh registers become Wh with 1000). */
  factor?: number;
}

/** Reads needed for `points`: neighbouring registers share a request. */
export function planPointReads(points: RegisterPoint[], maxGap: number, maxCount: number): ReadBlock[] {
  const spans = [];
  for (const point of points) spans.push({ fn: point.fn, address: point.address, count: registerCount(point.type) });
  return planReads(spans, maxGap, maxCount);
}

/** The fixed-point value of one point whose first register is `words[offset]`. */
export function decodePoint(point: RegisterPoint, words: Words, offset: number): number | null {
  const raw = decodeRegisters(words, offset, point.type, point.wordOrder, point.byteOrder);
  if (point.type === 'float32' || point.type === 'float64') return toFixed(raw * (point.factor ?? 1), point.scale);
  return raw;
}

/** Channels decoded from the words of each planned read (null where the read failed) and the names missing. */
export interface DecodedPoints {
  channels: SampledChannel[];
  missing: string[];
}

/** Decodes every point from the blocks read; points of failed blocks are listed as missing, not guessed. */
export function decodePoints(points: RegisterPoint[], blocks: ReadBlock[], results: (Words | null)[]): DecodedPoints {
  const channels: SampledChannel[] = [];
  const missing: string[] = [];
  for (const point of points) {
    let found = false;
    for (let i = 0; i < blocks.length; i++) {
      const block = blocks[i]!;
      const words = results[i];
      if (block.fn !== point.fn || point.address < block.address || point.address + registerCount(point.type) > block.address + block.count) continue;
      found = true;
      if (words === null || words === undefined) missing.push(point.name);
      else channels.push({ id: point.name, value: decodePoint(point, words, point.address - block.address), scale: point.scale, unit: point.unit });
      break;
    }
    if (!found) missing.push(point.name);
  }
  return { channels, missing };
}
