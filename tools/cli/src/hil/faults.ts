// The faults a lab scenario injects between the node and the device, what each one does to the bytes on the line,
// and what the node must make of it. Pure: the proxies ask `lineFaults` what is active at a time and pass each frame
// through `mangle`, with the run's seeded random source.
import { crc16 } from '@meterchain/modbus';

export type FaultKind =
  | 'noise' | 'drop' | 'duplicate' | 'delay' | 'pull' | 'stall' | 'reset' | 'fragment' | 'device-reset' | 'wrong-unit' | 'clock-jump'
  | 'exception' | 'mismatch';

/** One fault of a scenario; times in ms from the start of the run. */
export interface Fault {
  kind: FaultKind;
  /** Start of the fault (default 0). */
  from?: number;
  /** End of the fault (default: the end of the run). One-shot faults (reset, device-reset, clock-jump) use `from`. */
  to?: number;
  /** noise, drop, duplicate: probability per byte (noise, drop) or per frame (duplicate). */
  rate?: number;
  /** delay: extra time before each reply; device-reset: how long the device stays silent after the cut. */
  ms?: number;
  /** wrong-unit: the unit id the replies come from. */
  unit?: number;
  /** clock-jump: how far the node's clock jumps (negative: backwards). */
  by?: number;
  /** exception: the Modbus exception code the device answers with (4: device failure, 6: busy ...). */
  code?: number;
}

/** What the node must make of each fault: the outcome a scenario checks, and the report prints. */
export const EXPECTED_OUTCOME: { [kind in FaultKind]: string } = {
  noise: 'corrupted frames are refused (CRC on RTU; two agreeing replies on Modbus TCP with confirmReads) and retried: readings exact or flagged COMM_ERROR, lost samples reported as gaps',
  drop: 'frames missing bytes fail their CRC or time out and are retried: readings exact or flagged, lost samples reported as gaps',
  duplicate: 'a reply sent twice is dropped as a late reply, never read as the answer to the next request: readings exact or flagged',
  delay: 'a slow device answers within the timeout (readings exact) or is timed out (retried, flagged or a gap); a late reply is never taken for the next request',
  pull: 'cable pulled: no reading while it is out, the lost slots reported as a gap; the link is reopened by itself and readings are exact after the replug',
  stall: 'bytes held back time out; when released they are late replies and dropped: gaps reported, readings exact after',
  reset: 'the connection reset is reopened: at most a gap, readings exact after',
  fragment: 'a reply arriving in pieces is reassembled (TCP) or refused as a broken frame (RTU): readings exact or flagged',
  'device-reset': 'the reply cut mid-read is refused, the device silent while it restarts: a gap reported, readings exact after',
  'wrong-unit': 'replies from another unit are refused as mismatches: never a value taken from the wrong unit; lost samples reported as gaps',
  exception: 'the device answers with a Modbus exception: no value is taken from it, the read fails naming the exception, the sample flagged or reported as a gap; readings exact after',
  mismatch: 'a reply that does not answer its request (one register short, with a valid checksum) is refused as a mismatch, never read shifted: flagged or a gap, readings exact after',
  'clock-jump': 'the node stamps slots on its own clock: a jump forward skips slots, reported as a gap; a jump back never gives a timestamp that goes backwards or a slot twice',
};

/** Faults that act once, at `from`. */
export const ONE_SHOT: FaultKind[] = ['reset', 'device-reset', 'clock-jump'];

export function faultWindow(fault: Fault, endMs: number): { from: number; to: number } {
  const from = fault.from ?? 0;
  if (fault.kind === 'device-reset') return { from, to: from + (fault.ms ?? 1000) };
  if (ONE_SHOT.includes(fault.kind)) return { from, to: from };
  return { from, to: fault.to ?? endMs };
}

/** One line naming a fault and its parameters, for the report and the console. */
export function describeFault(fault: Fault): string {
  const parts: string[] = [fault.kind];
  if (fault.rate !== undefined) parts.push(`rate ${fault.rate}`);
  if (fault.ms !== undefined) parts.push(`${fault.ms} ms`);
  if (fault.unit !== undefined) parts.push(`unit ${fault.unit}`);
  if (fault.by !== undefined) parts.push(`by ${fault.by} ms`);
  if (fault.code !== undefined) parts.push(`code ${fault.code}`);
  const at = ONE_SHOT.includes(fault.kind) ? `at ${fault.from ?? 0} ms` : `${fault.from ?? 0}-${fault.to === undefined ? 'end' : fault.to} ms`;
  return `${parts.join(' ')} (${at})`;
}

/** Which way a frame travels. */
export type Direction = 'request' | 'reply';

/** The framing on the line, for faults that rewrite a frame (wrong unit): Modbus TCP, RTU, or opaque bytes. */
export type Framing = 'mbap' | 'rtu' | 'bytes';

/** What one frame becomes: the pieces to deliver, each after a delay (ms from now); none when it is lost. */
export interface Delivery {
  pieces: { bytes: Uint8Array; afterMs: number }[];
}

/** Counters of what the proxy did, for the report. */
export interface ProxyCounters {
  frames: number;
  bytes: number;
  corruptedBytes: number;
  droppedBytes: number;
  droppedFrames: number;
  duplicatedFrames: number;
  delayedFrames: number;
  fragmentedFrames: number;
  rewrittenUnits: number;
  /** Replies rewritten into an exception or a mismatching reply. */
  rewrittenReplies: number;
  cutFrames: number;
  resets: number;
}

export function zeroProxyCounters(): ProxyCounters {
  return { frames: 0, bytes: 0, corruptedBytes: 0, droppedBytes: 0, droppedFrames: 0, duplicatedFrames: 0, delayedFrames: 0, fragmentedFrames: 0, rewrittenUnits: 0, rewrittenReplies: 0, cutFrames: 0, resets: 0 };
}

/** The faults of `faults` active at `t` (window faults) on the line. */
export function activeAt(faults: Fault[], t: number, endMs: number): Fault[] {
  return faults.filter((f) => {
    if (f.kind === 'clock-jump' || f.kind === 'reset') return false;
    const w = faultWindow(f, endMs);
    return t >= w.from && t < w.to;
  });
}

/** Rewrites the unit id of a reply frame, keeping it well formed (new CRC on RTU). */
function rewriteUnit(frame: Uint8Array, framing: Framing, unit: number): Uint8Array | null {
  if (framing === 'mbap' && frame.length >= 8) {
    const out = frame.slice();
    out[6] = unit;
    return out;
  }
  if (framing === 'rtu' && frame.length >= 4) {
    const out = frame.slice();
    out[0] = unit;
    const crc = crc16(out, 0, out.length - 2);
    out[out.length - 2] = crc & 0xff;
    out[out.length - 1] = crc >> 8;
    return out;
  }
  return null;
}

/**
 * Replaces the PDU of a reply frame (function code onwards) by `change(pdu)`, keeping the frame well formed (MBAP
 * length, RTU CRC); null when the frame is too short to carry one or the framing is opaque.
 */
function rewritePdu(frame: Uint8Array, framing: Framing, change: (pdu: Uint8Array) => Uint8Array | null): Uint8Array | null {
  if (framing === 'mbap' && frame.length >= 9) {
    const pdu = change(frame.subarray(7));
    if (pdu === null) return null;
    const out = new Uint8Array(7 + pdu.length);
    out.set(frame.subarray(0, 7));
    out.set(pdu, 7);
    out[4] = (pdu.length + 1) >> 8;
    out[5] = (pdu.length + 1) & 0xff;
    return out;
  }
  if (framing === 'rtu' && frame.length >= 5) {
    const pdu = change(frame.subarray(1, frame.length - 2));
    if (pdu === null) return null;
    const out = new Uint8Array(pdu.length + 3);
    out[0] = frame[0]!;
    out.set(pdu, 1);
    const crc = crc16(out, 0, out.length - 2);
    out[out.length - 2] = crc & 0xff;
    out[out.length - 1] = crc >> 8;
    return out;
  }
  return null;
}

/** An exception reply to the same function: fn | 0x80, the code. */
const exceptionReply = (code: number) => (pdu: Uint8Array): Uint8Array | null => (pdu[0]! >= 0x80 ? null : Uint8Array.of(pdu[0]! | 0x80, code));

/** A read reply one register short (byte count and data both), which is well formed but does not answer the request. */
const oneRegisterShort = (pdu: Uint8Array): Uint8Array | null => {
  if ((pdu[0] !== 3 && pdu[0] !== 4) || pdu.length < 4 || pdu[1]! < 2) return null;
  const out = pdu.slice(0, pdu.length - 2);
  out[1] = pdu[1]! - 2;
  return out;
};

/**
 * What the line does to one frame sent at `t`: byte noise and drops (both ways), and for replies the device's own
 * faults (slow, reset mid-read, another unit answering), duplicates and fragments. `pull` and `stall` are the
 * proxies' (they hold or refuse the connection), except that a pulled serial cable carries nothing.
 */
export function mangle(frame: Uint8Array, direction: Direction, active: Fault[], framing: Framing, random: () => number, counters: ProxyCounters, t: number): Delivery {
  counters.frames++;
  counters.bytes += frame.length;
  if (active.some((f) => f.kind === 'pull')) {
    counters.droppedFrames++;
    return { pieces: [] };
  }
  let bytes: Uint8Array = frame;
  let delay = 0;
  for (const f of active) {
    if (direction === 'reply' && f.kind === 'device-reset') {
      // The first reply after the reset starts is cut short; later ones are not sent at all (the device restarts).
      if (t < (f.from ?? 0) + 50 && bytes.length > 2) {
        counters.cutFrames++;
        bytes = bytes.slice(0, Math.max(1, Math.floor(bytes.length / 2)));
      } else {
        counters.droppedFrames++;
        return { pieces: [] };
      }
    }
    if (direction === 'reply' && f.kind === 'wrong-unit' && f.unit !== undefined) {
      const rewritten = rewriteUnit(bytes, framing, f.unit);
      if (rewritten) {
        bytes = rewritten;
        counters.rewrittenUnits++;
      }
    }
    if (direction === 'reply' && (f.kind === 'exception' || f.kind === 'mismatch')) {
      const rewritten = rewritePdu(bytes, framing, f.kind === 'exception' ? exceptionReply(f.code ?? 4) : oneRegisterShort);
      if (rewritten) {
        bytes = rewritten;
        counters.rewrittenReplies++;
      }
    }
    if (direction === 'reply' && f.kind === 'delay') {
      delay += f.ms ?? 0;
      counters.delayedFrames++;
    }
  }
  for (const f of active) {
    if (f.kind === 'noise' && f.rate !== undefined) {
      let copied = false;
      for (let i = 0; i < bytes.length; i++) {
        if (random() >= f.rate) continue;
        if (!copied) {
          bytes = bytes.slice();
          copied = true;
        }
        // A flip of 1 to 8 bits, never none.
        bytes[i] = bytes[i]! ^ (1 + Math.floor(random() * 255));
        counters.corruptedBytes++;
      }
    }
    if (f.kind === 'drop' && f.rate !== undefined) {
      const kept: number[] = [];
      for (const b of bytes) {
        if (random() < f.rate) counters.droppedBytes++;
        else kept.push(b);
      }
      if (kept.length !== bytes.length) bytes = Uint8Array.from(kept);
    }
  }
  if (bytes.length === 0) return { pieces: [] };
  const pieces: Delivery['pieces'] = [];
  if (direction === 'reply' && active.some((f) => f.kind === 'fragment')) {
    counters.fragmentedFrames++;
    // One byte at a time, 2 ms apart: past 3.5 character times on an RTU line at 19200 baud and above.
    for (let i = 0; i < bytes.length; i++) pieces.push({ bytes: bytes.subarray(i, i + 1), afterMs: delay + 2 * i });
  } else pieces.push({ bytes, afterMs: delay });
  const duplicate = active.find((f) => f.kind === 'duplicate');
  if (direction === 'reply' && duplicate && random() < (duplicate.rate ?? 1)) {
    counters.duplicatedFrames++;
    pieces.push({ bytes, afterMs: delay + 5 });
  }
  return { pieces };
}
