// CRC-16/MODBUS framing checks for RTU (Modbus over serial line §2.5.1.2): the CRC itself is core's table-driven one,
// sent low byte first.
import { crc16Modbus } from '@meterchain/core';

export const crc16 = crc16Modbus;

/** True when the last two bytes of `frame` are the CRC of the rest. */
export function crcOk(frame: Uint8Array): boolean {
  if (frame.length < 4) return false;
  const crc = crc16Modbus(frame, 0, frame.length - 2);
  return frame[frame.length - 2] === (crc & 0xff) && frame[frame.length - 1] === crc >> 8;
}
