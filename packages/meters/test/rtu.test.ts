import { describe, expect, test } from '@jest/globals';
import { crc16Modbus } from '@meterchain/core';
import { rtuReadReply, rtuReadRequest } from '../src/index.ts';

function withCrc(bytes: number[]): Uint8Array {
  const out = new Uint8Array(bytes.length + 2);
  out.set(bytes, 0);
  const crc = crc16Modbus(out, 0, bytes.length);
  out[bytes.length] = crc & 0xff;
  out[bytes.length + 1] = crc >> 8;
  return out;
}

describe('Modbus RTU read requests', () => {
  test('read input registers 0x0000, 2 registers, unit 1: 01 04 00 00 00 02 71 CB', () => {
    expect(Array.from(rtuReadRequest(1, 4, 0, 2))).toEqual([0x01, 0x04, 0x00, 0x00, 0x00, 0x02, 0x71, 0xcb]);
  });

  test('refuses what no device can answer', () => {
    expect(() => rtuReadRequest(0, 4, 0, 2)).toThrow(/unit 1-247/);
    expect(() => rtuReadRequest(1, 4, 0, 126)).toThrow(/1-125 registers/);
  });
});

describe('Modbus RTU read replies', () => {
  const reply = withCrc([1, 4, 4, 0x43, 0x66, 0x80, 0x00]);

  test('a whole reply gives its words; each shorter prefix is incomplete', () => {
    expect(rtuReadReply(reply, reply.length, 1, 4, 2)).toEqual({ state: 'ok', words: new Uint16Array([0x4366, 0x8000]) });
    for (let n = 0; n < reply.length; n++) expect(rtuReadReply(reply, n, 1, 4, 2).state).toBe('incomplete');
  });

  test('an exception reply names its code', () => {
    const exception = withCrc([1, 0x84, 2]);
    expect(rtuReadReply(exception, exception.length, 1, 4, 2)).toEqual({ state: 'error', reason: 'exception 2 from unit 1', exception: 2 });
  });

  test.each([
    ['another unit', withCrc([2, 4, 4, 0, 0, 0, 0]), /from unit 2/],
    ['another function', withCrc([1, 3, 4, 0, 0, 0, 0]), /function 3/],
    ['another byte count (a late reply to another read)', withCrc([1, 4, 2, 0, 0]), /2 data bytes/],
    ['a bad CRC', new Uint8Array([1, 4, 4, 0x43, 0x66, 0x80, 0x00, 0, 0]), /CRC error/],
  ])('refuses %s', (_, bytes, reason) => {
    const verdict = rtuReadReply(bytes, bytes.length, 1, 4, 2);
    expect(verdict.state).toBe('error');
    expect(verdict.state === 'error' && verdict.reason).toMatch(reason);
  });
});
