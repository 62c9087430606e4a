import { describe, expect, test } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { decode, encode, mulberry32, type CborValue, type Schema } from '@meterchain/core';
import { decodeFast, encodeFast } from '../src/index.ts';
import { sampleReadingValue } from '@meterchain/testkit/fixtures';

// The fast path is held to the portable codec byte for byte and verdict for verdict: same encodings, same values,
// same refusals with the same reason and offset.

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const bytes = (h: string) => new Uint8Array(Buffer.from(h, 'hex'));

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const appendixA = JSON.parse(readFileSync(resolve(repoRoot, '../shared', 'vectors/cbor-appendix-a.json'), 'utf8')) as { hex: string }[];

const BOUNDARIES = [0, 1, 23, 24, 255, 256, 65535, 65536, 4294967295, 4294967296, 1732400000123, 9007199254740991];
const CHARS = ['a', 'b', 'z', 'A', '0', '7', ':', '.', ' ', '\u0000', 'é', 'ß', '€', '水', '\ue000', '\uffff', '𐅑', '😀'];
const KEYS = ['v', 'ts', 'seq', 'id', 'unit', 'value', 'a', 'aa', 'b', '0', '7', '10', '123', 'é', '€', '\ue000', '𐅑', 'channels'];

function randomInt(rnd: () => number): number {
  const r = rnd();
  let n: number;
  if (r < 0.3) n = BOUNDARIES[Math.floor(rnd() * BOUNDARIES.length)]!;
  else if (r < 0.6) n = Math.floor(rnd() * 30);
  else n = Math.floor(rnd() * 2 ** Math.floor(rnd() * 53));
  if (rnd() < 0.4) n = n === 0 ? -1 : -n;
  return n;
}

function randomText(rnd: () => number): string {
  const length = rnd() < 0.05 ? 60 + Math.floor(rnd() * 240) : Math.floor(rnd() * 12);
  let s = '';
  for (let i = 0; i < length; i++) s += CHARS[Math.floor(rnd() * CHARS.length)]!;
  return s;
}

function randomValue(rnd: () => number, depth: number): CborValue {
  const kind = Math.floor(rnd() * (depth >= 4 ? 6 : 9));
  switch (kind) {
    case 0:
    case 1:
      return randomInt(rnd);
    case 2:
      return randomText(rnd);
    case 3: {
      const b = new Uint8Array(rnd() < 0.05 ? 300 : Math.floor(rnd() * 40));
      for (let i = 0; i < b.length; i++) b[i] = Math.floor(rnd() * 256);
      return b;
    }
    case 4:
      return rnd() < 0.5;
    case 5:
      return null;
    case 6:
    case 7: {
      const n = rnd() < 0.05 ? 30 : Math.floor(rnd() * 6);
      const a: CborValue[] = [];
      for (let i = 0; i < n; i++) a.push(randomValue(rnd, depth + 1));
      return a;
    }
    default: {
      const n = rnd() < 0.05 ? 30 : Math.floor(rnd() * 7);
      const m: { [k: string]: CborValue } = {};
      for (let i = 0; i < n; i++) {
        const key = rnd() < 0.7 ? KEYS[Math.floor(rnd() * KEYS.length)]! : randomText(rnd);
        m[key] = randomValue(rnd, depth + 1);
      }
      return m;
    }
  }
}

/** A reading-sized value: text keys, a byte string, an array of channel maps, a millisecond timestamp. */
const reading: CborValue = sampleReadingValue();

describe('fast path: same bytes as the portable encoder', () => {
  test('property: 1,000 seeded random values encode identically and decode back in both codecs', () => {
    const mismatches: string[] = [];
    for (let seed = 1; seed <= 1000; seed++) {
      const v = randomValue(mulberry32(seed), 0);
      const portable = encode(v);
      const fast = encodeFast(v);
      if (hex(portable) !== hex(fast)) mismatches.push(`seed ${seed}: encode ${hex(portable)} != ${hex(fast)}`);
      expect(decode(portable, undefined, { depth: 64 })).toEqual({ ok: true, value: v });
      expect(decodeFast(portable, undefined, { depth: 64 })).toEqual({ ok: true, value: v });
    }
    expect(mismatches).toEqual([]);
  });
  test('integers from 2^32 up (millisecond timestamps) get the 8-byte head, not a float', () => {
    for (const n of [4294967296, 1732400000123, 9007199254740991, -4294967297, -9007199254740991]) {
      expect([n, hex(encodeFast(n))]).toEqual([n, hex(encode(n))]);
    }
    expect(hex(encodeFast(1732400000123))).toBe('1b000001935b162c7b');
  });
  test('integers just inside 32 bits keep the 4-byte head', () => {
    for (const n of [4294967295, -4294967296, -2147483649]) expect([n, hex(encodeFast(n))]).toEqual([n, hex(encode(n))]);
  });
  test('keys inserted out of order, integer-like keys included, come out in deterministic order', () => {
    const v = { b: 1, '10': 2, a: 3, '2': 4, aa: { z: 1, y: 2 }, 'é': 5 };
    expect(hex(encodeFast(v))).toBe(hex(encode(v)));
  });
  test('byte strings are written without a tag, Buffers included', () => {
    expect(hex(encodeFast(new Uint8Array([1, 2])))).toBe('420102');
    expect(hex(encodeFast(Buffer.from([1, 2])))).toBe('420102');
  });
  test('a reading-sized value encodes identically and its result is a plain Uint8Array', () => {
    const fast = encodeFast(reading);
    expect(hex(fast)).toBe(hex(encode(reading)));
    expect(fast.constructor).toBe(Uint8Array);
  });
  test.each([
    ['a float', 1.5],
    ['2^53', 9007199254740992],
    ['undefined', undefined],
    ['a Map', new Map()],
    ['a Date', new Date(0)],
    ['a lone surrogate', '\ud800'],
    ['a "__proto__" key', JSON.parse('{"__proto__": 1}')],
    ['a BigInt', BigInt(5)],
  ])('refuses %s with the portable encoder’s error', (_name, value) => {
    let portable: unknown;
    let fast: unknown;
    try { encode(value as CborValue); } catch (e) { portable = e; }
    try { encodeFast(value as CborValue); } catch (e) { fast = e; }
    expect(portable).toBeInstanceOf(Error);
    expect(fast).toEqual(portable);
    expect((fast as { code: string }).code).toBe('CBOR_UNSUPPORTED');
  });
});

describe('fast path: same verdicts as the portable decoder', () => {
  test.each(appendixA.map((v) => [v.hex]))('Appendix A %s', (h) => {
    const input = bytes(h);
    const portable = decode(input);
    expect(decodeFast(input)).toEqual(portable);
    if (portable.ok) expect(hex(encodeFast(portable.value))).toBe(h);
  });

  test.each([
    ['non-shortest integer', '1817'],
    ['non-shortest 8-byte integer', '1b00000000ffffffff'],
    ['non-shortest length', '580101'],
    ['non-shortest key length', 'a178016101'],
    ['indefinite array', '9f01ff'],
    ['indefinite text', '7f6161ff'],
    ['unsorted keys', 'a2616202616101'],
    ['lexicographic instead of shorter-first', 'a262616101616202'],
    ['duplicate keys', 'a2616101616102'],
    ['trailing bytes', '0000'],
    ['invalid UTF-8', '62c0af'],
    ['encoded surrogate', '63eda080'],
    ['__proto__ key', 'a1695f5f70726f746f5f5f01'],
    ['float64 1.5 (which re-encodes identically in cbor-x)', 'fb3ff8000000000000'],
    ['undefined', 'f7'],
    ['tag 64 byte string', 'd8404101'],
    ['tag 1 date', 'c11a514b67b0'],
    ['2^53', '1b0020000000000000'],
    ['2^64 − 1', '1bffffffffffffffff'],
    ['huge declared length', '9b0000000100000000'],
    ['text claiming 4 GiB', '7affffffff'],
    ['integer key', 'a10102'],
    ['depth bomb', '81'.repeat(17) + '00'],
    ['empty input', ''],
  ])('mutated vector: %s', (_name, h) => {
    const input = bytes(h);
    const portable = decode(input);
    expect(portable.ok).toBe(false);
    expect(decodeFast(input)).toEqual(portable);
  });

  test('a valid encoding cut at every offset gets the portable verdict', () => {
    const full = encode(reading);
    for (let cut = 0; cut < full.length; cut++) {
      const part = full.subarray(0, cut);
      expect([cut, decodeFast(part)]).toEqual([cut, decode(part)]);
    }
  });

  test('differential: 5,000 random and mutated inputs get identical verdicts', () => {
    const valid = encode(reading);
    const differences: string[] = [];
    for (let seed = 1; seed <= 5000; seed++) {
      const rnd = mulberry32(seed);
      let input: Uint8Array;
      if (seed % 2 === 0) {
        input = new Uint8Array(1 + Math.floor(rnd() * 40));
        for (let i = 0; i < input.length; i++) input[i] = Math.floor(rnd() * 256);
      } else {
        input = valid.slice();
        const flips = 1 + Math.floor(rnd() * 3);
        for (let f = 0; f < flips; f++) input[Math.floor(rnd() * input.length)] = Math.floor(rnd() * 256);
      }
      const a = JSON.stringify(decode(input), (_k, v) => (v instanceof Uint8Array ? hex(v) : v));
      const b = JSON.stringify(decodeFast(input), (_k, v) => (v instanceof Uint8Array ? hex(v) : v));
      if (a !== b) differences.push(`${hex(input)}: ${a} vs ${b}`);
    }
    expect(differences).toEqual([]);
  });

  test('large integers come back as exact safe numbers', () => {
    const d = decodeFast(encode({ ts: 1732400000123, max: 9007199254740991, min: -9007199254740991 }));
    expect(d).toEqual({ ok: true, value: { ts: 1732400000123, max: 9007199254740991, min: -9007199254740991 } });
    if (d.ok) expect(typeof (d.value as { ts: unknown }).ts).toBe('number');
  });

  test('decoded byte strings are plain Uint8Array copies, even from a Buffer input', () => {
    const input = Buffer.from(encode({ meter: new Uint8Array([1, 2, 3]) }));
    const d = decodeFast(input);
    expect(d.ok).toBe(true);
    const meter = (d as unknown as { value: { meter: Uint8Array } }).value.meter;
    expect(meter.constructor).toBe(Uint8Array);
    input[input.length - 1] = 9;
    expect(meter).toEqual(new Uint8Array([1, 2, 3]));
  });

  test('schema and limits give the portable verdicts', () => {
    const schema: Schema = { map: { a: { array: 'int', max: 2 } } };
    for (const v of [{ a: [1, 2] }, { a: [1, 'x'] }, { a: [1, 2, 3] }, { b: 1 }, {}] as CborValue[]) {
      const input = encode(v);
      expect(decodeFast(input, schema)).toEqual(decode(input, schema));
    }
    const deep = bytes('81'.repeat(5) + '00');
    expect(decodeFast(deep, undefined, { depth: 4 })).toEqual(decode(deep, undefined, { depth: 4 }));
    expect(decodeFast(deep, undefined, { depth: 5 })).toEqual({ ok: true, value: [[[[[0]]]]] });
    expect(decodeFast(deep, undefined, { maxBytes: 5 })).toEqual({ ok: false, reason: 'input too large', offset: 0 });
  });

  test('a malformed schema throws CBOR_SCHEMA as in the portable decoder', () => {
    expect(() => decodeFast(encode(1), 'float' as Schema)).toThrow(expect.objectContaining({ code: 'CBOR_SCHEMA' }));
  });
});
