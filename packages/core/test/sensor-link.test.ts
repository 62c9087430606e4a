import { describe, expect, test } from '@jest/globals';
import { crc32 } from '../src/crc.ts';
import { encode } from '../src/cbor/index.ts';
import { Domain, signingInput } from '../src/envelope.ts';
import { fromHex } from '../src/hex.ts';
import { hmacSha256 } from '../src/hmac.ts';
import { encodeReading, type Reading } from '../src/reading.ts';
import { createSensorFrameChecker, createSensorFrameReader, SENSOR_PAYLOAD_MAX } from '../src/sensor-link.ts';

const KEY = fromHex('000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f');
const METER = fromHex('00112233445566778899aabbccddeeff00112233');

function reading(seq: number): Reading {
  return { v: 1, cluster: 'c', meter: METER, seq, ts: 1700000000000 + seq, clock: 1, channels: [{ id: '1-0:32.7.0', unit: 'V', scale: -1, value: 2300 + seq }], quality: 0 };
}

/** A frame as the firmware writes it: length (2 bytes, big-endian), CBOR {body, tag}, CRC-32 low byte first. */
function frameOf(payload: Uint8Array): Uint8Array {
  const out = new Uint8Array(payload.length + 6);
  out[0] = payload.length >> 8;
  out[1] = payload.length & 0xff;
  out.set(payload, 2);
  const crc = crc32(out, 0, payload.length + 2);
  for (let i = 0; i < 4; i++) out[payload.length + 2 + i] = (crc >>> (8 * i)) & 0xff;
  return out;
}

function payloadOf(seq: number, key = KEY): Uint8Array {
  const body = encodeReading(reading(seq));
  return encode({ body, tag: hmacSha256(key, signingInput(Domain.SENSOR, body)) });
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

describe('sensor frame reader', () => {
  test('finds frames sent back to back, whatever the chunking', () => {
    const frames = [1, 2, 3].map((s) => frameOf(payloadOf(s)));
    const stream = concat(frames);
    for (const size of [1, 7, 64, stream.length]) {
      const reader = createSensorFrameReader();
      const got: Uint8Array[] = [];
      for (let at = 0; at < stream.length; at += size) got.push(...reader.push(stream.subarray(at, at + size)));
      expect(got.map((p) => Buffer.from(p).toString('hex'))).toEqual([1, 2, 3].map((s) => Buffer.from(payloadOf(s)).toString('hex')));
      expect(reader.counts).toEqual({ frames: 3, crcErrors: 0, skippedBytes: 0 });
    }
  });

  test('starts in the middle of a frame and finds the next whole one', () => {
    const first = frameOf(payloadOf(1));
    const reader = createSensorFrameReader();
    const got = reader.push(concat([first.subarray(40), frameOf(payloadOf(2))]));
    expect(got).toHaveLength(1);
    expect(Buffer.from(got[0]!).equals(Buffer.from(payloadOf(2)))).toBe(true);
    expect(reader.counts.skippedBytes).toBeGreaterThan(0);
  });

  test('a flipped bit fails the CRC: that frame is dropped, the next is taken', () => {
    const bad = frameOf(payloadOf(1));
    bad[50] ^= 0x04;
    const reader = createSensorFrameReader();
    const got = reader.push(concat([bad, frameOf(payloadOf(2))]));
    expect(got).toHaveLength(1);
    expect(reader.counts.crcErrors).toBeGreaterThanOrEqual(1);
  });

  test('a length over the limit is skipped, not waited for', () => {
    const reader = createSensorFrameReader();
    const huge = new Uint8Array([(SENSOR_PAYLOAD_MAX + 1) >> 8, (SENSOR_PAYLOAD_MAX + 1) & 0xff]);
    const got = reader.push(concat([huge, frameOf(payloadOf(5))]));
    expect(got).toHaveLength(1);
    expect(reader.counts.skippedBytes).toBe(2);
  });
});

describe('sensor frame checker', () => {
  const check = createSensorFrameChecker(KEY);

  test('a frame authenticated with the shared key gives its reading and the exact body the board authenticated', () => {
    const r = check(payloadOf(7));
    expect(r.ok).toBe(true);
    if (r.ok) {
      expect(r.reading.seq).toBe(7);
      expect(Buffer.from(r.body).equals(Buffer.from(encodeReading(reading(7))))).toBe(true);
    }
  });

  test('another key: bad-tag', () => {
    const other = new Uint8Array(32).fill(9);
    expect(check(payloadOf(7, other))).toMatchObject({ ok: false, code: 'bad-tag' });
  });

  test('a tag over the body without the sensor domain: bad-tag', () => {
    const body = encodeReading(reading(7));
    expect(check(encode({ body, tag: hmacSha256(KEY, body) }))).toMatchObject({ ok: false, code: 'bad-tag' });
  });

  test('not canonical CBOR, or a short tag: malformed', () => {
    const body = encodeReading(reading(7));
    expect(check(encode({ body, tag: new Uint8Array(31) }))).toMatchObject({ ok: false, code: 'malformed' });
    expect(check(new Uint8Array([0xa2, 0x00]))).toMatchObject({ ok: false, code: 'malformed' });
  });

  test('an authenticated body that is no reading: bad-reading', () => {
    const body = encode({ v: 1 });
    expect(check(encode({ body, tag: hmacSha256(KEY, signingInput(Domain.SENSOR, body)) }))).toMatchObject({ ok: false, code: 'bad-reading' });
  });
});
