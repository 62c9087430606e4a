import { describe, expect, test } from '@jest/globals';
import { createHash, createHmac } from 'node:crypto';
import { constantTimeEqual, hmacSha256, keyedHmacSha256, verifyHmacSha256 } from '../src/hmac.ts';
import { Domain, signingInput } from '../src/envelope.ts';
import { fromHex, toHex } from '../src/hex.ts';
import type { Hash } from '../src/sha256.ts';

const ascii = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'latin1'));
const filled = (n: number, b: number): Uint8Array => new Uint8Array(n).fill(b);

// RFC 4231 §4.2–4.8, HMAC-SHA-256 outputs.
const RFC4231: { name: string; key: Uint8Array; data: Uint8Array; mac: string }[] = [
  { name: 'case 1', key: filled(20, 0x0b), data: ascii('Hi There'), mac: 'b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7' },
  { name: 'case 2 (short key)', key: ascii('Jefe'), data: ascii('what do ya want for nothing?'), mac: '5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843' },
  { name: 'case 3', key: filled(20, 0xaa), data: filled(50, 0xdd), mac: '773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe' },
  { name: 'case 4', key: fromHex('0102030405060708090a0b0c0d0e0f10111213141516171819'), data: filled(50, 0xcd), mac: '82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b' },
  { name: 'case 6 (key longer than a block)', key: filled(131, 0xaa), data: ascii('Test Using Larger Than Block-Size Key - Hash Key First'), mac: '60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54' },
  {
    name: 'case 7 (key and data longer than a block)',
    key: filled(131, 0xaa),
    data: ascii('This is a test using a larger than block-size key and a larger than block-size data. The key needs to be hashed before being used by the HMAC algorithm.'),
    mac: '9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2',
  },
];

const nodeSha256: Hash = (data) => new Uint8Array(createHash('sha256').update(data).digest());

describe('hmacSha256 (RFC 4231)', () => {
  for (const v of RFC4231) {
    test(`gives the RFC output for ${v.name}`, () => {
      expect(toHex(hmacSha256(v.key, v.data))).toBe(v.mac);
    });
  }
  test('case 5: the first 128 bits match the truncated output', () => {
    expect(toHex(hmacSha256(filled(20, 0x0c), ascii('Test With Truncation')).subarray(0, 16))).toBe('a3b6167473100ee06e0c796c2955552b');
  });
  test('gives the same output when a native one-shot hash is passed in', () => {
    for (const v of RFC4231) expect(toHex(hmacSha256(v.key, v.data, nodeSha256))).toBe(v.mac);
  });
  test('agrees with node:crypto for key lengths 0..130 around the block size', () => {
    const data = ascii('meter reading');
    for (let n = 0; n <= 130; n++) {
      const key = new Uint8Array(n).map((_, i) => (i * 31 + n) & 0xff);
      expect(toHex(hmacSha256(key, data))).toBe(createHmac('sha256', key).update(data).digest('hex'));
    }
  });
});

describe('verifyHmacSha256', () => {
  const key = filled(32, 7);
  const data = ascii('reading 42');
  const tag = hmacSha256(key, data);
  test('accepts the right tag', () => {
    expect(verifyHmacSha256(key, data, tag)).toBe(true);
  });
  test('rejects a tag with any one bit flipped', () => {
    for (let i = 0; i < 32 * 8; i++) {
      const bad = tag.slice();
      bad[i >> 3]! ^= 1 << (i & 7);
      expect(verifyHmacSha256(key, data, bad)).toBe(false);
    }
  });
  test('rejects truncated, empty and non-byte tags without throwing', () => {
    expect(verifyHmacSha256(key, data, tag.subarray(0, 16))).toBe(false);
    expect(verifyHmacSha256(key, data, new Uint8Array(0))).toBe(false);
    expect(verifyHmacSha256(key, data, 'x' as unknown as Uint8Array)).toBe(false);
  });
  test('constantTimeEqual says unequal for different lengths', () => {
    expect(constantTimeEqual(new Uint8Array([1]), new Uint8Array([1, 0]))).toBe(false);
    expect(constantTimeEqual(new Uint8Array([1, 2]), new Uint8Array([1, 2]))).toBe(true);
  });
});

describe('keyedHmacSha256: one key, its pads prepared once', () => {
  test('gives hmacSha256 over prefix ‖ data, for the RFC 4231 keys (one longer than a block) and a domain prefix', () => {
    const prefix = signingInput(Domain.SENSOR, new Uint8Array(0));
    for (const v of RFC4231) {
      const mac = keyedHmacSha256(v.key, nodeSha256, prefix);
      for (const data of [v.data, new Uint8Array(0), filled(300, 0xa5)]) {
        const whole = new Uint8Array(prefix.length + data.length);
        whole.set(prefix, 0);
        whole.set(data, prefix.length);
        expect(toHex(mac(data))).toBe(toHex(hmacSha256(v.key, whole)));
      }
    }
  });
});
