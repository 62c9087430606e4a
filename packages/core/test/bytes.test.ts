import { describe, expect, test } from '@jest/globals';
import { compareBytes, concatBytes, equalBytes, readUintBE, utf8Encode, writeUintBE } from '../src/bytes.ts';

describe('bytes', () => {
  test('utf8Encode matches the platform encoder on ASCII, 2-, 3- and 4-byte characters', () => {
    for (const s of ['', 'abc', 'é', 'Ω€', '電力計', '𝄞 meter', '\u0000\u007f\u0080\u07ff\u0800\uffff']) {
      expect(utf8Encode(s)).toEqual(new Uint8Array(Buffer.from(s, 'utf8')));
    }
  });
  test('utf8Encode refuses lone surrogates', () => {
    expect(() => utf8Encode('\ud800')).toThrow(/lone surrogate/);
    expect(() => utf8Encode('a\udc00b')).toThrow(/lone surrogate/);
    expect(() => utf8Encode('\ud800a')).toThrow(/lone surrogate/);
    expect(() => utf8Encode('a\udbff')).toThrow(/lone surrogate/);
  });
  test('compareBytes orders bytewise, shorter prefix first', () => {
    const u = (...b: number[]) => new Uint8Array(b);
    expect(compareBytes(u(1, 2), u(1, 3))).toBeLessThan(0);
    expect(compareBytes(u(1), u(1, 0))).toBeLessThan(0);
    expect(compareBytes(u(2), u(1, 9))).toBeGreaterThan(0);
    expect(compareBytes(u(7, 7), u(7, 7))).toBe(0);
  });
  test('equalBytes and concatBytes', () => {
    expect(equalBytes(concatBytes([new Uint8Array([1]), new Uint8Array([]), new Uint8Array([2, 3])]), new Uint8Array([1, 2, 3]))).toBe(true);
    expect(equalBytes(new Uint8Array([1]), new Uint8Array([2]))).toBe(false);
  });
  test('big-endian integers up to 6 bytes round-trip exactly', () => {
    const buf = new Uint8Array(8);
    for (const v of [0, 1, 255, 65535, 2 ** 32 + 5, 2 ** 48 - 1]) {
      writeUintBE(buf, 1, 6, v);
      expect(readUintBE(buf, 1, 6)).toBe(v);
    }
  });
});
