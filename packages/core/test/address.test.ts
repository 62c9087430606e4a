import { describe, expect, test } from '@jest/globals';
import { createHash } from 'node:crypto';
import { addressFromPublicKey, addressFromText, addressToText, isAddressText } from '../src/address.ts';

describe('addresses', () => {
  test('are the first 20 bytes of SHA-256 over the address domain, a zero byte and the public key', () => {
    const pk = new Uint8Array(32).fill(7);
    const expected = createHash('sha256').update('meterchain:address:v1').update(Buffer.from([0])).update(pk).digest().subarray(0, 20);
    expect(addressFromPublicKey(pk)).toEqual(new Uint8Array(expected));
  });
  test('differ for keys that differ in one bit', () => {
    const a = new Uint8Array(32);
    const b = a.slice();
    b[31] = 1;
    expect(addressToText(addressFromPublicKey(a))).not.toBe(addressToText(addressFromPublicKey(b)));
  });
  test('text form is "mc" and 40 hex digits, and round-trips', () => {
    const addr = addressFromPublicKey(new Uint8Array(32).fill(1));
    const text = addressToText(addr);
    expect(text).toMatch(/^mc[0-9a-f]{40}$/);
    expect(addressFromText(text)).toEqual(addr);
    expect(isAddressText(text.toUpperCase())).toBe(false);
  });
  test('refuse keys and texts of the wrong shape', () => {
    expect(() => addressFromPublicKey(new Uint8Array(31))).toThrow(/32-byte public key/);
    expect(() => addressFromText('mc1234')).toThrow(/40 hex digits/);
    expect(() => addressFromText('xx' + '0'.repeat(40))).toThrow(/"mc"/);
  });
});
