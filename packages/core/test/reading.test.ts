import { describe, expect, test } from '@jest/globals';
import { addressFromPublicKey, addressToText } from '../src/address.ts';
import { encode } from '../src/cbor/index.ts';
import { Domain, openEnvelope, sealEnvelope } from '../src/envelope.ts';
import { createManifest, verifyManifest, type Manifest } from '../src/manifest.ts';
import { QualityFlag } from '../src/quality.ts';
import { ClockStatus, decodeReading, encodeReading, readingFromJson, readingToJson, signReading, verifySignedReading, type Reading } from '../src/reading.ts';
import { testSigner, testVerifier } from './support/keys.ts';

const meter = testSigner(1);
const outsider = testSigner(9);
const operator = testSigner(200);

function manifest(): Manifest {
  const bytes = createManifest({ cluster: 'feeder-12', rule: 'majority', members: [meter, testSigner(2), testSigner(3)].map((s) => ({ publicKey: s.publicKey })), genesisMs: 0 }, operator);
  const v = verifyManifest(bytes, testVerifier);
  if (!v.ok) throw new Error(v.reason);
  return v.manifest;
}

function reading(over: Partial<Reading> = {}): Reading {
  return {
    v: 1,
    cluster: 'feeder-12',
    meter: addressFromPublicKey(meter.publicKey),
    seq: 42,
    ts: 1_764_000_000_123,
    clock: ClockStatus.SYNCED,
    channels: [
      { id: '1-0:32.7.0', unit: 'V', scale: -1, value: 2301 },
      { id: '1-0:31.7.0', unit: 'A', scale: -2, value: 1280, raw: 1295 },
      { id: '1-0:1.8.0', unit: 'Wh', scale: 0, value: 12_345_678 },
    ],
    quality: QualityFlag.FILTERED,
    ...over,
  };
}

describe('reading model', () => {
  test('encodes deterministically and decodes to the same reading, millisecond timestamps exact', () => {
    const r = reading();
    const bytes = encodeReading(r);
    expect(encodeReading(r)).toEqual(bytes);
    const d = decodeReading(bytes);
    expect(d).toEqual({ ok: true, reading: r });
    expect(bytes.length).toBeLessThan(260);
  });

  test('refuses a raw value without the FILTERED flag, repeated channel ids and scales out of range', () => {
    expect(() => encodeReading(reading({ quality: 0 }))).toThrow(/FILTERED/);
    const dup = reading();
    dup.channels[1]!.id = dup.channels[0]!.id;
    expect(() => encodeReading(dup)).toThrow(/repeated/);
    const scaled = reading();
    scaled.channels[0]!.scale = 13;
    expect(() => encodeReading(scaled)).toThrow(/scale out of range/);
  });

  test('a repeated channel id is named at its second occurrence, however far apart the two are', () => {
    const base = { v: 1, cluster: 'c', meter: new Uint8Array(20), seq: 1, ts: 2, clock: 0, quality: 0 };
    const channel = (id: string) => ({ id, unit: 'V', scale: 0, value: 1 });
    const ids = ['1-0:32.7.0', '1-0:52.7.0', '1-0:72.7.0', '1-0:32.7.1', '1-0:32.7.0'];
    expect(decodeReading(encode({ ...base, channels: ids.map(channel) }))).toEqual({ ok: false, reason: 'reading: channels[4].id repeated: 1-0:32.7.0' });
    expect(decodeReading(encode({ ...base, channels: ids.slice(0, 4).map(channel) })).ok).toBe(true);
  });

  test('a channel id that names a property every object inherits counts as repeated, as it always has', () => {
    const base = { v: 1, cluster: 'c', meter: new Uint8Array(20), seq: 1, ts: 2, clock: 0, quality: 0 };
    const channels = [{ id: 'constructor', unit: 'V', scale: 0, value: 1 }];
    expect(decodeReading(encode({ ...base, channels }))).toEqual({ ok: false, reason: 'reading: channels[0].id repeated: constructor' });
  });

  test('a reading decoded from bytes inside a larger buffer carries the right meter', () => {
    const r = reading();
    const body = encodeReading(r);
    const outer = new Uint8Array(body.length + 7);
    outer.set(body, 5);
    expect(decodeReading(outer.subarray(5, 5 + body.length))).toEqual({ ok: true, reading: r });
  });

  test('decoding refuses unknown fields, wrong types and other versions with a reason', () => {
    const base = { v: 1, cluster: 'c', meter: new Uint8Array(20), seq: 1, ts: 2, clock: 0, channels: [], quality: 0 };
    expect(decodeReading(encode({ ...base, extra: 1 })).ok).toBe(false);
    const wrongType = decodeReading(encode({ ...base, seq: 'one' }));
    expect(wrongType.ok).toBe(false);
    if (!wrongType.ok) expect(wrongType.reason).toMatch(/seq/);
    expect(decodeReading(encode({ ...base, v: 2 }))).toEqual({ ok: false, reason: 'reading: unsupported reading version 2' });
    expect(decodeReading(encode({ ...base, clock: 3 })).ok).toBe(false);
  });
});

describe('signed readings', () => {
  const m = manifest();

  test('a reading signed by a member verifies against the manifest', () => {
    const v = verifySignedReading(signReading(reading(), meter), m, testVerifier);
    expect(v.ok).toBe(true);
    if (v.ok) expect(v.reading).toEqual(reading());
  });

  test('any changed byte of the signed reading is caught', () => {
    const bytes = signReading(reading(), meter);
    for (let i = 0; i < bytes.length; i++) {
      const t = bytes.slice();
      t[i] ^= 0x20;
      expect(verifySignedReading(t, m, testVerifier).ok).toBe(false);
    }
  });

  test('a non-member, another cluster and a signature under another domain are refused with their codes', () => {
    const notMember = readingFromJson({ ...readingToJson(reading()), meter: addressToText(addressFromPublicKey(outsider.publicKey)) });
    if (!notMember.ok) throw new Error(notMember.reason);
    expect(verifySignedReading(signReading(notMember.reading, outsider), m, testVerifier)).toMatchObject({ ok: false, code: 'not-member' });
    expect(verifySignedReading(signReading(reading({ cluster: 'other' }), meter), m, testVerifier)).toMatchObject({ ok: false, code: 'wrong-cluster' });
    const env = openEnvelope(signReading(reading(), meter));
    if (!env.ok) throw new Error(env.reason);
    const asVote = sealEnvelope(Domain.VOTE, env.envelope.body, meter);
    expect(verifySignedReading(asVote, m, testVerifier)).toMatchObject({ ok: false, code: 'bad-signature' });
  });

  test('garbage, truncated and oversized input gives a malformed verdict, never a throw', () => {
    const good = signReading(reading(), meter);
    for (let n = 0; n < good.length; n++) expect(verifySignedReading(good.subarray(0, n), m, testVerifier)).toMatchObject({ ok: false, code: 'malformed' });
    expect(verifySignedReading(new Uint8Array(100_000), m, testVerifier)).toMatchObject({ ok: false, code: 'malformed' });
    expect(verifySignedReading(new Uint8Array([0xff, 0x00, 0x13]), m, testVerifier)).toMatchObject({ ok: false, code: 'malformed' });
  });

  test('signing refuses a reading whose meter is not the signer', () => {
    expect(() => signReading(reading(), outsider)).toThrow(/not the address of the signing key/);
  });
});

describe('reading JSON form', () => {
  test('round-trips through readingToJson and readingFromJson, flags by name', () => {
    const j = readingToJson(reading());
    expect(j['qualityFlags']).toEqual(['FILTERED']);
    expect(readingFromJson(JSON.parse(JSON.stringify(j)))).toEqual({ ok: true, reading: reading() });
  });
  test('names the field that is wrong', () => {
    const j = readingToJson(reading());
    expect(readingFromJson({ ...j, seq: -1 })).toEqual({ ok: false, reason: 'seq: expected a non-negative integer' });
    expect(readingFromJson({ ...j, channels: [{ id: 'x', unit: 'V', scale: 0, value: 1.5 }] })).toEqual({ ok: false, reason: 'channels[0].value: expected an integer (fixed-point: value x 10^scale)' });
    expect(readingFromJson({ ...j, quality: ['NOPE'] })).toEqual({ ok: false, reason: 'quality: unknown flag "NOPE"' });
    expect(readingFromJson({ ...j, colour: 'red' })).toEqual({ ok: false, reason: "reading: unknown key 'colour'" });
  });
  test('takes the meter from the signer when the file omits it', () => {
    const j = readingToJson(reading());
    delete j['meter'];
    const r = readingFromJson(j, addressFromPublicKey(meter.publicKey));
    expect(r.ok && addressToText(r.reading.meter)).toBe(addressToText(addressFromPublicKey(meter.publicKey)));
  });
});
