import { describe, expect, test } from '@jest/globals';
import { createHash } from 'node:crypto';
import { Sha256, sha256 } from '../src/sha256.ts';
import { toHex } from '../src/hex.ts';
import { mulberry32 } from '../src/random.ts';

const ascii = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'latin1'));

describe('sha256 (FIPS 180-4 examples)', () => {
  test('hashes the empty message', () => {
    expect(toHex(sha256(new Uint8Array(0)))).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
  });
  test('hashes "abc" (one block)', () => {
    expect(toHex(sha256(ascii('abc')))).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  });
  test('hashes the 448-bit message (padding spills into a second block)', () => {
    const m = ascii('abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq');
    expect(toHex(sha256(m))).toBe('248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1');
  });
  test('hashes the 896-bit message', () => {
    const m = ascii('abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu');
    expect(toHex(sha256(m))).toBe('cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1');
  });
  test('hashes one million "a" in one call', () => {
    expect(toHex(sha256(new Uint8Array(1_000_000).fill(0x61)))).toBe('cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0');
  });
  test('hashes one million "a" fed in uneven pieces', () => {
    const h = new Sha256();
    const piece = new Uint8Array(997).fill(0x61);
    let left = 1_000_000;
    while (left > 0) {
      const n = Math.min(left, piece.length);
      h.update(piece.subarray(0, n));
      left -= n;
    }
    expect(toHex(h.digest())).toBe('cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0');
  });
});

describe('sha256 against node:crypto', () => {
  test('agrees on 1,200 seeded random inputs of 0..300 bytes, every boundary length included', () => {
    const rand = mulberry32(0x5eed256);
    const lengths: number[] = [];
    for (let n = 0; n <= 300; n++) lengths.push(n); // 55, 56, 63, 64, 65, 119, 120, 127, 128 ... all present
    while (lengths.length < 1200) lengths.push(Math.floor(rand() * 301));
    let mismatches = 0;
    for (const n of lengths) {
      const data = new Uint8Array(n);
      for (let i = 0; i < n; i++) data[i] = Math.floor(rand() * 256);
      if (toHex(sha256(data)) !== createHash('sha256').update(data).digest('hex')) mismatches++;
    }
    expect(mismatches).toBe(0);
  });
  test('incremental updates split at every point give the one-shot digest', () => {
    const rand = mulberry32(42);
    const data = new Uint8Array(200);
    for (let i = 0; i < data.length; i++) data[i] = Math.floor(rand() * 256);
    const want = toHex(sha256(data));
    for (let a = 0; a <= data.length; a += 7) {
      for (let b = a; b <= data.length; b += 13) {
        const got = new Sha256().update(data.subarray(0, a)).update(data.subarray(a, b)).update(data.subarray(b)).digest();
        expect(toHex(got)).toBe(want);
      }
    }
  });
  test('does not change the input bytes', () => {
    const data = new Uint8Array(130).fill(9);
    sha256(data);
    expect(data.every((b) => b === 9)).toBe(true);
  });
});

describe('Sha256 misuse', () => {
  test('refuses update after digest', () => {
    const h = new Sha256();
    h.digest();
    expect(() => h.update(new Uint8Array(1))).toThrow(/after digest/);
  });
  test('refuses input that is not bytes (text must be encoded first)', () => {
    expect(() => sha256('abc' as unknown as Uint8Array)).toThrow(/expected a Uint8Array/);
  });
  test('refuses a second digest', () => {
    const h = new Sha256();
    h.digest();
    expect(() => h.digest()).toThrow(/twice/);
  });
});
