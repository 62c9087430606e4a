// Modbus RTU application data units as the cluster's line uses them (Modbus over serial line §2.5.1): the two
// function codes of the link (0x03 Read Holding Registers, 0x10 Write Multiple Registers, Modbus application
// protocol §6.3 and §6.12), their exception answers, and a decoder that finds frames in the byte stream of a drop.
//
// A drop hears every frame on the line: requests, other members' answers, and garbage from collisions and noise. The
// 3.5-character silence that delimits RTU frames does not survive a pty (bytes arrive in batches), so the decoder
// delimits by length and CRC: for each function code the request and the response length follow from the first
// bytes; a candidate whose CRC-16 checks is a frame; when no candidate can check, one byte is dropped and the search
// goes on. A false frame needs a CRC to match by chance (1 in 65,536 per candidate), and what it carries is checked
// again above (piece numbers, message lengths, and the signatures of the consensus layer).
import { crc16Modbus } from '@meterchain/core';

export const FC_READ_HOLDING = 0x03;
export const FC_WRITE_MULTIPLE = 0x10;
/** Largest RTU frame: address, 253-byte PDU, CRC (§2.5.1). */
export const MAX_RTU_FRAME = 256;
/** Registers in one read (§6.3: 1..125) and one write (§6.12: 1..123). */
export const MAX_READ_REGISTERS = 125;
export const MAX_WRITE_REGISTERS = 123;
export const BROADCAST_UNIT = 0;

export type RtuFrame =
  | { kind: 'read-request'; unit: number; address: number; quantity: number }
  | { kind: 'read-response'; unit: number; data: Uint8Array }
  | { kind: 'write-request'; unit: number; address: number; data: Uint8Array }
  | { kind: 'write-response'; unit: number; address: number; quantity: number }
  | { kind: 'exception'; unit: number; functionCode: number; code: number };

function withCrc(body: number[] | Uint8Array): Uint8Array {
  const out = new Uint8Array(body.length + 2);
  out.set(body);
  const crc = crc16Modbus(out, 0, body.length);
  out[body.length] = crc & 0xff;
  out[body.length + 1] = crc >> 8;
  return out;
}

function checkUnit(unit: number, broadcastAllowed: boolean): void {
  if (!Number.isInteger(unit) || unit < (broadcastAllowed ? 0 : 1) || unit > 247) throw new RangeError(`modbus rtu: expected a unit id in ${broadcastAllowed ? 0 : 1}..247, got ${unit}`);
}

export function encodeReadRequest(unit: number, address: number, quantity: number): Uint8Array {
  checkUnit(unit, false);
  if (!Number.isInteger(quantity) || quantity < 1 || quantity > MAX_READ_REGISTERS) throw new RangeError(`modbus rtu: expected 1..125 registers, got ${quantity}`);
  return withCrc([unit, FC_READ_HOLDING, address >> 8, address & 0xff, quantity >> 8, quantity & 0xff]);
}

export function encodeReadResponse(unit: number, data: Uint8Array): Uint8Array {
  if (data.length % 2 !== 0 || data.length > 2 * MAX_READ_REGISTERS) throw new RangeError(`modbus rtu: expected an even number of bytes up to 250, got ${data.length}`);
  const body = new Uint8Array(3 + data.length);
  body[0] = unit;
  body[1] = FC_READ_HOLDING;
  body[2] = data.length;
  body.set(data, 3);
  return withCrc(body);
}

export function encodeWriteRequest(unit: number, address: number, data: Uint8Array): Uint8Array {
  checkUnit(unit, true);
  if (data.length === 0 || data.length % 2 !== 0 || data.length > 2 * MAX_WRITE_REGISTERS) throw new RangeError(`modbus rtu: expected an even number of bytes, 2..246, got ${data.length}`);
  const quantity = data.length / 2;
  const body = new Uint8Array(7 + data.length);
  body.set([unit, FC_WRITE_MULTIPLE, address >> 8, address & 0xff, quantity >> 8, quantity & 0xff, data.length]);
  body.set(data, 7);
  return withCrc(body);
}

export function encodeWriteResponse(unit: number, address: number, quantity: number): Uint8Array {
  return withCrc([unit, FC_WRITE_MULTIPLE, address >> 8, address & 0xff, quantity >> 8, quantity & 0xff]);
}

export function encodeException(unit: number, functionCode: number, code: number): Uint8Array {
  return withCrc([unit, functionCode | 0x80, code]);
}

function crcAt(bytes: Uint8Array, length: number): boolean {
  const crc = crc16Modbus(bytes, 0, length - 2);
  return bytes[length - 2] === (crc & 0xff) && bytes[length - 1] === crc >> 8;
}

/** Candidate lengths of a frame starting at bytes[0], given the bytes seen so far (undefined: not yet known). */
function candidates(bytes: Uint8Array): Array<{ length: number | undefined; parse: (b: Uint8Array) => RtuFrame | undefined }> {
  const fc = bytes[1]!;
  const unit = bytes[0]!;
  const u16 = (b: Uint8Array, i: number) => (b[i]! << 8) | b[i + 1]!;
  if (fc === FC_READ_HOLDING) {
    const responseLength = bytes.length > 2 ? 5 + bytes[2]! : undefined;
    return [
      { length: 8, parse: (b) => ({ kind: 'read-request', unit, address: u16(b, 2), quantity: u16(b, 4) }) },
      {
        length: responseLength !== undefined && bytes[2]! % 2 === 0 && bytes[2]! > 0 && bytes[2]! <= 250 ? responseLength : bytes.length > 2 ? -1 : undefined,
        parse: (b) => ({ kind: 'read-response', unit, data: b.slice(3, 3 + b[2]!) }),
      },
    ];
  }
  if (fc === FC_WRITE_MULTIPLE) {
    const count = bytes.length > 6 ? bytes[6]! : undefined;
    const plausible = count !== undefined && count > 0 && count % 2 === 0 && count <= 246 && count === 2 * u16(bytes, 4);
    return [
      { length: 8, parse: (b) => ({ kind: 'write-response', unit, address: u16(b, 2), quantity: u16(b, 4) }) },
      { length: count === undefined ? undefined : plausible ? 9 + count : -1, parse: (b) => ({ kind: 'write-request', unit, address: u16(b, 2), data: b.slice(7, 7 + b[6]!) }) },
    ];
  }
  if (fc === (FC_READ_HOLDING | 0x80) || fc === (FC_WRITE_MULTIPLE | 0x80)) {
    return [{ length: 5, parse: (b) => ({ kind: 'exception', unit, functionCode: fc & 0x7f, code: b[2]! }) }];
  }
  return [];
}

/**
 * Finds RTU frames in the bytes a drop receives. push() returns the frames completed by a chunk; flush() (after a
 * silence longer than a frame) drops what cannot complete. Memory stays under one frame plus one chunk.
 */
export class RtuFrameDecoder {
  #buffer = new Uint8Array(0);
  /** Bytes skipped while searching for a frame (garbage, damaged frames). */
  skipped = 0;

  push(chunk: Uint8Array): RtuFrame[] {
    const merged = new Uint8Array(this.#buffer.length + chunk.length);
    merged.set(this.#buffer);
    merged.set(chunk, this.#buffer.length);
    let bytes = merged;
    const frames: RtuFrame[] = [];
    while (bytes.length >= 2) {
      const list = candidates(bytes);
      let found: { length: number; frame: RtuFrame } | undefined;
      let waiting = false;
      for (const c of list) {
        if (c.length === undefined) {
          waiting = true;
          continue;
        }
        if (c.length < 0) continue;
        if (bytes.length < c.length) {
          waiting = true;
          continue;
        }
        if (c.length <= MAX_RTU_FRAME && crcAt(bytes, c.length)) {
          const frame = c.parse(bytes);
          if (frame) {
            found = { length: c.length, frame };
            break;
          }
        }
      }
      if (found) {
        frames.push(found.frame);
        bytes = bytes.subarray(found.length);
        continue;
      }
      if (waiting) break;
      bytes = bytes.subarray(1);
      this.skipped++;
    }
    this.#buffer = bytes.slice();
    return frames;
  }

  /**
   * Bytes read after a silence. The partial frame held is kept if they complete it into a frame whose CRC checks
   * (a reader held up between two reads of one frame hears a silence the line never had), and dropped first if not
   * (its sender stopped, or it was garbage): a stray partial frame cannot hold back the frames after it.
   */
  pushAfterSilence(chunk: Uint8Array): RtuFrame[] {
    if (this.#buffer.length > 0 && !this.#completedBy(chunk)) this.flush();
    return this.push(chunk);
  }

  #completedBy(chunk: Uint8Array): boolean {
    const merged = new Uint8Array(this.#buffer.length + chunk.length);
    merged.set(this.#buffer);
    merged.set(chunk, this.#buffer.length);
    if (merged.length < 2) return false;
    return candidates(merged).some((c) => c.length !== undefined && c.length > this.#buffer.length && c.length <= Math.min(merged.length, MAX_RTU_FRAME) && crcAt(merged, c.length) && c.parse(merged) !== undefined);
  }

  /** Drops a partial frame (the line went quiet: nothing will complete it). */
  flush(): void {
    this.skipped += this.#buffer.length;
    this.#buffer = new Uint8Array(0);
  }

  get buffered(): number {
    return this.#buffer.length;
  }
}

/** Wire time of `bytes` bytes at `baudRate` with `bitsPerByte` bit times each, ms. */
export function wireMs(bytes: number, baudRate: number, bitsPerByte: number): number {
  return (1000 * bytes * bitsPerByte) / baudRate;
}

/** The silence that ends an RTU frame: 3.5 characters, and at least 1.75 ms above 19,200 baud (§2.5.1.1). */
export function interFrameMs(baudRate: number, bitsPerByte: number): number {
  return baudRate > 19200 ? 1.75 : wireMs(3.5, baudRate, bitsPerByte);
}
