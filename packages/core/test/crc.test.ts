import { describe, expect, test } from '@jest/globals';
import zlib from 'node:zlib';
import { crc16Modbus, crc32, crcCcitt } from '../src/crc.ts';
import { utf8Encode } from '../src/bytes.ts';

const check = utf8Encode('123456789');

describe('CRC-16/MODBUS', () => {
  test('gives the catalogue check value 0x4B37 for "123456789"', () => {
    expect(crc16Modbus(check)).toBe(0x4b37);
  });
  test('matches a real read-holding-registers request: 01 03 00 00 00 0A -> C5 CD', () => {
    const frame = new Uint8Array([0x01, 0x03, 0x00, 0x00, 0x00, 0x0a]);
    const crc = crc16Modbus(frame);
    expect([crc & 0xff, crc >> 8]).toEqual([0xc5, 0xcd]);
  });
  test('covers only the given range', () => {
    const framed = new Uint8Array([9, 9, ...check, 9]);
    expect(crc16Modbus(framed, 2, 11)).toBe(0x4b37);
  });
});

describe('CRC-16/CCITT-FALSE', () => {
  test('gives the catalogue check value 0x29B1 for "123456789"', () => {
    expect(crcCcitt(check)).toBe(0x29b1);
  });
  test('changes when any single bit flips', () => {
    const base = crcCcitt(check);
    for (let i = 0; i < check.length * 8; i++) {
      const m = check.slice();
      m[i >> 3] ^= 1 << (i & 7);
      expect(crcCcitt(m)).not.toBe(base);
    }
  });
});

describe('CRC-32 (ISO-HDLC, as zlib and Espruino\'s E.CRC32)', () => {
  test('check value over "123456789" is 0xCBF43926', () => {
    expect(crc32(new TextEncoder().encode('123456789'))).toBe(0xcbf43926);
  });

  test('agrees with zlib over a range of a larger buffer', () => {
    const data = new Uint8Array(1000);
    for (let i = 0; i < data.length; i++) data[i] = (i * 131 + 7) & 0xff;
    expect(crc32(data, 100, 900)).toBe(zlib.crc32(data.subarray(100, 900)));
    expect(crc32(new Uint8Array(0))).toBe(0);
  });
});
