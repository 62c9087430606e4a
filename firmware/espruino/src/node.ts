// The sensor node as a composition of portable pieces: a reading's deterministic CBOR, authenticated with
// HMAC-SHA256 under the sensor domain (DESIGN §2: a sensor node hashes natively and does not sign), framed for the
// serial link to its full node. Board services come in as arguments, so the gate's smoke test can run it.
import {
  ClockStatus,
  Domain,
  createReadingEncoder,
  keyedHmacSha256,
  signingInput,
  type Channel,
  type Hash,
  type Reading,
} from '@meterchain/core';

/** What the board provides. On Espruino: native `crypto.SHA256`, `Date.now()`, a serial port, flash storage. */
export interface SensorServices {
  /** One-shot SHA-256 (Espruino's native one: 0.013 ms per KB on the Linux build, DESIGN §2). */
  hash: Hash;
  /** CRC-32 of a frame (ISO-HDLC, core's `crc32`): Espruino's native `E.CRC32`, 0.05 ms for 800 bytes where the
   * table-driven CRC-16 in JavaScript took 7 ms. */
  crc32: (bytes: Uint8Array) => number;
  /** Key shared with the full node. */
  key: Uint8Array;
  /** Milliseconds since the Unix epoch as the board's clock says. */
  now: () => number;
  /** Writes one frame to the link to the full node; `seq` is the reading's sequence number. */
  send: (frame: Uint8Array, seq: number) => void;
  /** Reserves sequence numbers: returns the first of `count` numbers never handed out before, also across reboots. */
  reserveSequence: (count: number) => number;
}

export interface SensorIdentity {
  cluster: string;
  /** 20-byte address of this meter. */
  meter: Uint8Array;
}

/** How many sequence numbers one flash write reserves: a reboot skips at most this many, flash sees 1/N writes. */
export const SEQUENCE_BLOCK = 256;

/** Boards start their clock at 1970 until the full node sets it; a stamp before 2020 is not a time at all. */
const EARLIEST_PLAUSIBLE_MS = 1577836800000;

export interface SensorNode {
  /** Builds, authenticates and sends one reading of `channels`; returns the frame sent. */
  publish: (channels: Channel[], quality: number) => Uint8Array;
}

/** The CBOR of `{body, tag}` with its keys in deterministic order ("tag" is shorter, so first), written in place. */
const TAG_KEY = new Uint8Array([0x63, 0x74, 0x61, 0x67, 0x58, 0x20]); // "tag", then the head of a 32-byte byte string
const BODY_KEY = new Uint8Array([0x64, 0x62, 0x6f, 0x64, 0x79]); // "body"

/**
 * Frame on the serial link: 2-byte big-endian length of the payload, the payload (CBOR `{body, tag}`), and the
 * CRC-32 of length and payload, 4 bytes, low byte first. Written straight into one buffer: the same payload as
 * encode({ body, tag }), without building a map to sort.
 */
export function frame(body: Uint8Array, tag: Uint8Array, crc32: (bytes: Uint8Array) => number): Uint8Array {
  const n = body.length;
  const bodyHead = n < 24 ? 1 : n < 0x100 ? 2 : 3;
  const payload = 1 + TAG_KEY.length + tag.length + BODY_KEY.length + bodyHead + n;
  const out = new Uint8Array(2 + payload + 4);
  out[0] = payload >> 8;
  out[1] = payload & 0xff;
  let p = 2;
  out[p++] = 0xa2; // map of two entries
  out.set(TAG_KEY, p);
  p += TAG_KEY.length;
  out.set(tag, p);
  p += tag.length;
  out.set(BODY_KEY, p);
  p += BODY_KEY.length;
  if (bodyHead === 1) out[p++] = 0x40 | n;
  else if (bodyHead === 2) {
    out[p++] = 0x58;
    out[p++] = n;
  } else {
    out[p++] = 0x59;
    out[p++] = n >> 8;
    out[p++] = n & 0xff;
  }
  out.set(body, p);
  const crc = crc32(out.subarray(0, 2 + payload));
  p = 2 + payload;
  out[p] = crc & 0xff;
  out[p + 1] = (crc >>> 8) & 0xff;
  out[p + 2] = (crc >>> 16) & 0xff;
  out[p + 3] = crc >>> 24;
  return out;
}

/** The payload of a serial frame (the CBOR `{body, tag}`), as a view: what a board with a network publishes. */
export function framePayload(frame: Uint8Array): Uint8Array {
  return frame.subarray(2, frame.length - 4);
}

const TWO_32 = 4294967296;

/**
 * The transport's 12-byte header (docs/transport.md §4) before a payload published over MQTT: version 1, flags 0,
 * the board's incarnation, and the reading's sequence number + 1 (the transport counts from 1), 6 bytes big-endian.
 */
export function transportHeader(incarnation: number, seq: number): Uint8Array {
  const out = new Uint8Array(12);
  out[0] = 1;
  out[2] = incarnation >>> 24;
  out[3] = (incarnation >>> 16) & 0xff;
  out[4] = (incarnation >>> 8) & 0xff;
  out[5] = incarnation & 0xff;
  const n = seq + 1;
  const hi = Math.floor(n / TWO_32);
  const lo = n - hi * TWO_32;
  out[6] = (hi >>> 8) & 0xff;
  out[7] = hi & 0xff;
  out[8] = lo >>> 24;
  out[9] = (lo >>> 16) & 0xff;
  out[10] = (lo >>> 8) & 0xff;
  out[11] = lo & 0xff;
  return out;
}

export function createSensorNode(services: SensorServices, identity: SensorIdentity): SensorNode {
  const encoder = createReadingEncoder();
  const mac = keyedHmacSha256(services.key, services.hash, signingInput(Domain.SENSOR, new Uint8Array(0)));
  let next = services.reserveSequence(SEQUENCE_BLOCK);
  let reservedUntil = next + SEQUENCE_BLOCK;

  function publish(channels: Channel[], quality: number): Uint8Array {
    if (next >= reservedUntil) {
      next = services.reserveSequence(SEQUENCE_BLOCK);
      reservedUntil = next + SEQUENCE_BLOCK;
    }
    const ts = Math.floor(services.now());
    const reading: Reading = {
      v: 1,
      cluster: identity.cluster,
      meter: identity.meter,
      seq: next,
      ts,
      clock: ts < EARLIEST_PLAUSIBLE_MS ? ClockStatus.INVALID : ClockStatus.UNSYNCED,
      channels,
      quality,
    };
    const seq = next;
    next++;
    // A view into the encoder's buffer: the tag and the frame are made from it before the next reading.
    const body = encoder.encodeView(reading);
    const tag = mac(body);
    const out = frame(body, tag, services.crc32);
    services.send(out, seq);
    return out;
  }

  return { publish };
}
