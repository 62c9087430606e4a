import { describe, expect, test } from '@jest/globals';
import { decode, decodeOrThrow, encode, type CborValue } from '../src/cbor/index.ts';
import { sampleReadingValue } from '@meterchain/testkit/fixtures';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const bytes = (h: string) => new Uint8Array(Buffer.from(h, 'hex'));
const unsupported = expect.objectContaining({ code: 'CBOR_UNSUPPORTED' });

/** A reading-sized value: text keys, a byte string, an array of channel maps, a millisecond timestamp. */
const reading: CborValue = sampleReadingValue();

describe('cbor encode: shortest heads (RFC 8949 §4.2.1)', () => {
  test('integers take the shortest head at every width boundary', () => {
    const cases: [number, string][] = [
      [0, '00'], [23, '17'], [24, '1818'], [255, '18ff'], [256, '190100'], [65535, '19ffff'], [65536, '1a00010000'],
      [4294967295, '1affffffff'], [4294967296, '1b0000000100000000'], [9007199254740991, '1b001fffffffffffff'],
      [-1, '20'], [-24, '37'], [-25, '3818'], [-256, '38ff'], [-257, '390100'], [-4294967296, '3affffffff'],
      [-4294967297, '3b0000000100000000'], [-9007199254740991, '3b001ffffffffffffe'],
    ];
    for (const [n, h] of cases) expect([n, hex(encode(n))]).toEqual([n, h]);
  });
  test('a millisecond timestamp (above 2^32) is an 8-byte integer, not a float', () => {
    expect(hex(encode(1732400000123))).toBe('1b000001935b162c7b');
  });
  test('-0 is the integer 0', () => {
    expect(hex(encode(-0))).toBe('00');
  });
  test('text is UTF-8 with its byte length in the head', () => {
    expect(hex(encode('ü'))).toBe('62c3bc');
    expect(hex(encode('𐅑'))).toBe('64f0908591');
    expect(hex(encode('x'.repeat(24)))).toBe('7818' + '78'.repeat(24));
  });
  test('byte strings carry no tag', () => {
    expect(hex(encode(new Uint8Array([1, 2, 3])))).toBe('43010203');
  });
  test('a Buffer is a byte string like any Uint8Array', () => {
    expect(hex(encode(Buffer.from([1, 2, 3])))).toBe('43010203');
  });
});

describe('cbor encode: map key order (§4.2.1 bytewise on encoded keys)', () => {
  test('keys are written shorter first, then bytewise, whatever the insertion order', () => {
    expect(hex(encode({ b: 1, aa: 2, a: 3 }))).toBe('a3616103616201626161' + '02');
  });
  test('integer-like keys, which objects list first, are still ordered by their encoding', () => {
    // Object.keys gives ['2', '10', 'a']; the deterministic order is '2' (0x32), 'a' (0x61), then the longer '10'.
    expect(hex(encode({ a: 1, 10: 2, 2: 3 }))).toBe('a3613203616101623130' + '02');
  });
  test('characters above U+FFFF sort after U+E000–U+FFFF, as their UTF-8 does (UTF-16 order would differ)', () => {
    // '\ue000a' is ee 80 80 61, '𐅑' is f0 90 85 91: same length, 0xee < 0xf0.
    expect(hex(encode({ '𐅑': 1, '\ue000a': 2 }))).toBe('a264ee80806102' + '64f090859101');
  });
  test('a reading-sized value encodes to its known deterministic bytes', () => {
    expect(hex(encode(reading))).toBe(
      'a86176016274731b000001935b162c7b6373657119bc5565636c6f636b00656d6574657254' + 'ab'.repeat(20) +
        '67636c7573746572676e6f7274682d37677175616c69747900686368616e6e656c7383' +
        'a462696469312d303a312e382e3064756e6974625768657363616c65006576616c75651a075bcd15' +
        'a46269646a312d303a33322e372e3064756e69746156657363616c65206576616c75651908fd' +
        'a46269646a312d303a33312e372e3064756e69746141657363616c65216576616c75651904d2',
    );
  });
});

describe('cbor encode: values outside the profile throw CBOR_UNSUPPORTED', () => {
  test.each([
    ['a float', 1.5],
    ['NaN', NaN],
    ['Infinity', Infinity],
    ['2^53 (not a safe integer)', 9007199254740992],
    ['-2^53', -9007199254740992],
    ['undefined', undefined],
    ['a function', () => 1],
    ['a BigInt', BigInt(1)],
    ['a Symbol', Symbol('x')],
    ['a Map', new Map([['a', 1]])],
    ['a Date', new Date(0)],
    ['a class instance', new (class Reading { v = 1; })()],
    ['a Uint16Array', new Uint16Array(2)],
    ['an ArrayBuffer', new ArrayBuffer(2)],
    ['text with a lone surrogate', 'a\ud800b'],
    ['a map key with a lone surrogate', { '\udc00': 1 }],
    ['a "__proto__" key', JSON.parse('{"__proto__": 1}')],
    ['an array with a hole', [1, , 3]],
    ['a map value undefined', { a: undefined }],
    ['a float deep inside', { a: [{ b: [0.5] }] }],
  ])('%s', (_name, value) => {
    expect(() => encode(value as CborValue)).toThrow(unsupported);
  });
  test('a cycle is refused, not a stack overflow', () => {
    const a: CborValue[] = [];
    a.push(a);
    expect(() => encode(a)).toThrow(/nesting deeper than 64/);
  });
  test('an array subclass is refused', () => {
    class Channels extends Array {}
    expect(() => encode(new Channels() as unknown as CborValue)).toThrow(unsupported);
  });
  test('an object without prototype is a map', () => {
    const m = Object.create(null) as { [k: string]: CborValue };
    m['a'] = 1;
    expect(hex(encode(m))).toBe('a1616101');
  });
});

describe('cbor encode: reuse of its scratch buffer', () => {
  test('an encode called from a getter inside the value does not disturb the outer encode', () => {
    const inner = { b: 2 };
    const outer = {
      get a(): CborValue {
        return hex(encode(inner));
      },
    };
    expect(hex(encode(outer as unknown as CborValue))).toBe('a16161' + '68' + Buffer.from('a1616202').toString('hex'));
  });
  test('an error part-way leaves the encoder ready for the next value', () => {
    expect(() => encode([1, 2, 0.5])).toThrow(unsupported);
    expect(hex(encode([1, 2]))).toBe('820102');
  });
});

describe('cbor decode', () => {
  test('a reading-sized value round-trips', () => {
    expect(decode(encode(reading))).toEqual({ ok: true, value: reading });
  });
  test('decoded maps are plain objects', () => {
    const d = decodeOrThrow(bytes('a1616101')) as object;
    expect(Object.getPrototypeOf(d)).toBe(Object.prototype);
  });
  test('decoded byte strings are copies: changing the input afterwards does not change them', () => {
    const input = bytes('43010203');
    const d = decodeOrThrow(input) as Uint8Array;
    input[1] = 9;
    expect(d).toEqual(new Uint8Array([1, 2, 3]));
  });
  test('the largest safe integers decode exactly', () => {
    expect(decode(bytes('1b001fffffffffffff'))).toEqual({ ok: true, value: 9007199254740991 });
    expect(decode(bytes('3b001ffffffffffffe'))).toEqual({ ok: true, value: -9007199254740991 });
  });
  test('decodeOrThrow throws CBOR_INVALID carrying the reason and offset', () => {
    expect(() => decodeOrThrow(bytes('0000'))).toThrow(expect.objectContaining({ code: 'CBOR_INVALID', reason: 'trailing bytes', offset: 1 }));
  });
  test('limits that are not counts are a programmer mistake', () => {
    expect(() => decode(bytes('00'), undefined, { depth: -1 })).toThrow(expect.objectContaining({ code: 'CBOR_LIMITS' }));
  });
});
