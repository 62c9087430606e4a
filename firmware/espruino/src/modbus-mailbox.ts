// The sensor node as a Modbus RTU server on its link (Modbus Application Protocol V1.1b3 §6.3, §6.6; Modbus over
// Serial Line V1.02 §2.5): the full node polls the board's latest frame out of holding registers and acknowledges it.
// For a link that is a Modbus bus already, or a full node that only speaks Modbus. Portable: it runs on Espruino.
//
//   register 0        frame number: 1-65535 while a frame waits, 0 when none
//   register 1        the frame's payload length in bytes (the CBOR `{body, tag}`)
//   registers 2..     the payload, two bytes a register, big-endian, the last padded with 0
//
// The full node reads registers 0-1 and the payload (function 3, at most 125 registers a request), reads register 0
// again (an unchanged number means the payload it read is one frame's: a new reading replaces the frame between
// requests, never during one), and writes that number to register 0 (function 6) to take the frame off. A frame not
// taken is replaced by the next reading's: the board keeps one, never a queue.
import { crc16Modbus } from '@meterchain/core';

/** Registers in the mailbox: the two of the header and the largest payload (4,096 bytes, the full node's limit). */
export const MAILBOX_REGISTERS = 2 + 4096 / 2;

export interface MailboxCounts {
  /** Requests answered, exceptions among them; requests to another unit, and bytes dropped to find a request. */
  answered: number;
  exceptions: number;
  otherUnit: number;
  dropped: number;
  /** Frames posted, taken by the full node's acknowledgement, and replaced before they were taken. */
  posted: number;
  taken: number;
  replaced: number;
}

export interface ModbusMailbox {
  /** Offers `payload` (the frame's CBOR `{body, tag}`, at most 4,096 bytes) in place of the one waiting. */
  post(payload: Uint8Array): void;
  /** Bytes from the link; answers go out through `send`. */
  push(bytes: Uint8Array): void;
  readonly counts: MailboxCounts;
}

/**
 * A mailbox answering as unit `unit` (1-247). It holds one request's 8 bytes at most: noise, or a request whose CRC
 * does not match, drops a byte at a time until a request is found; a request to another unit is passed over silently.
 */
export function createModbusMailbox(unit: number, send: (bytes: Uint8Array) => void): ModbusMailbox {
  // Everything is made here, not at load: on Espruino what a file defines at load takes heap for good, and a
  // Puck.js-sized heap running the firmware over a plain serial link has none to spare for a mailbox it does not use.
  /** A request of function 3 or 6 is 8 bytes: unit, function, two 16-bit fields, CRC. */
  const REQUEST_LENGTH = 8;
  /** Function 3 reads at most 125 registers (§6.3). */
  const MAX_READ = 125;
  const counts: MailboxCounts = { answered: 0, exceptions: 0, otherUnit: 0, dropped: 0, posted: 0, taken: 0, replaced: 0 };
  const held = new Uint8Array(REQUEST_LENGTH);
  let have = 0;
  let payload: Uint8Array | undefined;
  let number = 0;
  let lastNumber = 0;

  function register(address: number): number {
    if (address === 0) return payload ? number : 0;
    if (address === 1) return payload ? payload.length : 0;
    const at = 2 * (address - 2);
    if (!payload || at >= payload.length) return 0;
    return (payload[at]! << 8) | (at + 1 < payload.length ? payload[at + 1]! : 0);
  }

  function withCrc(out: Uint8Array): Uint8Array {
    const crc = crc16Modbus(out, 0, out.length - 2);
    out[out.length - 2] = crc & 0xff;
    out[out.length - 1] = crc >> 8;
    return out;
  }

  function answer(out: Uint8Array): void {
    counts.answered++;
    send(out);
  }

  /** An exception response (§7): the function code with its high bit set, and the exception code (1 illegal
   * function, 2 illegal data address, 3 illegal data value). */
  function fail(fn: number, code: number): void {
    counts.exceptions++;
    answer(withCrc(new Uint8Array([unit, fn | 0x80, code, 0, 0])));
  }

  function serve(fn: number, address: number, value: number): void {
    if (fn === 3) {
      if (value < 1 || value > MAX_READ) return fail(fn, 3);
      if (address + value > MAILBOX_REGISTERS) return fail(fn, 2);
      const out = new Uint8Array(3 + 2 * value + 2);
      out[0] = unit;
      out[1] = 3;
      out[2] = 2 * value;
      for (let i = 0; i < value; i++) {
        const r = register(address + i);
        out[3 + 2 * i] = r >> 8;
        out[4 + 2 * i] = r & 0xff;
      }
      return answer(withCrc(out));
    }
    if (fn === 6) {
      if (address !== 0) return fail(fn, 2);
      // The number of the frame waiting takes it off; any other (a late acknowledgement of a replaced frame) is
      // answered as written and changes nothing.
      if (payload && value === number) {
        payload = undefined;
        counts.taken++;
      }
      // The response to function 6 is the request itself (§6.6); a copy (on Espruino a typed array's slice() is an Array).
      return answer(new Uint8Array(held));
    }
    fail(fn, 1);
  }

  return {
    counts,
    post(next) {
      if (next.length > 4096) throw new Error(`modbus mailbox: a payload of ${next.length} bytes is over 4096`);
      if (payload) counts.replaced++;
      payload = next;
      lastNumber = lastNumber === 0xffff ? 1 : lastNumber + 1;
      number = lastNumber;
      counts.posted++;
    },
    push(bytes) {
      for (let i = 0; i < bytes.length; i++) {
        held[have++] = bytes[i]!;
        while (have === REQUEST_LENGTH) {
          const crc = crc16Modbus(held, 0, REQUEST_LENGTH - 2);
          if ((crc & 0xff) !== held[6] || crc >> 8 !== held[7]) {
            // Not a request here: drop its first byte and look again from the next.
            for (let k = 1; k < REQUEST_LENGTH; k++) held[k - 1] = held[k]!;
            have--;
            counts.dropped++;
            continue;
          }
          have = 0;
          if (held[0] !== unit) counts.otherUnit++;
          else serve(held[1]!, (held[2]! << 8) | held[3]!, (held[4]! << 8) | held[5]!);
        }
      }
    },
  };
}
