// The board's Modbus RTU mailbox: its holding registers (frame number, payload length, payload two bytes a register),
// the acknowledgement that takes a frame off, the exception responses, and its framing (noise and bad CRCs dropped a
// byte at a time, other units passed over). CRCs are checked with a bitwise CRC-16/MODBUS written here, independent
// of core's table-driven one.
import { describe, expect, test } from '@jest/globals';
import { createModbusMailbox, MAILBOX_REGISTERS } from '../src/modbus-mailbox.ts';

function crc(bytes: number[]): number {
  let c = 0xffff;
  for (const b of bytes) {
    c ^= b;
    for (let i = 0; i < 8; i++) c = c & 1 ? (c >>> 1) ^ 0xa001 : c >>> 1;
  }
  return c;
}

function request(unit: number, fn: number, a: number, b: number): Uint8Array {
  const body = [unit, fn, a >> 8, a & 0xff, b >> 8, b & 0xff];
  const c = crc(body);
  return new Uint8Array([...body, c & 0xff, c >> 8]);
}

function mailbox(unit = 7) {
  const out: Uint8Array[] = [];
  const m = createModbusMailbox(unit, (bytes) => out.push(bytes));
  return { m, out, last: () => Array.from(out[out.length - 1]!) };
}

function checkedBody(reply: number[]): number[] {
  const c = crc(reply.slice(0, -2));
  expect(reply.slice(-2)).toEqual([c & 0xff, c >> 8]);
  return reply.slice(0, -2);
}

describe('modbus mailbox', () => {
  test('with nothing posted, registers 0 and 1 read 0', () => {
    const { m, last } = mailbox();
    m.push(request(7, 3, 0, 2));
    expect(checkedBody(last())).toEqual([7, 3, 4, 0, 0, 0, 0]);
  });

  test('a posted payload reads as its number, its length and its bytes, two a register, the last padded', () => {
    const { m, last } = mailbox();
    m.post(new Uint8Array([0xa2, 0x63, 0x74, 0x61, 0x67]));
    m.push(request(7, 3, 0, 6));
    expect(checkedBody(last())).toEqual([7, 3, 12, 0, 1, 0, 5, 0xa2, 0x63, 0x74, 0x61, 0x67, 0, 0, 0]);
    // From the middle: register 3 holds bytes 2 and 3.
    m.push(request(7, 3, 3, 1));
    expect(checkedBody(last())).toEqual([7, 3, 2, 0x74, 0x61]);
  });

  test('writing its number to register 0 takes the frame off; a stale number changes nothing', () => {
    const { m, last } = mailbox();
    m.post(new Uint8Array([1, 2]));
    m.post(new Uint8Array([3, 4])); // replaces the first: number 2
    expect(m.counts).toMatchObject({ posted: 2, replaced: 1, taken: 0 });
    m.push(request(7, 6, 0, 1));
    expect(checkedBody(last())).toEqual([7, 6, 0, 0, 0, 1]); // answered as written (the echo)
    m.push(request(7, 3, 0, 3));
    expect(checkedBody(last())).toEqual([7, 3, 6, 0, 2, 0, 2, 3, 4]);
    m.push(request(7, 6, 0, 2));
    m.push(request(7, 3, 0, 2));
    expect(checkedBody(last())).toEqual([7, 3, 4, 0, 0, 0, 0]);
    expect(m.counts.taken).toBe(1);
  });

  test('frame numbers run 1..65535 and skip 0', () => {
    const { m, last } = mailbox();
    for (let i = 0; i < 65536; i++) m.post(new Uint8Array([i & 0xff]));
    m.push(request(7, 3, 0, 1));
    expect(checkedBody(last())).toEqual([7, 3, 2, 0, 1]);
  });

  test.each([
    ['function 4', 4, 0, 1, 1],
    ['function 16', 16, 0, 1, 1],
    ['a read of 0 registers', 3, 0, 0, 3],
    ['a read of 126 registers', 3, 0, 126, 3],
    ['a read past the mailbox', 3, MAILBOX_REGISTERS - 1, 2, 2],
    ['a write to register 1', 6, 1, 5, 2],
  ])('%s (an 8-byte request) gets an exception response', (_, fn, a, b, code) => {
    const { m, last } = mailbox();
    m.push(request(7, fn, a, b));
    expect(checkedBody(last())).toEqual([7, fn | 0x80, code]);
    expect(m.counts.exceptions).toBe(1);
  });

  test('noise and a corrupted request are dropped a byte at a time; a request to another unit gets no answer', () => {
    const { m, out, last } = mailbox();
    const bad = request(7, 3, 0, 2);
    bad[5] ^= 1;
    const bytes = [0x00, 0xff, 0x13, ...bad, ...request(8, 3, 0, 2), ...request(7, 3, 0, 1)];
    // In chunks of three, as a UART delivers them.
    for (let i = 0; i < bytes.length; i += 3) m.push(new Uint8Array(bytes.slice(i, i + 3)));
    expect(out).toHaveLength(1);
    expect(checkedBody(last())).toEqual([7, 3, 2, 0, 0]);
    expect(m.counts).toMatchObject({ answered: 1, otherUnit: 1 });
    expect(m.counts.dropped).toBeGreaterThanOrEqual(3 + 8 - 7);
  });

  test('a payload over 4 KB is refused at post', () => {
    expect(() => mailbox().m.post(new Uint8Array(4097))).toThrow(/4097 bytes/);
  });
});
