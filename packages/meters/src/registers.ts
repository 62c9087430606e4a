// Register words to numbers: the Modbus data model is 16-bit big-endian words; multi-word values come in either
// word order (devices and gateways differ), and a few devices also swap the bytes inside each word.

/** Order of the 16-bit words of a multi-word value: `big` = high word first (Modbus convention, SunSpec, Eastron). */
export type WordOrder = 'big' | 'little';
/** Order of the two bytes inside each word: `big` = high byte first (the Modbus standard). */
export type ByteOrder = 'big' | 'little';

export type RegisterType = 'uint16' | 'int16' | 'uint32' | 'int32' | 'float32' | 'float64';

/** Number of 16-bit registers each type takes. */
export function registerCount(type: RegisterType): number {
  if (type === 'uint16' || type === 'int16') return 1;
  if (type === 'float64') return 4;
  return 2;
}

// One scratch buffer for every decode: no allocation per value (drivers run on small devices).
const scratch = new DataView(new ArrayBuffer(8));

/** Registers as read from the bus: any indexable list of 16-bit words. */
export interface Words {
  readonly length: number;
  readonly [index: number]: number;
}

function loadWords(words: Words, offset: number, count: number, wordOrder: WordOrder, byteOrder: ByteOrder): void {
  if (offset < 0 || offset + count > words.length) {
    throw new Error(`register offset ${offset} + ${count} is outside the ${words.length} registers read`);
  }
  for (let i = 0; i < count; i++) {
    const word = words[wordOrder === 'big' ? offset + i : offset + count - 1 - i]! & 0xffff;
    const swapped = byteOrder === 'big' ? word : ((word & 0xff) << 8) | (word >> 8);
    scratch.setUint16(i * 2, swapped);
  }
}

/** Decodes one value of `type` at `offset` in `words`. Float NaN comes back as NaN (callers map it to null). */
export function decodeRegisters(words: Words, offset: number, type: RegisterType, wordOrder: WordOrder, byteOrder: ByteOrder): number {
  loadWords(words, offset, registerCount(type), wordOrder, byteOrder);
  if (type === 'uint16') return scratch.getUint16(0);
  if (type === 'int16') return scratch.getInt16(0);
  if (type === 'uint32') return scratch.getUint32(0);
  if (type === 'int32') return scratch.getInt32(0);
  if (type === 'float32') return scratch.getFloat32(0);
  return scratch.getFloat64(0);
}

/** Raw 16-bit words of one value, in register order (for sentinel checks such as 0x8000 or 0xFFFFFFFF). */
export function rawUint32(words: Words, offset: number): number {
  return ((words[offset]! & 0xffff) * 65536) + (words[offset + 1]! & 0xffff);
}

/** Encodes `value` as `type` into `words` at `offset` (used by simulators and tests). */
export function encodeRegisters(words: { [index: number]: number; length: number }, offset: number, type: RegisterType, value: number, wordOrder: WordOrder, byteOrder: ByteOrder): void {
  if (type === 'uint16') scratch.setUint16(0, value);
  else if (type === 'int16') scratch.setInt16(0, value);
  else if (type === 'uint32') scratch.setUint32(0, value);
  else if (type === 'int32') scratch.setInt32(0, value);
  else if (type === 'float32') scratch.setFloat32(0, value);
  else scratch.setFloat64(0, value);
  const count = registerCount(type);
  for (let i = 0; i < count; i++) {
    const word = scratch.getUint16(i * 2);
    const ordered = byteOrder === 'big' ? word : ((word & 0xff) << 8) | (word >> 8);
    words[wordOrder === 'big' ? offset + i : offset + count - 1 - i] = ordered;
  }
}

/** ASCII text packed two characters per register, high byte first, trailing NULs and spaces removed. */
export function decodeString(words: Words, offset: number, count: number): string {
  let text = '';
  for (let i = 0; i < count; i++) {
    const word = words[offset + i]! & 0xffff;
    const high = word >> 8;
    const low = word & 0xff;
    if (high === 0) break;
    text += String.fromCharCode(high);
    if (low === 0) break;
    text += String.fromCharCode(low);
  }
  let end = text.length;
  while (end > 0 && text.charCodeAt(end - 1) <= 0x20) end--;
  return text.slice(0, end);
}

/** One read request a driver issues: function 3 (holding) or 4 (input), 0-based start address, register count. */
export interface ReadBlock {
  fn: 3 | 4;
  address: number;
  count: number;
}

/** The Modbus limit for one read of holding or input registers (Modbus application protocol §6.3, §6.4). */
export const MAX_READ_REGISTERS = 125;

/**
 * Groups register spans of one function into as few reads as possible: spans closer than `maxGap` registers
 * share a read (reading a few unused registers costs less than another request at 9600 baud), no read exceeds
 * `maxCount` registers.
 */
export function planReads(spans: { fn: 3 | 4; address: number; count: number }[], maxGap: number, maxCount: number): ReadBlock[] {
  const sorted = spans.slice().sort((a, b) => (a.fn - b.fn) || (a.address - b.address));
  const blocks: ReadBlock[] = [];
  let current: ReadBlock | null = null;
  for (const span of sorted) {
    if (span.count > maxCount) throw new Error(`a value of ${span.count} registers exceeds the ${maxCount}-register read limit`);
    const end = span.address + span.count;
    if (current !== null && current.fn === span.fn && span.address - (current.address + current.count) <= maxGap && end - current.address <= maxCount) {
      if (end > current.address + current.count) current.count = end - current.address;
    } else {
      current = { fn: span.fn, address: span.address, count: span.count };
      blocks.push(current);
    }
  }
  return blocks;
}

/**
 * A 0-based register as integrators look it up: decimal, hex, and the Modicon reference of data sheets
 * (30001 + address for input, 40001 + address for holding registers) where it exists: `70 (0x0046, 30071)`.
 */
export function registerReference(fn: number, address: number): string {
  const hex = '0x' + ('0000' + address.toString(16).toUpperCase()).slice(-4);
  if (address <= 9998 && (fn === 3 || fn === 4)) return `${address} (${hex}, ${(fn === 4 ? 30001 : 40001) + address})`;
  return `${address} (${hex})`;
}
