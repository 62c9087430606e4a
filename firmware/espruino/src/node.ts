// The sensor node as a composition of portable pieces: a reading's deterministic CBOR, authenticated with
// HMAC-SHA256 under the sensor domain (DESIGN §2: a sensor node hashes natively and does not sign), framed for the
// serial link to its full node. Board services come in as arguments, so the gate's smoke test can run it.
import {
  ClockStatus,
  Domain,
  concatBytes,
  crc16Modbus,
  encode,
  encodeReading,
  hmacSha256,
  signingInput,
  writeUintBE,
  type Channel,
  type Hash,
  type Reading,
} from '@meterchain/core';

/** What the board provides. On Espruino: native `crypto.SHA256`, `Date.now()`, a serial port, flash storage. */
export interface SensorServices {
  /** One-shot SHA-256 (Espruino's native one: 0.013 ms per KB on the Linux build, DESIGN §2). */
  hash: Hash;
  /** Key shared with the full node. */
  key: Uint8Array;
  /** Milliseconds since the Unix epoch as the board's clock says. */
  now: () => number;
  /** Writes one frame to the link to the full node. */
  send: (frame: Uint8Array) => void;
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

/** Frame on the serial link: 2-byte big-endian length, CBOR `{body, tag}`, CRC-16/MODBUS of both (low byte first). */
function frame(payload: Uint8Array): Uint8Array {
  const head = new Uint8Array(2);
  writeUintBE(head, 0, 2, payload.length);
  const crc = crc16Modbus(concatBytes([head, payload]));
  return concatBytes([head, payload, new Uint8Array([crc & 0xff, crc >>> 8])]);
}

export function createSensorNode(services: SensorServices, identity: SensorIdentity): SensorNode {
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
    next++;
    const body = encodeReading(reading);
    const tag = hmacSha256(services.key, signingInput(Domain.SENSOR, body), services.hash);
    const out = frame(encode({ body, tag }));
    services.send(out);
    return out;
  }

  return { publish };
}
