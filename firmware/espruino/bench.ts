// The cost of one sensor-node reading of 17 channels, step by step, beside the native SHA-256 of the frame it sends:
// run on Node by `npm run bench:sensor`, and bundled on an Espruino interpreter with `-- --espruino BIN`.
import { Domain, crc32, createReadingEncoder, fromHex, hmacSha256, keyedHmacSha256, sha256, signingInput, type Channel, type Hash, type Reading } from '@meterchain/core';
import { createSensorNode, frame } from './src/node.ts';

export interface BenchClock {
  /** A native one-shot SHA-256 where the board has one. */
  hash: Hash;
  /** A native CRC-32 where the board has one. */
  crc32: (bytes: Uint8Array) => number;
  /** Milliseconds, as fine as the platform gives them. */
  now: () => number;
  /** The generic CBOR encoder of readings, to compare with (Node only: on a board it would only take memory). */
  generic?: (reading: Reading) => unknown;
}

export interface ReadingCost {
  channels: number;
  frameBytes: number;
  /** Milliseconds per reading: the whole publish, and its steps measured alone. */
  publish: number;
  /** NaN when not measured (no `generic`). */
  encodeGeneric: number;
  encode: number;
  hmac: number;
  frame: number;
  /** Milliseconds for one native SHA-256 of the frame. */
  sha256: number;
}

/** 17 channels of a three-phase meter: voltages, currents, powers, power factors, frequency, energies. */
function channels(): Channel[] {
  const ids = ['1-0:32.7.0', '1-0:52.7.0', '1-0:72.7.0', '1-0:31.7.0', '1-0:51.7.0', '1-0:71.7.0', '1-0:36.7.0', '1-0:56.7.0', '1-0:76.7.0',
    '1-0:33.7.0', '1-0:53.7.0', '1-0:73.7.0', '1-0:14.7.0', '1-0:16.7.0', '1-0:1.8.0', '1-0:2.8.0', '1-0:13.7.0'];
  const units = ['V', 'V', 'V', 'A', 'A', 'A', 'W', 'W', 'W', '1', '1', '1', 'Hz', 'W', 'Wh', 'Wh', '1'];
  const scales = [-2, -2, -2, -3, -3, -3, -1, -1, -1, -3, -3, -3, -3, -1, 0, 0, -3];
  const values = [23051, 23017, 22988, 5125, -4870, 6002, 11810, -11200, 13790, 998, -975, 1000, 49980, 14400, 123456789, 4321, 990];
  const out: Channel[] = [];
  for (let i = 0; i < ids.length; i++) out.push({ id: ids[i]!, unit: units[i]!, scale: scales[i]!, value: values[i]! });
  return out;
}

/** Milliseconds per call: the best of `batches` batches of `rounds` calls (a machine shared with other work is
 * slower in some batches, never faster; short batches are the likelier to run through uninterrupted). */
function perCall(clock: BenchClock, rounds: number, batches: number, step: (i: number) => void): number {
  let best = Infinity;
  for (let batch = 0; batch < batches; batch++) {
    const start = clock.now();
    for (let i = 0; i < rounds; i++) step(i);
    const ms = (clock.now() - start) / rounds;
    if (ms < best) best = ms;
  }
  return best;
}

export function measureReading(clock: BenchClock, rounds: number, batches: number): ReadingCost {
  const key = fromHex('000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f');
  const meter = fromHex('00112233445566778899aabbccddeeff00112233');
  let mark = 0;
  let last: Uint8Array = new Uint8Array(0);
  const node = createSensorNode(
    {
      hash: clock.hash,
      crc32: clock.crc32,
      key,
      now: () => 1700000000000,
      send: (f) => {
        last = f;
      },
      reserveSequence: (n) => {
        mark += n;
        return mark - n;
      },
    },
    { cluster: 'cluster-1', meter },
  );
  const sample = channels();
  const reading: Reading = { v: 1, cluster: 'cluster-1', meter, seq: 1, ts: 1700000000000, clock: 1, channels: sample, quality: 0 };
  const encoder = createReadingEncoder();
  const body = encoder.encode(reading);
  const tag = hmacSha256(key, signingInput(Domain.SENSOR, body), clock.hash);
  const mac = keyedHmacSha256(key, clock.hash, signingInput(Domain.SENSOR, new Uint8Array(0)));
  const result: ReadingCost = {
    channels: sample.length,
    frameBytes: 0,
    publish: perCall(clock, rounds, batches, () => node.publish(sample, 0)),
    encodeGeneric: clock.generic ? perCall(clock, rounds, batches, () => clock.generic!(reading)) : NaN,
    encode: perCall(clock, rounds, batches, () => encoder.encode(reading)),
    hmac: perCall(clock, rounds, batches, () => mac(body)),
    frame: perCall(clock, rounds, batches, () => frame(body, tag, clock.crc32)),
    sha256: 0,
  };
  result.frameBytes = last.length;
  result.sha256 = perCall(clock, rounds, batches, () => clock.hash(last));
  return result;
}

export function formatCost(c: ReadingCost): string[] {
  const ms = (x: number) => x.toFixed(3) + ' ms';
  return [
    `one reading of ${c.channels} channels, frame ${c.frameBytes} bytes: ${ms(c.publish)} (${(c.publish / c.sha256).toFixed(1)}x the native SHA-256 of the frame, ${ms(c.sha256)})`,
    `  encode ${ms(c.encode)}${c.encodeGeneric === c.encodeGeneric ? ` (generic encoder ${ms(c.encodeGeneric)})` : ''}, HMAC ${ms(c.hmac)}, frame and CRC ${ms(c.frame)}`,
  ];
}

// Espruino's own globals, when the bundle runs there.
declare const getTime: (() => number) | undefined;
declare const E: { CRC32(data: Uint8Array): number };
declare function require(name: 'crypto'): { SHA256(data: Uint8Array): ArrayBuffer };

/** Entry of the bundle the bench runs on an Espruino interpreter: native SHA-256 and getTime(). */
export function smoke(): void {
  const native = typeof getTime === 'function';
  const crypto = native ? require('crypto') : undefined;
  const clock: BenchClock = {
    hash: crypto ? (data) => new Uint8Array(crypto.SHA256(data)) : sha256,
    crc32: native ? (bytes) => E.CRC32(bytes) : (bytes) => crc32(bytes),
    now: native ? () => getTime!() * 1000 : () => Date.now(),
  };
  const lines = formatCost(native ? measureReading(clock, 2, 40) : measureReading(clock, 200, 5));
  for (let i = 0; i < lines.length; i++) console.log(lines[i]);
}
