import { describe, expect, test } from '@jest/globals';
import { checkSchema, decode, encode, type CborValue, type Schema } from '../src/cbor/index.ts';

const CHANNEL: Schema = {
  map: { id: { text: { max: 32 } }, unit: { text: { max: 8 } }, scale: 'int', value: 'int', raw: 'int' },
  optional: ['raw'],
};
const READING: Schema = {
  map: {
    v: 'uint',
    cluster: { text: { max: 64 } },
    meter: { bytes: 20 },
    seq: 'uint',
    ts: 'uint',
    clock: { uint: { max: 2 } },
    channels: { array: CHANNEL, max: 4 },
    quality: 'uint',
  },
};
const SUBMISSION: Schema = { map: { reading: READING, sig: { bytes: 64 } } };

function reading(): { [k: string]: CborValue } {
  return {
    v: 1,
    cluster: 'north-7',
    meter: new Uint8Array(20),
    seq: 7,
    ts: 1732400000123,
    clock: 0,
    channels: [
      { id: '1-0:1.8.0', unit: 'Wh', scale: 0, value: 123456789 },
      { id: '1-0:32.7.0', unit: 'V', scale: -1, value: 2301 },
      { id: '1-0:31.7.0', unit: 'A', scale: -2, value: 1234 },
    ],
    quality: 0,
  };
}

function reasonOf(value: CborValue, schema: Schema): string {
  const d = decode(encode(value), schema);
  return d.ok ? 'ok' : d.reason;
}

describe('cbor schema', () => {
  test('a conforming value decodes', () => {
    const r = reading();
    expect(decode(encode(r), READING)).toEqual({ ok: true, value: r });
  });
  test('a wrong type at a nested path is refused with a reason naming the path', () => {
    const r = reading();
    (r['channels'] as { [k: string]: CborValue }[])[2]!['value'] = 'high';
    expect(reasonOf({ reading: r, sig: new Uint8Array(64) }, SUBMISSION)).toBe('$.reading.channels[2].value: expected int');
  });
  test('the offset of a schema refusal points at the offending item', () => {
    const r = reading();
    r['seq'] = -7;
    const bytes = encode(r);
    const d = decode(bytes, READING);
    expect(d).toEqual({ ok: false, reason: '$.seq: expected uint', offset: expect.any(Number) });
    if (!d.ok) expect(bytes[d.offset]).toBe(0x26); // −7
  });
  test('an unknown map key is refused', () => {
    const r = reading();
    r['note'] = 'hello';
    expect(reasonOf(r, READING)).toBe('$: unknown key "note"');
  });
  test('an unknown key in a nested map names the map', () => {
    const r = reading();
    (r['channels'] as { [k: string]: CborValue }[])[1]!['phase'] = 2;
    expect(reasonOf(r, READING)).toBe('$.channels[1]: unknown key "phase"');
  });
  test('an optional key may be absent or present', () => {
    const r = reading();
    expect(reasonOf(r, READING)).toBe('ok');
    (r['channels'] as { [k: string]: CborValue }[])[0]!['raw'] = 123456790;
    expect(reasonOf(r, READING)).toBe('ok');
  });
  test('a missing required key is refused', () => {
    const r = reading();
    delete r['ts'];
    expect(reasonOf(r, READING)).toBe('$: missing key "ts"');
  });
  test('bytes of the wrong length are refused', () => {
    const r = reading();
    r['meter'] = new Uint8Array(19);
    expect(reasonOf(r, READING)).toBe('$.meter: expected bytes(20)');
  });
  test('text longer than its maximum in UTF-8 bytes is refused', () => {
    const r = reading();
    (r['channels'] as { [k: string]: CborValue }[])[0]!['unit'] = 'µΩ·m²'; // 5 characters, 9 bytes
    expect(reasonOf(r, READING)).toBe('$.channels[0].unit: expected text of at most 8 bytes');
  });
  test('an unsigned integer above its maximum is refused', () => {
    const r = reading();
    r['clock'] = 3;
    expect(reasonOf(r, READING)).toBe('$.clock: expected uint <= 2');
  });
  test('an array longer than its maximum is refused before its items are read', () => {
    const r = reading();
    const channels = r['channels'] as CborValue[];
    channels.push(channels[0]!, channels[0]!);
    expect(reasonOf(r, READING)).toBe('$.channels: expected at most 4 items, got 5');
  });
  test('a container of the wrong kind is refused before its content is read', () => {
    // A map where an array belongs, followed by garbage the decoder never reaches.
    expect(decode(new Uint8Array([0xa1, 0xff, 0xff]), { array: 'int' })).toEqual({ ok: false, reason: '$: expected array', offset: 0 });
  });
  test('a tuple takes exactly its items, each with its own schema', () => {
    const pair: Schema = { tuple: ['uint', 'text'] };
    expect(reasonOf([1, 'a'], pair)).toBe('ok');
    expect(reasonOf([1, 2], pair)).toBe('$[1]: expected text');
    expect(reasonOf([1], pair)).toBe('$: expected 2 items, got 1');
  });
  test('oneOf takes the first alternative that matches', () => {
    const maybeAddress: Schema = { oneOf: [{ bytes: 20 }, 'null'] };
    expect(reasonOf(null, maybeAddress)).toBe('ok');
    expect(reasonOf(new Uint8Array(20), maybeAddress)).toBe('ok');
    expect(reasonOf('mc00', maybeAddress)).toBe('$: expected one of (bytes(20), null)');
  });
  test('bool, null and any', () => {
    expect(reasonOf(true, 'bool')).toBe('ok');
    expect(reasonOf(null, 'bool')).toBe('$: expected bool');
    expect(reasonOf(false, 'null')).toBe('$: expected null');
    expect(reasonOf({ x: [1, 'y', null] }, 'any')).toBe('ok');
  });
  test('map keys that are not identifiers are quoted in the path', () => {
    expect(reasonOf({ '1-0:1.8.0': 'x' }, { map: { '1-0:1.8.0': 'int' } })).toBe('$["1-0:1.8.0"]: expected int');
  });
  test('codec refusals take precedence inside a schema-checked value and carry no path', () => {
    const bytes = encode(reading());
    expect(decode(bytes.subarray(0, 40), READING)).toEqual({ ok: false, reason: 'truncated', offset: expect.any(Number) });
  });
  test('a malformed schema is a programmer mistake and throws CBOR_SCHEMA', () => {
    expect(() => decode(encode(1), 'float' as Schema)).toThrow(expect.objectContaining({ code: 'CBOR_SCHEMA' }));
    expect(() => decode(encode(1), { map: { a: 'int' }, optional: ['b'] })).toThrow(/optional key "b"/);
    expect(() => decode(encode(1), { array: 'int', tuple: ['int'] } as unknown as Schema)).toThrow(/one form/);
  });
  test('checkSchema checks a value in memory with the same reasons', () => {
    const r = reading();
    expect(checkSchema(r, READING)).toBeUndefined();
    r['seq'] = 'seven';
    expect(checkSchema(r, READING)).toBe('$.seq: expected uint');
  });
});
