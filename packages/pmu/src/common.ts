// IEEE C37.118.2-2011 §6.2: the fields every frame starts with (SYNC, FRAMESIZE, IDCODE, SOC, FRACSEC) and ends
// with (CHK, CRC-CCITT), and the time-quality byte of FRACSEC (§6.2.2, Table 3).
import { codedError, crcCcitt } from '@meterchain/core';
import { Reader, Writer } from './cursor.ts';

/** Frame type, SYNC bits 6-4 (Table 2). */
export type FrameKind = 'data' | 'header' | 'cfg1' | 'cfg2' | 'cfg3' | 'command';

const KIND_BITS: Record<FrameKind, number> = { data: 0, header: 1, cfg1: 2, cfg2: 3, command: 4, cfg3: 5 };
const KINDS: FrameKind[] = ['data', 'header', 'cfg1', 'cfg2', 'command', 'cfg3'];

/** SYNC's leading byte. */
export const SYNC_BYTE = 0xaa;
/** Header (14 bytes) plus CHK. */
export const HEADER_LENGTH = 14;
/** The smallest frame: a header frame with no text. */
export const MIN_FRAME_LENGTH = 16;

/** FRACSEC bits 31-24 (Table 3): leap-second flags and the message time-quality code. */
export interface TimeQuality {
  /** Bit 30: the pending or last leap second is a deletion (1) rather than an insertion (0). */
  leapSecondNegative: boolean;
  /** Bit 29: a leap second occurred in the last 24 hours. */
  leapSecondOccurred: boolean;
  /** Bit 28: a leap second will happen within 60 s. */
  leapSecondPending: boolean;
  /** Bits 27-24: 0 = clock locked to UTC; 1..11 = unlocked, time within 10^(code-10) s; 15 = clock failed. */
  code: number;
}

/** What comes before the frame-specific fields, in every frame. */
export interface FrameHead {
  kind: FrameKind;
  /** SYNC bits 3-0: 1 = C37.118-2005, 2 = C37.118.2-2011. */
  version: number;
  /** Stream source: the PMU or PDC sending the stream (data frames), the receiver (command frames). */
  idcode: number;
  /** Second of century: seconds since 1970-01-01 UTC (leap seconds excluded). */
  soc: number;
  /** FRACSEC bits 23-0: fraction of the second in units of 1/TIME_BASE. */
  fraction: number;
  timeQuality: TimeQuality;
}

export type Verdict<T> = { ok: true; value: T } | { ok: false; reason: string };

export function refuse<T>(reason: string): Verdict<T> {
  return { ok: false, reason };
}

/** Time-quality code meaning, for messages and reports (Table 3). */
export function timeQualityText(code: number): string {
  if (code === 0) return 'clock locked to UTC';
  if (code === 15) return 'clock failure, time not reliable';
  if (code >= 1 && code <= 11) return `clock unlocked, time within 1e${code - 10} s`;
  return `reserved time-quality code ${code}`;
}

/** 10^n for n ≥ 0, exact (Espruino's Math.pow is not). */
function pow10(n: number): number {
  let v = 1;
  for (let i = 0; i < n; i++) v *= 10;
  return v;
}

/** Worst time error a time-quality code admits, in seconds (Infinity for a failed clock or a reserved code). */
export function timeQualityBound(code: number): number {
  if (code === 0) return 1 / pow10(9);
  if (code >= 1 && code <= 10) return 1 / pow10(10 - code);
  if (code === 11) return 10;
  return Infinity;
}

export function encodeTimeQuality(q: TimeQuality): number {
  return (q.leapSecondNegative ? 0x40 : 0) | (q.leapSecondOccurred ? 0x20 : 0) | (q.leapSecondPending ? 0x10 : 0) | (q.code & 0x0f);
}

export function decodeTimeQuality(byte: number): TimeQuality {
  return { leapSecondNegative: (byte & 0x40) !== 0, leapSecondOccurred: (byte & 0x20) !== 0, leapSecondPending: (byte & 0x10) !== 0, code: byte & 0x0f };
}

/** A clock locked to UTC, no leap second about. */
export const LOCKED: TimeQuality = { leapSecondNegative: false, leapSecondOccurred: false, leapSecondPending: false, code: 0 };

function checkUint(value: number, bits: number, what: string): void {
  let limit = 1;
  for (let i = 0; i < bits; i++) limit *= 2;
  if (typeof value !== 'number' || value !== Math.floor(value) || value < 0 || value >= limit) {
    throw codedError('PMU_BAD_FIELD', `${what} must be an integer in 0..${limit - 1}, got ${value}`);
  }
}

/** Starts a frame: writes the header with FRAMESIZE 0, to be patched by `finishFrame`. */
export function startFrame(head: FrameHead, capacity: number): Writer {
  checkUint(head.version, 4, 'version');
  if (head.version < 1) throw codedError('PMU_BAD_FIELD', `version must be 1 (2005) or 2 (2011), got ${head.version}`);
  checkUint(head.idcode, 16, 'IDCODE');
  checkUint(head.soc, 32, 'SOC');
  checkUint(head.fraction, 24, 'FRACSEC fraction');
  checkUint(head.timeQuality.code, 4, 'time-quality code');
  const w = new Writer(capacity);
  w.u8(SYNC_BYTE);
  w.u8((KIND_BITS[head.kind] << 4) | head.version);
  w.u16(0);
  w.u16(head.idcode);
  w.u32(head.soc);
  w.u8(encodeTimeQuality(head.timeQuality));
  w.u8((head.fraction >>> 16) & 0xff);
  w.u16(head.fraction & 0xffff);
  return w;
}

/** Patches FRAMESIZE and appends CHK: CRC-CCITT over every byte before it (§6.2.1). */
export function finishFrame(w: Writer): Uint8Array {
  const size = w.pos + 2;
  if (size > 0xffff) throw codedError('PMU_FRAME_TOO_LARGE', `a frame holds at most 65535 bytes, this one needs ${size}`);
  w.view.setUint16(2, size);
  w.u16(crcCcitt(w.bytes, 0, w.pos));
  return w.done();
}

/** The frame kind from SYNC's second byte, or undefined for the reserved types 6 and 7. */
export function kindOf(syncLow: number): FrameKind | undefined {
  return KINDS[(syncLow >> 4) & 0x07];
}

/**
 * Checks what every frame must satisfy — SYNC, FRAMESIZE equal to the bytes given, CHK — and reads the header.
 * On success the reader stands after FRACSEC and ends before CHK.
 */
export function readHead(bytes: Uint8Array): Verdict<{ head: FrameHead; reader: Reader }> {
  if (!bytes || typeof bytes.length !== 'number') return refuse('not a byte array');
  if (bytes.length < MIN_FRAME_LENGTH) return refuse(`frame of ${bytes.length} bytes: shorter than the 16-byte minimum`);
  if (bytes[0] !== SYNC_BYTE) return refuse(`SYNC starts with 0x${bytes[0]!.toString(16)}, not 0xaa`);
  const low = bytes[1]!;
  if (low & 0x80) return refuse('SYNC bit 7 (reserved) is set');
  const kind = kindOf(low);
  if (kind === undefined) return refuse(`SYNC frame type ${(low >> 4) & 7} is reserved`);
  const version = low & 0x0f;
  if (version !== 1 && version !== 2) return refuse(`SYNC version ${version}: only 1 (2005) and 2 (2011) are defined`);
  if (kind === 'cfg3' && version < 2) return refuse('CFG-3 frame with version 1: CFG-3 exists from the 2011 edition on');
  const size = (bytes[2]! << 8) | bytes[3]!;
  if (size !== bytes.length) return refuse(`FRAMESIZE says ${size} bytes, the frame has ${bytes.length}`);
  const expected = crcCcitt(bytes, 0, size - 2);
  const got = (bytes[size - 2]! << 8) | bytes[size - 1]!;
  if (expected !== got) return refuse(`CHK mismatch: computed 0x${expected.toString(16)}, received 0x${got.toString(16)}`);
  const r = new Reader(bytes, 4, size - 2);
  const idcode = r.u16();
  const soc = r.u32();
  const quality = r.u8();
  if (quality & 0x80) return refuse('FRACSEC bit 31 (reserved) is set');
  const fraction = (r.u8() << 16) | r.u16();
  return { ok: true, value: { head: { kind, version, idcode, soc, fraction, timeQuality: decodeTimeQuality(quality) }, reader: r } };
}

/** The verdict when a decoder left bytes unread or ran short. */
export function trailing<T>(r: Reader, what: string, value: T): Verdict<T> {
  if (r.short) return refuse(`${what} truncated: FRAMESIZE too small for its fields`);
  if (r.pos !== r.end) return refuse(`${what} has ${r.end - r.pos} bytes after its last field`);
  return { ok: true, value };
}
