// The link's byte streams (docs/transport.md §12): each member's outbox stream (read by the bus master, one piece per
// Read Holding Registers answer) and the master's relay stream (written to unit 0, one piece per Write Multiple
// Registers request). A stream is a run of messages; a message may span pieces and a piece may hold the end of one
// message and the start of the next. Each piece says where the first message starting in it begins, so a receiver
// that lost a piece drops the message it was in and picks up at the next start. Pure: no I/O, no clock.
import { addressFromText, addressToText, isAddressText } from '@meterchain/core';
import { isFrameKind } from '../topic.ts';

/** Uplink piece header: piece number u16, relay piece expected next u16, bytes waiting u16 (bit 15: no relay piece
 * received yet), first message start u8, data length u8. */
export const UPLINK_HEADER = 8;
/** Downlink piece header: first message start u8, data length u8. */
export const DOWNLINK_HEADER = 2;
/** "No message starts in this piece." */
export const NO_START = 0xff;
/** Data bytes in one piece at most: 250 - 8 in a read answer, 246 - 2 in a write request. */
export const MAX_UPLINK_DATA = 250 - UPLINK_HEADER;
export const MAX_DOWNLINK_DATA = 246 - DOWNLINK_HEADER;

export interface Piece {
  /** Offset in `data` of the first message that starts there, or NO_START. */
  start: number;
  data: Uint8Array;
}

export interface UplinkPiece extends Piece {
  num: number;
  /** The relay piece this member expects next, or undefined before it heard one. */
  relayNext: number | undefined;
  /** Stream bytes waiting behind this piece (capped at 0x7fff). */
  more: number;
}

/** The register bytes of an uplink piece, padded to `quantity` registers. */
export function encodeUplinkPiece(piece: UplinkPiece, quantity: number): Uint8Array {
  const out = new Uint8Array(quantity * 2);
  if (UPLINK_HEADER + piece.data.length > out.length) throw new RangeError(`rtu link: a piece of ${piece.data.length} bytes does not fit ${quantity} registers`);
  const more = Math.min(piece.more, 0x7fff) | (piece.relayNext === undefined ? 0x8000 : 0);
  const relayNext = piece.relayNext ?? 0;
  out.set([piece.num >> 8, piece.num & 0xff, relayNext >> 8, relayNext & 0xff, more >> 8, more & 0xff, piece.start, piece.data.length]);
  out.set(piece.data, UPLINK_HEADER);
  return out;
}

export type PieceVerdict<T> = { ok: true; piece: T } | { ok: false; reason: string };

export function decodeUplinkPiece(bytes: Uint8Array): PieceVerdict<UplinkPiece> {
  if (bytes.length < UPLINK_HEADER) return { ok: false, reason: 'piece-short' };
  const num = (bytes[0]! << 8) | bytes[1]!;
  const relayNext = (bytes[2]! << 8) | bytes[3]!;
  const moreField = (bytes[4]! << 8) | bytes[5]!;
  const start = bytes[6]!;
  const length = bytes[7]!;
  if (UPLINK_HEADER + length > bytes.length) return { ok: false, reason: 'piece-length' };
  if (start !== NO_START && start >= length) return { ok: false, reason: 'piece-start' };
  return {
    ok: true,
    piece: { num, relayNext: moreField & 0x8000 ? undefined : relayNext, more: moreField & 0x7fff, start, data: bytes.slice(UPLINK_HEADER, UPLINK_HEADER + length) },
  };
}

/** The register bytes of a downlink piece (even length, at least one register). */
export function encodeDownlinkPiece(piece: Piece): Uint8Array {
  const out = new Uint8Array(DOWNLINK_HEADER + piece.data.length + ((DOWNLINK_HEADER + piece.data.length) % 2));
  out[0] = piece.start;
  out[1] = piece.data.length;
  out.set(piece.data, DOWNLINK_HEADER);
  return out;
}

export function decodeDownlinkPiece(bytes: Uint8Array): PieceVerdict<Piece> {
  if (bytes.length < DOWNLINK_HEADER) return { ok: false, reason: 'piece-short' };
  const start = bytes[0]!;
  const length = bytes[1]!;
  if (DOWNLINK_HEADER + length > bytes.length) return { ok: false, reason: 'piece-length' };
  if (start !== NO_START && start >= length) return { ok: false, reason: 'piece-start' };
  return { ok: true, piece: { start, data: bytes.slice(DOWNLINK_HEADER, DOWNLINK_HEADER + length) } };
}

// ---- messages ----
//
//   u8 kind length k (1..16) | kind, k ASCII bytes | publisher address, 20 bytes | u32 payload length | payload
//
// The payload is what an MQTT broker would carry: the transport's 12-byte header and the signed frame.

export interface LinkMessage {
  kind: string;
  from: string;
  payload: Uint8Array;
}

export function encodeMessage(message: LinkMessage): Uint8Array {
  const kind = message.kind;
  if (!isFrameKind(kind)) throw new TypeError(`rtu link: expected a frame kind, got ${JSON.stringify(kind)}`);
  const out = new Uint8Array(1 + kind.length + 24 + message.payload.length);
  out[0] = kind.length;
  for (let i = 0; i < kind.length; i++) out[1 + i] = kind.charCodeAt(i);
  out.set(addressFromText(message.from), 1 + kind.length);
  const at = 1 + kind.length + 20;
  const n = message.payload.length;
  out.set([(n >>> 24) & 0xff, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff], at);
  out.set(message.payload, at + 4);
  return out;
}

export type AssembledMessage = { ok: true; message: LinkMessage } | { ok: false; reason: string };

/** Puts a stream's messages back together from its pieces; a message over `maxBytes` is dropped, not buffered. */
export class MessageAssembler {
  readonly #maxBytes: number;
  #synced = false;
  #parts: Uint8Array[] = [];
  #have = 0;
  /** Total length of the message being assembled, once its header is in; -1 before. */
  #total = -1;
  /** Bytes of an oversized message still to skip. */
  #skip = 0;

  constructor(maxBytes: number) {
    this.#maxBytes = maxBytes;
  }

  /** True while a message is partly assembled. */
  get partial(): boolean {
    return this.#have > 0 || this.#skip > 0;
  }

  /** A piece went missing: the message in progress is lost; wait for the next start. Returns true if one was. */
  lose(): boolean {
    const lost = this.partial;
    this.#synced = false;
    this.#reset();
    return lost;
  }

  push(piece: Piece): AssembledMessage[] {
    const out: AssembledMessage[] = [];
    const data = piece.data;
    let at = 0;
    if (!this.#synced) {
      if (piece.start === NO_START) return out;
      this.#synced = true;
      at = piece.start;
    } else if (piece.start !== NO_START) {
      this.#feed(data.subarray(0, piece.start), out);
      if (this.partial) {
        // The stream says a message starts here, yet the one in progress is unfinished: its end went missing.
        out.push({ ok: false, reason: 'message-truncated' });
        this.#reset();
      }
      at = piece.start;
    }
    this.#feed(data.subarray(at), out);
    return out;
  }

  #reset(): void {
    this.#parts = [];
    this.#have = 0;
    this.#total = -1;
    this.#skip = 0;
  }

  #feed(bytes: Uint8Array, out: AssembledMessage[]): void {
    let at = 0;
    while (at < bytes.length) {
      if (this.#skip > 0) {
        const n = Math.min(this.#skip, bytes.length - at);
        this.#skip -= n;
        at += n;
        continue;
      }
      const want = this.#total < 0 ? this.#headerNeed() : this.#total - this.#have;
      const n = Math.min(want, bytes.length - at);
      this.#parts.push(bytes.subarray(at, at + n));
      this.#have += n;
      at += n;
      if (this.#total < 0) {
        const joined = this.#joined();
        const verdict = headerOf(joined);
        if (verdict === 'short') continue;
        if (typeof verdict === 'string') {
          out.push({ ok: false, reason: verdict });
          // Nothing here says where the next message starts: wait for a piece that does.
          this.#reset();
          this.#synced = false;
          return;
        }
        if (verdict.total - verdict.headerLength > this.#maxBytes) {
          out.push({ ok: false, reason: 'message-too-large' });
          const rest = verdict.total - this.#have;
          this.#reset();
          this.#skip = rest;
          continue;
        }
        this.#total = verdict.total;
        this.#parts = [joined];
      }
      if (this.#total >= 0 && this.#have === this.#total) {
        out.push(parseMessage(this.#joined()));
        this.#reset();
      }
    }
  }

  /** Bytes to take next while the header is incomplete: its first byte, then the rest of it. */
  #headerNeed(): number {
    if (this.#have === 0) return 1;
    const k = this.#parts[0]![0]!;
    return k < 1 || k > 16 ? 1 : 1 + k + 24 - this.#have;
  }

  #joined(): Uint8Array {
    if (this.#parts.length === 1) return this.#parts[0]!;
    const out = new Uint8Array(this.#have);
    let at = 0;
    for (const p of this.#parts) {
      out.set(p, at);
      at += p.length;
    }
    this.#parts = [out];
    return out;
  }
}

function headerOf(bytes: Uint8Array): 'short' | string | { headerLength: number; total: number } {
  if (bytes.length < 1) return 'short';
  const k = bytes[0]!;
  if (k < 1 || k > 16) return 'message-kind';
  const headerLength = 1 + k + 24;
  if (bytes.length < headerLength) return 'short';
  const n = ((bytes[1 + k + 20]! << 24) >>> 0) + (bytes[1 + k + 21]! << 16) + (bytes[1 + k + 22]! << 8) + bytes[1 + k + 23]!;
  return { headerLength, total: headerLength + n };
}

function parseMessage(bytes: Uint8Array): AssembledMessage {
  const k = bytes[0]!;
  let kind = '';
  for (let i = 0; i < k; i++) kind += String.fromCharCode(bytes[1 + i]!);
  if (!isFrameKind(kind)) return { ok: false, reason: 'message-kind' };
  const from = addressToText(bytes.slice(1 + k, 1 + k + 20));
  if (!isAddressText(from)) return { ok: false, reason: 'message-address' };
  return { ok: true, message: { kind, from, payload: bytes.slice(1 + k + 24) } };
}

/** A run of messages cut into pieces. take() builds the next piece without consuming it; commit() consumes it. */
export class PieceWriter<T = undefined> {
  readonly #queue: Array<{ bytes: Uint8Array; tag: T }> = [];
  /** Bytes of the head message already in committed pieces. */
  #offset = 0;
  #queuedBytes = 0;

  get length(): number {
    return this.#queue.length;
  }

  /** Stream bytes not yet in a committed piece. */
  get pendingBytes(): number {
    return this.#queuedBytes - this.#offset;
  }

  push(bytes: Uint8Array, tag: T): void {
    this.#queue.push({ bytes, tag });
    this.#queuedBytes += bytes.length;
  }

  /** The next piece of at most `maxData` bytes: its data, where a message first starts in it, the messages it ends. */
  take(maxData: number): { piece: Piece; ends: T[]; consumed: number } {
    const parts: Uint8Array[] = [];
    const ends: T[] = [];
    let start = NO_START;
    let size = 0;
    let index = 0;
    let offset = this.#offset;
    while (size < maxData && index < this.#queue.length) {
      const message = this.#queue[index]!;
      if (offset === 0 && start === NO_START) start = size;
      const n = Math.min(maxData - size, message.bytes.length - offset);
      parts.push(message.bytes.subarray(offset, offset + n));
      size += n;
      offset += n;
      if (offset === message.bytes.length) {
        ends.push(message.tag);
        index++;
        offset = 0;
      }
    }
    const data = new Uint8Array(size);
    let at = 0;
    for (const p of parts) {
      data.set(p, at);
      at += p.length;
    }
    return { piece: { start, data }, ends, consumed: size };
  }

  /** Consumes `consumed` bytes (what take() said), returning the tags of messages now wholly sent. */
  commit(consumed: number): T[] {
    const done: T[] = [];
    let left = consumed;
    while (left > 0 && this.#queue.length > 0) {
      const head = this.#queue[0]!;
      const n = Math.min(left, head.bytes.length - this.#offset);
      this.#offset += n;
      left -= n;
      if (this.#offset === head.bytes.length) {
        this.#queue.shift();
        this.#queuedBytes -= head.bytes.length;
        this.#offset = 0;
        done.push(head.tag);
      }
    }
    return done;
  }

  /** Starts the head message again from its first byte (the reader lost track of the stream). */
  restartHead(): void {
    this.#offset = 0;
  }

  /** Drops every queued message, returning their tags. */
  clear(): T[] {
    const tags = this.#queue.map((m) => m.tag);
    this.#queue.length = 0;
    this.#queuedBytes = 0;
    this.#offset = 0;
    return tags;
  }
}
