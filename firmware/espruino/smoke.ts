// Smoke test of the sensor-node composition, run by the portability gate in its Espruino-like sandbox: publishes
// readings through fake board services and checks each frame as the full node would (CRC, CBOR, HMAC, reading).
import { Domain, crc32, decode, decodeReading, fromHex, readUintBE, sha256, signingInput, verifyHmacSha256 } from '@meterchain/core';
import { createSensorNode, SEQUENCE_BLOCK } from './src/node.ts';

function check(condition: boolean, what: string): void {
  if (!condition) {
    const error = new Error(`firmware smoke: ${what}`) as Error & { code: string };
    error.code = 'SMOKE_FAILED';
    throw error;
  }
}

function readUintLE32(bytes: Uint8Array, at: number): number {
  return (bytes[at]! | (bytes[at + 1]! << 8) | (bytes[at + 2]! << 16)) + bytes[at + 3]! * 16777216;
}

export function smoke(): number {
  const key = fromHex('000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f');
  const meter = fromHex('00112233445566778899aabbccddeeff00112233');
  const sent: Uint8Array[] = [];
  const reservations: number[] = [];
  let mark = 1000;
  // The readings between the first and the last (which the checks below read) hash with a stand-in: a board hashes
  // natively, and 255 more JavaScript SHA-256 HMACs would make this test too slow to run from a board's flash.
  let hashing = true;
  const standIn = new Uint8Array(32);
  const node = createSensorNode(
    {
      hash: (bytes) => (hashing ? sha256(bytes) : standIn),
      crc32: (bytes) => crc32(bytes),
      key,
      now: () => 1700000000000,
      send: (frame) => sent.push(frame),
      reserveSequence: (count) => {
        reservations.push(mark);
        mark += count;
        return mark - count;
      },
    },
    { cluster: 'cluster-1', meter },
  );
  const channels = [{ id: '1-0:32.7.0', unit: 'V', scale: -1, value: 2305 }];
  for (let i = 0; i <= SEQUENCE_BLOCK; i++) {
    hashing = i === 0 || i === SEQUENCE_BLOCK;
    node.publish(channels, 0);
  }
  check(sent.length === SEQUENCE_BLOCK + 1, 'one frame per reading');
  check(reservations.length === 2 && reservations[1] === 1000 + SEQUENCE_BLOCK, 'a new sequence block once one is used up');
  const frame = sent[SEQUENCE_BLOCK]!;
  const length = readUintBE(frame, 0, 2);
  check(frame.length === length + 6, 'length prefix covers the payload');
  const crc = crc32(frame, 0, length + 2);
  check(readUintLE32(frame, length + 2) === crc, 'CRC-32 over length and payload, low byte first');
  const payload = decode(frame.subarray(2, length + 2));
  check(payload.ok, 'payload is canonical CBOR');
  const msg = (payload as unknown as { value: { body: Uint8Array; tag: Uint8Array } }).value;
  check(verifyHmacSha256(key, signingInput(Domain.SENSOR, msg.body), msg.tag), 'HMAC-SHA256 tag under the sensor domain');
  const reading = decodeReading(msg.body);
  check(reading.ok && reading.reading.seq === 1000 + SEQUENCE_BLOCK && reading.reading.channels[0]!.value === 2305, 'reading decodes with its sequence number');
  console.log(`firmware smoke: ${sent.length} frames, last ${frame.length} bytes, seq ${1000 + SEQUENCE_BLOCK}`);
  return sent.length;
}
