import { describe, expect, test } from '@jest/globals';
import zlib from 'node:zlib';
import { concatBytes, crc32, encode, toHex, writeUintBE } from '@meterchain/core';
import { frame } from '../src/node.ts';

/** The frame as the generic encoder builds it: length, CBOR {body, tag}, CRC-32 (zlib's) low byte first. */
function genericFrame(body: Uint8Array, tag: Uint8Array): Uint8Array {
  const payload = encode({ body, tag });
  const head = new Uint8Array(2);
  writeUintBE(head, 0, 2, payload.length);
  const crc = zlib.crc32(concatBytes([head, payload]));
  return concatBytes([head, payload, new Uint8Array([crc & 0xff, (crc >>> 8) & 0xff, (crc >>> 16) & 0xff, crc >>> 24])]);
}

describe('the serial frame written in place', () => {
  test.each([0, 1, 23, 24, 255, 256, 1000, 4096])('is the generic encoder\'s frame for a %i-byte body', (n) => {
    const body = new Uint8Array(n);
    for (let i = 0; i < n; i++) body[i] = (i * 37 + 11) & 0xff;
    const tag = new Uint8Array(32);
    for (let i = 0; i < 32; i++) tag[i] = 255 - i;
    expect(toHex(frame(body, tag, (b) => crc32(b)))).toBe(toHex(genericFrame(body, tag)));
  });
});
