// The link from a sensor node to its full node (DESIGN §2): how the full node finds the sensor's frames in a byte
// stream (a serial line; an MQTT message carries one whole frame) and checks them. The sensor writes each frame as
// a 2-byte big-endian payload length, the payload (CBOR `{body, tag}`: the reading and its HMAC-SHA256 under
// `Domain.SENSOR`), and the CRC-32 of length and payload, low byte first (firmware/espruino/src/node.ts).
import { crc32 } from './crc.ts';
import { decode, type Schema } from './cbor/index.ts';
import { Domain, signingInput } from './envelope.ts';
import { constantTimeEqual, keyedHmacSha256 } from './hmac.ts';
import { decodeReading, type Reading } from './reading.ts';
import { sha256, type Hash } from './sha256.ts';

/** Largest payload a full node takes from a sensor: a reading of 64 channels is about 3 KB. */
export const SENSOR_PAYLOAD_MAX = 4096;

/** What a frame reader has seen: frames whole, and bytes it skipped to find the next frame (line noise, a frame cut
 * by a reset, a CRC error). */
export interface SensorLinkCounts {
  frames: number;
  crcErrors: number;
  skippedBytes: number;
}

export interface SensorFrameReader {
  /** Takes received bytes; returns the payloads of the frames they completed, in order. */
  push: (chunk: Uint8Array) => Uint8Array[];
  counts: SensorLinkCounts;
}

/**
 * Finds frames in a byte stream. Holds at most one frame's bytes: a length that cannot be (0, or over
 * SENSOR_PAYLOAD_MAX) or a CRC that does not match drops one byte and looks again from the next, so a reader that
 * starts in the middle of a frame, or loses bytes, finds the next whole one.
 */
export function createSensorFrameReader(): SensorFrameReader {
  const buffer = new Uint8Array(2 + SENSOR_PAYLOAD_MAX + 4);
  let length = 0;
  const counts: SensorLinkCounts = { frames: 0, crcErrors: 0, skippedBytes: 0 };

  function drop(n: number): void {
    for (let i = n; i < length; i++) buffer[i - n] = buffer[i]!;
    length -= n;
  }

  function crcMatches(at: number, payload: number): boolean {
    const end = at + payload + 2;
    const crc = (buffer[end]! | (buffer[end + 1]! << 8) | (buffer[end + 2]! << 16)) + buffer[end + 3]! * 16777216;
    return crc32(buffer, at, end) === crc;
  }

  /** The first offset after 0 where a whole frame with a matching CRC lies in the buffer, or -1. */
  function wholeFrameAfter(): number {
    for (let k = 1; k + 6 < length; k++) {
      const payload = (buffer[k]! << 8) | buffer[k + 1]!;
      if (payload > 0 && k + payload + 6 <= length && crcMatches(k, payload)) return k;
    }
    return -1;
  }

  /** One payload from the front of the buffer, null when more bytes are needed, undefined after a skip. */
  function next(): Uint8Array | null | undefined {
    if (length < 2) return null;
    const payload = (buffer[0]! << 8) | buffer[1]!;
    if (payload === 0 || payload > SENSOR_PAYLOAD_MAX) {
      drop(1);
      counts.skippedBytes++;
      return undefined;
    }
    if (length < payload + 6) {
      // Waiting for a frame that may be no frame (a length read from noise): a whole frame further on is taken now.
      const k = wholeFrameAfter();
      if (k < 0) return null;
      drop(k);
      counts.skippedBytes += k;
      return undefined;
    }
    if (!crcMatches(0, payload)) {
      counts.crcErrors++;
      drop(1);
      counts.skippedBytes++;
      return undefined;
    }
    const end = payload + 2;
    const out = buffer.slice(2, end);
    drop(end + 4);
    counts.frames++;
    return out;
  }

  function push(chunk: Uint8Array): Uint8Array[] {
    const out: Uint8Array[] = [];
    let at = 0;
    while (at < chunk.length) {
      const room = buffer.length - length;
      const n = chunk.length - at < room ? chunk.length - at : room;
      buffer.set(chunk.subarray(at, at + n), length);
      length += n;
      at += n;
      for (;;) {
        const payload = next();
        if (payload === null) break;
        if (payload !== undefined) out.push(payload);
      }
    }
    return out;
  }

  return { push, counts };
}

const PAYLOAD_SCHEMA: Schema = { map: { body: 'bytes', tag: { bytes: 32 } } };

export type SensorFrameResult =
  | { ok: true; reading: Reading; body: Uint8Array }
  | { ok: false; code: 'malformed' | 'bad-tag' | 'bad-reading'; reason: string };

/** Checks sensor payloads authenticated with one key: the key's HMAC pads are prepared once. */
export function createSensorFrameChecker(key: Uint8Array, hash?: Hash): (payload: Uint8Array) => SensorFrameResult {
  const mac = keyedHmacSha256(key, hash ?? sha256, signingInput(Domain.SENSOR, new Uint8Array(0)));
  return (payload) => {
    const d = decode(payload, PAYLOAD_SCHEMA, { views: true });
    if (!d.ok) return { ok: false, code: 'malformed', reason: `sensor frame: ${d.reason} at byte ${d.offset}` };
    const v = d.value as { body: Uint8Array; tag: Uint8Array };
    if (!constantTimeEqual(mac(v.body), v.tag)) return { ok: false, code: 'bad-tag', reason: 'sensor frame: HMAC-SHA256 tag does not match the key' };
    const r = decodeReading(v.body);
    if (!r.ok) return { ok: false, code: 'bad-reading', reason: `sensor frame: ${r.reason}` };
    return { ok: true, reading: r.reading, body: v.body };
  };
}
