// The transport's frame header: 12 bytes in front of every opaque signed frame, so a receiver can tell a duplicate
// or a gap in one publisher's stream before it spends a signature verification on it.
//
//   offset 0  u8   version (1)
//   offset 1  u8   flags (0; receivers reject other values so a later version can use them)
//   offset 2  u32  incarnation, big-endian: a publisher's stream generation, raised on every open
//   offset 6  u48  sequence number, big-endian, from 1, per publisher and frame kind within one incarnation
//
// The header is not signed: it is a delivery hint. Replay and order are judged by the consensus layer from
// the signed frame itself.

export const HEADER_VERSION = 1;
export const HEADER_LENGTH = 12;
export const MAX_INCARNATION = 0xffffffff;
/** 2^48 - 1: a u48 stays an exact JavaScript number. */
export const MAX_SEQUENCE = 0xffffffffffff;

export interface FrameHeader {
  incarnation: number;
  seq: number;
}

/** Writes the header into `target` at offset 0. Programmer mistakes (out-of-range numbers) throw. */
export function writeFrameHeader(target: Uint8Array, header: FrameHeader): void {
  const { incarnation, seq } = header;
  if (!Number.isInteger(incarnation) || incarnation < 0 || incarnation > MAX_INCARNATION) {
    throw new RangeError(`frame header: expected an incarnation in 0..2^32-1, got ${incarnation}`);
  }
  if (!Number.isInteger(seq) || seq < 1 || seq > MAX_SEQUENCE) {
    throw new RangeError(`frame header: expected a sequence number in 1..2^48-1, got ${seq}`);
  }
  if (target.length < HEADER_LENGTH) throw new RangeError(`frame header: expected room for ${HEADER_LENGTH} bytes, got ${target.length}`);
  const view = new DataView(target.buffer, target.byteOffset, HEADER_LENGTH);
  view.setUint8(0, HEADER_VERSION);
  view.setUint8(1, 0);
  view.setUint32(2, incarnation);
  view.setUint16(6, Math.floor(seq / 0x100000000));
  view.setUint32(8, seq % 0x100000000);
}

/** Header followed by a copy of `frame`, in a fresh buffer. */
export function encodeFramed(header: FrameHeader, frame: Uint8Array): Uint8Array {
  const out = new Uint8Array(HEADER_LENGTH + frame.length);
  writeFrameHeader(out, header);
  out.set(frame, HEADER_LENGTH);
  return out;
}

export type FramedVerdict = { ok: true; header: FrameHeader; frame: Uint8Array } | { ok: false; reason: string };

/** Splits a received payload; hostile input gets a verdict with a reason, never an exception. */
export function decodeFramed(payload: Uint8Array): FramedVerdict {
  if (payload.length < HEADER_LENGTH) return { ok: false, reason: 'header-short' };
  const view = new DataView(payload.buffer, payload.byteOffset, HEADER_LENGTH);
  if (view.getUint8(0) !== HEADER_VERSION) return { ok: false, reason: 'header-version' };
  if (view.getUint8(1) !== 0) return { ok: false, reason: 'header-flags' };
  const incarnation = view.getUint32(2);
  const seq = view.getUint16(6) * 0x100000000 + view.getUint32(8);
  if (seq === 0) return { ok: false, reason: 'header-sequence' };
  return { ok: true, header: { incarnation, seq }, frame: payload.subarray(HEADER_LENGTH) };
}
