// A Modbus RTU master's frames (Modbus over serial line §2.5.1; application protocol §6.3, §6.4, §7), pure: read
// requests out, replies checked and decoded. For boards without a Modbus library (Espruino has no modbus-serial):
// the board's UART carries the bytes, a timer bounds the wait, this file decides.
import { crc16Modbus } from '@meterchain/core';

/** Builds a read request (function 3 holding or 4 input registers) with its CRC, 8 bytes. */
export function rtuReadRequest(unit: number, fn: number, address: number, count: number): Uint8Array {
  if (!(unit >= 1 && unit <= 247) || (fn !== 3 && fn !== 4) || !(address >= 0 && address <= 0xffff) || !(count >= 1 && count <= 125)) {
    throw new Error(`expected unit 1-247, function 3 or 4, address 0-65535 and 1-125 registers, got ${unit}, ${fn}, ${address}, ${count}`);
  }
  const out = new Uint8Array(8);
  out[0] = unit;
  out[1] = fn;
  out[2] = address >> 8;
  out[3] = address & 0xff;
  out[4] = count >> 8;
  out[5] = count & 0xff;
  const crc = crc16Modbus(out, 0, 6);
  out[6] = crc & 0xff;
  out[7] = crc >> 8;
  return out;
}

/** What the bytes received so far say about the reply to one read request. */
export type RtuReply =
  | { state: 'incomplete' }
  | { state: 'ok'; words: Uint16Array }
  /** `exception` is the Modbus exception code when the device answered with one (§7), else 0. */
  | { state: 'error'; reason: string; exception: number };

function failure(reason: string, exception: number): RtuReply {
  return { state: 'error', reason, exception };
}

/**
 * Checks the first `length` bytes of `bytes` as the reply to a read of `count` registers with function `fn` from
 * `unit`: incomplete until a whole frame is there; then the unit id, function code, byte count and CRC must all be
 * right (a late reply to an earlier request fails here rather than being taken as this one's).
 */
export function rtuReadReply(bytes: Uint8Array, length: number, unit: number, fn: number, count: number): RtuReply {
  if (length < 2) return { state: 'incomplete' };
  if (bytes[0] !== unit) return failure(`reply from unit ${bytes[0]}, expected ${unit}`, 0);
  if (bytes[1] === (fn | 0x80)) {
    if (length < 5) return { state: 'incomplete' };
    const crc = crc16Modbus(bytes, 0, 3);
    if (bytes[3] !== (crc & 0xff) || bytes[4] !== crc >> 8) return failure('CRC error in an exception reply', 0);
    return failure(`exception ${bytes[2]} from unit ${unit}`, bytes[2]!);
  }
  if (bytes[1] !== fn) return failure(`reply with function ${bytes[1]}, expected ${fn}`, 0);
  if (length < 3) return { state: 'incomplete' };
  if (bytes[2] !== count * 2) return failure(`reply with ${bytes[2]} data bytes, expected ${count * 2}`, 0);
  const end = 3 + count * 2;
  if (length < end + 2) return { state: 'incomplete' };
  const crc = crc16Modbus(bytes, 0, end);
  if (bytes[end] !== (crc & 0xff) || bytes[end + 1] !== crc >> 8) return failure('CRC error', 0);
  const words = new Uint16Array(count);
  for (let i = 0; i < count; i++) words[i] = (bytes[3 + 2 * i]! << 8) | bytes[4 + 2 * i]!;
  return { state: 'ok', words };
}
