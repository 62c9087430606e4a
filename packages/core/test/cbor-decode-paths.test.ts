// The strict decoder's faster paths (byte strings as views, the short-ASCII text cache, schema keys matched by
// their bytes, compiled schemas) give exactly the verdicts of the general ones, and views alias only on request.
import { describe, expect, test } from '@jest/globals';
import { decode, encode, type CborValue, type DecodeResult, type Schema } from '../src/cbor/index.ts';

const bytes = (h: string) => new Uint8Array(Buffer.from(h, 'hex'));
const refused = (reason: string, offset: number): DecodeResult => ({ ok: false, reason, offset });

function valueOf(d: DecodeResult): CborValue {
  if (!d.ok) throw new Error(d.reason);
  return d.value;
}

describe('byte strings: copies by default, views on request', () => {
  test.each([
    ['a short byte string (copied byte by byte)', 20],
    ['a long byte string (copied in one block)', 300],
  ])('%s shares nothing with the input', (_name, length) => {
    const input = encode({ b: new Uint8Array(length).fill(7) });
    const b = (valueOf(decode(input)) as { b: Uint8Array }).b;
    input.fill(0);
    expect(b.length).toBe(length);
    expect(b.every((x) => x === 7)).toBe(true);
    expect(b.buffer).not.toBe(input.buffer);
  });

  test('with views, a byte string is the input bytes themselves: a later change shows through', () => {
    const input = encode({ b: new Uint8Array([1, 2, 3]) });
    const b = (valueOf(decode(input, undefined, { views: true })) as { b: Uint8Array }).b;
    expect([...b]).toEqual([1, 2, 3]);
    expect(b.buffer).toBe(input.buffer);
    input[input.length - 1] = 9;
    expect([...b]).toEqual([1, 2, 9]);
  });

  test('a view into an input that starts inside a larger buffer points at the right bytes', () => {
    const inner = encode([new Uint8Array([5, 6]), new Uint8Array([7])]);
    const outer = new Uint8Array(inner.length + 10);
    outer.set(inner, 6);
    const [a, b] = valueOf(decode(outer.subarray(6, 6 + inner.length), undefined, { views: true })) as Uint8Array[];
    expect([...a!]).toEqual([5, 6]);
    expect([...b!]).toEqual([7]);
  });

  test('views and copies of a Buffer input are plain Uint8Arrays', () => {
    const input = Buffer.from(encode({ b: new Uint8Array([1, 2]) }));
    for (const options of [undefined, { views: true }]) {
      const b = (valueOf(decode(input, undefined, options)) as { b: Uint8Array }).b;
      expect(Object.getPrototypeOf(b)).toBe(Uint8Array.prototype);
    }
  });

  test('views do not change what is accepted or refused', () => {
    expect(decode(bytes('5a0001000000'), undefined, { views: true })).toEqual(refused('truncated', 0));
    expect(decode(bytes('a1616241ff'), { map: { b: { bytes: 2 } } }, { views: true })).toEqual(refused('$.b: expected bytes(2)', 3));
  });
});

describe('heads with one-, two- and four-byte arguments', () => {
  const head = (major: number, info: number, arg: string) => ((major << 5) | info).toString(16).padStart(2, '0') + arg;

  test.each([
    ['unsigned integer', 0],
    ['negative integer', 1],
  ])('a %s at each width boundary decodes; one below it is non-shortest', (_name, major) => {
    const sign = (n: number) => (major === 0 ? n : -1 - n);
    for (const [info, arg, n] of [[24, '18', 24], [25, '0100', 256], [26, '00010000', 65536], [26, 'ffffffff', 4294967295]] as const) {
      expect(decode(bytes(head(major, info, arg)))).toEqual({ ok: true, value: sign(n) });
    }
    for (const [info, arg] of [[24, '17'], [25, '00ff'], [26, '0000ffff']] as const) {
      expect(decode(bytes(head(major, info, arg)))).toEqual(refused('non-shortest integer', 0));
    }
  });

  test.each([
    ['byte string', 2],
    ['text', 3],
    ['array', 4],
    ['map', 5],
  ])('a %s length below its width is non-shortest, and a length past the input is truncated', (_name, major) => {
    for (const [info, arg] of [[24, '17'], [25, '00ff'], [26, '0000ffff']] as const) {
      expect(decode(bytes('81' + head(major, info, arg)))).toEqual(refused('non-shortest length', 1));
      expect(decode(bytes('81' + head(major, info, arg).slice(0, 2 + (arg.length - 2))))).toEqual(refused('truncated', 1));
    }
    expect(decode(bytes('81' + head(major, 24, '18')))).toEqual(refused('truncated', 1));
  });

  test('a 24-byte text and a 300-byte byte string read their lengths from the argument', () => {
    const value = ['t'.repeat(24), new Uint8Array(300).fill(3)];
    expect(decode(encode(value))).toEqual({ ok: true, value });
  });
});

describe('text: short ASCII strings are shared, everything else decodes in full', () => {
  test('non-ASCII text and keys decode as UTF-8', () => {
    const value = { µ: 'é', aé: 'Ω€', '電力': '𝄞', plain: 'x' };
    expect(valueOf(decode(encode(value)))).toEqual(value);
  });

  test('two ASCII strings that share every sampled byte decode each to itself, again and again', () => {
    // Same length, first, middle and last bytes: they land in one cache slot and evict each other.
    for (let i = 0; i < 3; i++) {
      expect(valueOf(decode(encode('ab12cd')))).toBe('ab12cd');
      expect(valueOf(decode(encode('aX12Yd')))).toBe('aX12Yd');
    }
  });

  test('a non-ASCII string sharing the sampled bytes of a cached ASCII one decodes as UTF-8', () => {
    expect(valueOf(decode(encode('abcxdez')))).toBe('abcxdez');
    // 'a', é, 'x', é, 'z': 7 bytes with 'a', 'x', 'z' where the ASCII string has them.
    expect(valueOf(decode(encode('aéxéz')))).toBe('aéxéz');
    expect(valueOf(decode(encode('abcxdez')))).toBe('abcxdez');
  });

  test('invalid UTF-8 sharing the sampled bytes of a cached string is still refused', () => {
    expect(valueOf(decode(encode('abcxdez')))).toBe('abcxdez');
    expect(decode(bytes('6761ff6378' + '64657a'))).toEqual(refused('invalid utf-8', 0));
    expect(decode(bytes('a1' + '6761ff6378' + '64657a' + '01'))).toEqual(refused('invalid utf-8', 1));
  });

  test('text beyond the cached length, empty text and a key of one character', () => {
    const long = 'meterchain-'.repeat(4);
    const value = { [long]: long + 'é', a: '', b: long };
    expect(valueOf(decode(encode(value)))).toEqual(value);
  });

  test('a decoded key is an ordinary own property, whatever it is named', () => {
    const m = valueOf(decode(encode({ constructor: 1, toString: 2, hasOwnProperty: 3 }))) as { [k: string]: CborValue };
    expect(Object.keys(m).sort()).toEqual(['constructor', 'hasOwnProperty', 'toString']);
    expect(m['constructor']).toBe(1);
  });
});

describe('map keys matched against a schema by their bytes', () => {
  const AB: Schema = { map: { a: 'int', b: 'int' } };

  test('a repeated schema key is a duplicate, not an unknown key', () => {
    // {"a": 1, "a": 2}
    expect(decode(bytes('a2616101616102'), AB)).toEqual(refused('duplicate map key', 4));
  });

  test('schema keys out of order are unsorted', () => {
    // {"b": 2, "a": 1}
    expect(decode(bytes('a2616202616101'), AB)).toEqual(refused('unsorted map keys', 4));
  });

  test('a key below the previous one is unsorted before it is unknown', () => {
    // {"b": 2, "B": 1}: "B" is unknown too, but the order is checked first, as without a schema.
    expect(decode(bytes('a2616202614201'), AB)).toEqual(refused('unsorted map keys', 4));
  });

  test('an unknown key between two schema keys is named, at its offset', () => {
    // {"a": 1, "ab": 2, "abc": 3}: "ab" sorts between the schema's "a" and "abc".
    expect(decode(encode({ a: 1, ab: 2, abc: 3 }), { map: { a: 'int', abc: 'int' } })).toEqual(refused('$: unknown key "ab"', 4));
  });

  test('a key equal to a schema key but for one byte is unknown', () => {
    expect(decode(encode({ a: 1, c: 2 }), AB)).toEqual(refused('$: unknown key "c"', 4));
  });

  test('a schema that declares "__proto__" still never accepts it as a key', () => {
    const schema = JSON.parse('{ "map": { "__proto__": "int" } }') as Schema;
    expect(decode(bytes('a1695f5f70726f746f5f5f01'), schema)).toEqual(refused('forbidden map key', 1));
  });

  test('keys of 23 and 24 bytes (one- and two-byte heads) match in §4.2.1 order', () => {
    const k23 = 'k'.repeat(23);
    const k24 = 'a'.repeat(24);
    const schema: Schema = { map: { [k24]: 'int', [k23]: 'int', x: 'int' } };
    const value = { x: 1, [k23]: 2, [k24]: 3 };
    expect(decode(encode(value), schema)).toEqual({ ok: true, value });
  });

  test('a non-ASCII schema key matches its UTF-8', () => {
    const schema: Schema = { map: { µ: 'text', m: 'text' } };
    expect(decode(encode({ µ: 'micro', m: 'milli' }), schema)).toEqual({ ok: true, value: { µ: 'micro', m: 'milli' } });
  });

  test('the first absent required key is named in schema order, whatever the key order', () => {
    const schema: Schema = { map: { zz: 'int', a: 'int', m: 'int' }, optional: ['a'] };
    expect(decode(encode({ m: 1 }), schema)).toEqual(refused('$: missing key "zz"', 0));
    expect(decode(encode({ zz: 1 }), schema)).toEqual(refused('$: missing key "m"', 0));
    expect(decode(encode({ a: 1, m: 2, zz: 3 }), schema).ok).toBe(true);
  });
});

describe('compiled schemas', () => {
  const ITEM: Schema = { map: { n: 'uint' } };

  test('schemas built afresh for every call, more than are remembered, decode as the constant one', () => {
    const input = encode({ n: 5 });
    for (let i = 0; i < 100; i++) {
      expect(decode(input, { map: { n: { uint: { max: 10 + i } } } })).toEqual({ ok: true, value: { n: 5 } });
      expect(decode(input, ITEM)).toEqual({ ok: true, value: { n: 5 } });
    }
    expect(decode(input, { map: { n: { uint: { max: 4 } } } })).toEqual(refused('$.n: expected uint <= 4', 3));
  });

  test('a malformed schema throws on every call, not only the first', () => {
    const bad = { map: { n: 'float' } } as unknown as Schema;
    expect(() => decode(encode({ n: 1 }), bad)).toThrow(expect.objectContaining({ code: 'CBOR_SCHEMA' }));
    expect(() => decode(encode({ n: 1 }), bad)).toThrow(expect.objectContaining({ code: 'CBOR_SCHEMA' }));
  });

  test('integers against uint, int and bounded schemas', () => {
    expect(decode(encode(-1), 'uint')).toEqual(refused('$: expected uint', 0));
    expect(decode(encode(-1), 'int')).toEqual({ ok: true, value: -1 });
    expect(decode(encode(-1), { uint: { max: 5 } })).toEqual(refused('$: expected uint <= 5', 0));
    expect(decode(encode(1732400000123), 'uint')).toEqual({ ok: true, value: 1732400000123 });
    expect(decode(encode(7), 'text')).toEqual(refused('$: expected text', 0));
    expect(decode(encode('seven'), { text: { max: 4 } })).toEqual(refused('$: expected text of at most 4 bytes', 0));
    expect(decode(encode(true), 'null')).toEqual(refused('$: expected null', 0));
    expect(decode(encode(null), 'null')).toEqual({ ok: true, value: null });
  });
});
