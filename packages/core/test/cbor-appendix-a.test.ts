import { describe, expect, test } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { decode, encode, type CborValue } from '../src/cbor/index.ts';

// RFC 8949 Appendix A, every example: what the profile carries round-trips byte for byte; the rest is refused,
// each case for the reason listed here (and in docs/cbor.md).

interface Vector {
  hex: string;
  roundtrip: boolean;
  decoded?: unknown;
  diagnostic?: string;
}

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const vectors = JSON.parse(readFileSync(resolve(repoRoot, '../shared', 'vectors/cbor-appendix-a.json'), 'utf8')) as Vector[];

const REFUSED: { [hex: string]: { reason: string; offset: number; why: string } } = {};
function refuse(hexes: string[], reason: string, why: string, offset = 0): void {
  for (const hex of hexes) REFUSED[hex] = { reason, offset, why };
}
refuse(['1bffffffffffffffff', '3bffffffffffffffff'], 'integer out of range', '±2^64 − 1 is beyond the safe integers JS numbers hold exactly');
refuse(['c249010000000000000000', 'c349010000000000000000'], 'tag not allowed', 'bignums are tags; meterchain integers fit in 53 bits');
refuse(
  ['f90000', 'f98000', 'f93c00', 'fb3ff199999999999a', 'f93e00', 'f97bff', 'fa47c35000', 'fa7f7fffff', 'fb7e37e43c8800759c', 'f90001', 'f90400', 'f9c400', 'fbc010666666666666', 'f97c00', 'f97e00', 'f9fc00', 'fa7f800000', 'fa7fc00000', 'faff800000', 'fb7ff0000000000000', 'fb7ff8000000000000', 'fbfff0000000000000'],
  'float not allowed',
  'meterchain carries fixed-point integers (value and scale), never floats',
);
refuse(['f7'], 'undefined not allowed', 'undefined has no place in a signed record');
refuse(['f0', 'f818', 'f8ff'], 'simple value not allowed', 'only false, true and null are in the profile');
refuse(
  ['c074323031332d30332d32315432303a30343a30305a', 'c11a514b67b0', 'c1fb41d452d9ec200000', 'd74401020304', 'd818456449455446', 'd82076687474703a2f2f7777772e6578616d706c652e636f6d'],
  'tag not allowed',
  'no tags: timestamps are integer milliseconds, byte strings are plain',
);
refuse(['a201020304'], 'map key not text', 'map keys are text: they become object properties', 1);
refuse(
  ['5f42010243030405ff', '7f657374726561646d696e67ff', '9fff', '9f018202039f0405ffff', '9f01820203820405ff', '9f0102030405060708090a0b0c0d0e0f101112131415161718181819ff', 'bf61610161629f0203ffff', 'bf6346756ef563416d7421ff'],
  'indefinite length',
  'indefinite lengths are not deterministic (§4.2.1)',
);
refuse(['83018202039f0405ff'], 'indefinite length', 'indefinite lengths are not deterministic (§4.2.1)', 5);
refuse(['83019f0203ff820405'], 'indefinite length', 'indefinite lengths are not deterministic (§4.2.1)', 2);
refuse(['826161bf61626163ff'], 'indefinite length', 'indefinite lengths are not deterministic (§4.2.1)', 3);

function fromHex(hex: string): Uint8Array {
  return new Uint8Array(Buffer.from(hex, 'hex'));
}

/** The value a supported vector stands for: `decoded`, or the byte string of a diagnostic h'..'. */
function expected(v: Vector): CborValue {
  if (v.decoded !== undefined) return v.decoded as CborValue;
  const m = /^h'([0-9a-f]*)'$/.exec(v.diagnostic ?? '');
  if (!m) throw new Error(`no value for supported vector ${v.hex}: ${v.diagnostic}`);
  return fromHex(m[1]!);
}

const supported = vectors.filter((v) => REFUSED[v.hex] === undefined);
const refused = vectors.filter((v) => REFUSED[v.hex] !== undefined);

describe('RFC 8949 Appendix A (portable codec)', () => {
  test('the file holds all 82 examples and every refused case named here is one of them', () => {
    expect(vectors).toHaveLength(82);
    const hexes = new Set(vectors.map((v) => v.hex));
    for (const hex of Object.keys(REFUSED)) expect(hexes.has(hex)).toBe(true);
    expect(supported).toHaveLength(34);
    expect(refused).toHaveLength(48);
  });

  test.each(supported.map((v) => [v.hex, v] as const))('%s decodes to its value and encodes back to the same bytes', (hex, v) => {
    const value = expected(v);
    const d = decode(fromHex(hex));
    expect(d).toEqual({ ok: true, value });
    expect(Buffer.from(encode(value)).toString('hex')).toBe(hex);
  });

  test.each(refused.map((v) => [v.hex, REFUSED[v.hex]!.reason, REFUSED[v.hex]!.offset] as const))('%s is refused: %s', (hex, reason, offset) => {
    expect(decode(fromHex(hex))).toEqual({ ok: false, reason, offset });
  });

  test('the JS values of the refused numbers are refused by the encoder too (not rounded, not written as floats)', () => {
    for (const n of [1.1, 1.5, 100000.5, 3.4028234663852886e38, 1e300, 5.960464477539063e-8, -4.1, Infinity, -Infinity, NaN, 18446744073709551615]) {
      expect(() => encode(n)).toThrow(expect.objectContaining({ code: 'CBOR_UNSUPPORTED' }));
    }
    expect(() => encode(undefined as unknown as CborValue)).toThrow(expect.objectContaining({ code: 'CBOR_UNSUPPORTED' }));
  });

  test('whole-number floats of the appendix are JS integers, so they encode as CBOR integers', () => {
    // JS cannot tell 1.0 from 1: the value 1 is written as the integer 0x01, never as f93c00.
    expect(Buffer.from(encode(1.0)).toString('hex')).toBe('01');
    expect(Buffer.from(encode(-4.0)).toString('hex')).toBe('23');
    expect(Buffer.from(encode(65504.0)).toString('hex')).toBe('19ffe0');
  });
});
