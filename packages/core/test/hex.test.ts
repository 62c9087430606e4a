import { describe, expect, test } from '@jest/globals';
import { fromHex, isHex, toHex } from '../src/hex.ts';

describe('hex', () => {
  test('round-trips every byte value', () => {
    const all = new Uint8Array(256);
    for (let i = 0; i < 256; i++) all[i] = i;
    expect(fromHex(toHex(all))).toEqual(all);
    expect(toHex(new Uint8Array([0, 15, 16, 255]))).toBe('000f10ff');
  });
  test('accepts upper case and refuses odd lengths and stray characters', () => {
    expect(fromHex('ABcd')).toEqual(new Uint8Array([0xab, 0xcd]));
    expect(() => fromHex('abc')).toThrow(/even number/);
    expect(() => fromHex('zz')).toThrow(/position 0/);
    expect(isHex('00ff', 2)).toBe(true);
    expect(isHex('00ff', 3)).toBe(false);
    expect(isHex('0g')).toBe(false);
  });
});
