import { describe, expect, test } from '@jest/globals';
import { decode, encode, type CborValue, type DecodeResult } from '../src/cbor/index.ts';
import { mulberry32 } from '../src/random.ts';

// One mutated vector per way to be wrong: each is refused with its reason and offset, and nothing throws.

const bytes = (h: string) => new Uint8Array(Buffer.from(h, 'hex'));
const refused = (reason: string, offset: number): DecodeResult => ({ ok: false, reason, offset });

const reading: CborValue = {
  v: 1,
  cluster: 'north-7',
  meter: new Uint8Array(20).fill(0xab),
  seq: 48213,
  ts: 1732400000123,
  clock: 0,
  channels: [
    { id: '1-0:1.8.0', unit: 'Wh', scale: 0, value: 123456789 },
    { id: '1-0:32.7.0', unit: 'V', scale: -1, value: 2301 },
  ],
  quality: 0,
};

function nested(levels: number): Uint8Array {
  const out = new Uint8Array(levels + 1);
  out.fill(0x81, 0, levels); // [[[...[0]...]]]
  out[levels] = 0x00;
  return out;
}

describe('strict decode: each way to be wrong', () => {
  test.each([
    ['integer 23 in a 1-byte argument', '1817', 'non-shortest integer', 0],
    ['integer 23 in a 2-byte argument', '190017', 'non-shortest integer', 0],
    ['integer 255 in a 4-byte argument', '1a000000ff', 'non-shortest integer', 0],
    ['integer 2^32 − 1 in an 8-byte argument', '1b00000000ffffffff', 'non-shortest integer', 0],
    ['negative integer −24 in a 1-byte argument', '3817', 'non-shortest integer', 0],
    ['non-shortest integer inside an array', '82011817', 'non-shortest integer', 2],
  ])('%s', (_name, h, reason, offset) => {
    expect(decode(bytes(h))).toEqual(refused(reason, offset));
  });

  test.each([
    ['byte string length 1 in a 1-byte argument', '580101', 'non-shortest length', 0],
    ['text length 1 in a 2-byte argument', '79000161', 'non-shortest length', 0],
    ['array length 0 in a 1-byte argument', '9800', 'non-shortest length', 0],
    ['map length 1 in a 4-byte argument', 'ba000000016161f6', 'non-shortest length', 0],
    ['map key with a non-shortest length', 'a178016101', 'non-shortest length', 1],
  ])('%s', (_name, h, reason, offset) => {
    expect(decode(bytes(h))).toEqual(refused(reason, offset));
  });

  test.each([
    ['indefinite byte string', '5f4101ff'],
    ['indefinite text', '7f6161ff'],
    ['indefinite array', '9f01ff'],
    ['indefinite map', 'bf616101ff'],
  ])('%s', (_name, h) => {
    expect(decode(bytes(h))).toEqual(refused('indefinite length', 0));
  });

  test('keys out of bytewise order', () => {
    expect(decode(bytes('a2616202616101'))).toEqual(refused('unsorted map keys', 4));
  });
  test('keys in plain lexicographic order, not shorter-first', () => {
    // {"aa": 1, "b": 2}: lexicographic puts "aa" first; §4.2.1 puts the shorter encoding "b" first.
    expect(decode(bytes('a262616101616202'))).toEqual(refused('unsorted map keys', 5));
  });
  test('a duplicate key', () => {
    expect(decode(bytes('a2616101616102'))).toEqual(refused('duplicate map key', 4));
  });
  test('a non-text key', () => {
    expect(decode(bytes('a10102'))).toEqual(refused('map key not text', 1));
    expect(decode(bytes('a1410102'))).toEqual(refused('map key not text', 1));
  });
  test('a "__proto__" key', () => {
    expect(decode(bytes('a1695f5f70726f746f5f5f01'))).toEqual(refused('forbidden map key', 1));
  });
  test('trailing bytes after the item', () => {
    expect(decode(bytes('0000'))).toEqual(refused('trailing bytes', 1));
    expect(decode(new Uint8Array([...encode(reading), 0]))).toEqual(refused('trailing bytes', encode(reading).length));
  });
  test('empty input', () => {
    expect(decode(new Uint8Array(0))).toEqual(refused('truncated', 0));
  });
  test('a valid encoding cut at every offset is refused as truncated', () => {
    const full = encode(reading);
    expect(full.length).toBeGreaterThan(150);
    for (let cut = 0; cut < full.length; cut++) {
      const d = decode(full.subarray(0, cut));
      expect([cut, d.ok, d.ok ? '' : d.reason]).toEqual([cut, false, 'truncated']);
    }
    expect(decode(full).ok).toBe(true);
  });

  test.each([
    ['a lone continuation byte', '6180'],
    ['an overlong 2-byte form of "/"', '62c0af'],
    ['an overlong 3-byte form', '63e08080'],
    ['an encoded surrogate U+D800', '63eda080'],
    ['a code point above U+10FFFF', '64f4908080'],
    ['a lead byte without its continuation', '62c328'],
    ['a sequence cut by the string end', '61e2'],
    ['the byte 0xff', '61ff'],
  ])('invalid UTF-8: %s', (_name, h) => {
    expect(decode(bytes(h))).toEqual(refused('invalid utf-8', 0));
  });
  test('invalid UTF-8 in a map key', () => {
    expect(decode(bytes('a161ff00'))).toEqual(refused('invalid utf-8', 1));
  });

  test('nesting at the depth limit is accepted, one level more is refused', () => {
    expect(decode(nested(16)).ok).toBe(true);
    expect(decode(nested(17))).toEqual(refused('depth limit', 16));
  });
  test('a depth bomb of a mebibyte of array heads is refused at the limit, quickly', () => {
    const bomb = new Uint8Array(1048576).fill(0x81);
    const started = Date.now();
    expect(decode(bomb)).toEqual(refused('depth limit', 16));
    expect(Date.now() - started).toBeLessThan(1000);
  });
  test('maps count towards depth like arrays', () => {
    expect(decode(bytes('a16161' + '81'.repeat(15) + '00')).ok).toBe(true);
    expect(decode(bytes('a16161' + '81'.repeat(16) + '00'))).toEqual(refused('depth limit', 18));
  });
  test('the depth limit can be set per call', () => {
    expect(decode(nested(3), undefined, { depth: 2 })).toEqual(refused('depth limit', 2));
    expect(decode(nested(40), undefined, { depth: 40 }).ok).toBe(true);
  });

  test.each([
    ['an array claiming 2^32 items', '9b0000000100000000', 'length limit'],
    ['an array claiming 2^32 − 1 items', '9affffffff', 'length limit'],
    ['a map claiming 2^31 entries', 'ba80000000', 'length limit'],
    ['a byte string claiming 2^64 − 1 bytes', '5bffffffffffffffff', 'length limit'],
    ['a text claiming 4 GiB', '7affffffff', 'length limit'],
    ['an array claiming more items than bytes remain', '99ffff00', 'truncated'],
    ['a byte string longer than the input', '5a0001000000', 'truncated'],
  ])('huge declared length: %s', (_name, h, reason) => {
    expect(decode(bytes(h))).toEqual(refused(reason, 0));
  });
  test('input beyond limits.maxBytes is refused before it is read', () => {
    expect(decode(bytes('4401020304'), undefined, { maxBytes: 4 })).toEqual(refused('input too large', 0));
    expect(decode(bytes('4401020304'), undefined, { maxBytes: 5 }).ok).toBe(true);
  });

  test.each([
    ['a tag', 'c000', 'tag not allowed'],
    ['a tag with a long argument', 'db000000000000000000', 'tag not allowed'],
    ['a half float', 'f93c00', 'float not allowed'],
    ['a double', 'fb3ff8000000000000', 'float not allowed'],
    ['undefined', 'f7', 'undefined not allowed'],
    ['simple value 16', 'f0', 'simple value not allowed'],
    ['a lone break', 'ff', 'unexpected break'],
    ['reserved additional information 28', '1c', 'reserved additional information'],
    ['2^53 (beyond the safe integers)', '1b0020000000000000', 'integer out of range'],
    ['−2^53', '3b001fffffffffffff', 'integer out of range'],
  ])('outside the profile: %s', (_name, h, reason) => {
    expect(decode(bytes(h))).toEqual(refused(reason, 0));
  });

  test('input that is not a Uint8Array gets a verdict, not an exception', () => {
    expect(decode('a0' as unknown as Uint8Array)).toEqual(refused('input is not a byte array', 0));
  });
});

describe('strict decode: hostile input never throws, and what it accepts is canonical', () => {
  test('random bytes and random mutations of a valid encoding (5,000 inputs)', () => {
    const valid = encode(reading);
    let accepted = 0;
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
      const d = decode(input);
      if (d.ok) {
        accepted++;
        // Whatever is accepted must be the deterministic encoding of its value.
        expect(Buffer.from(encode(d.value)).equals(Buffer.from(input))).toBe(true);
      } else {
        expect(d.reason).not.toMatch(/^internal error/);
        expect(d.offset).toBeGreaterThanOrEqual(0);
        expect(d.offset).toBeLessThanOrEqual(input.length);
      }
    }
    expect(accepted).toBeGreaterThan(0);
  });
});
