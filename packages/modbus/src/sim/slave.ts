// The Modbus server side of the simulators: answers read requests from a register image and injects the faults a
// lab asks for (no reply, corrupted CRC, exceptions, late replies). Framing (RTU, TCP) is left to the servers.
import { mulberry32 } from '@meterchain/core';
import type { RegisterImage } from './images.ts';

/** Faults injected per request, drawn from the simulator's seeded random source (reproducible runs). */
export interface Faults {
  /** Probability of not answering at all. */
  timeout?: number;
  /** Probability of a reply with a corrupted CRC (serial framing only). */
  crc?: number;
  /** Probability of answering with `exceptionCode`. */
  exception?: number;
  /** Exception code for `exception` (default 4, server device failure). */
  exceptionCode?: number;
  /** Probability of answering `delayMs` late (after a typical client timeout). */
  delay?: number;
  delayMs?: number;
  /** Registers that always answer with an exception code, e.g. {address: 0x46, code: 2}. */
  exceptionAt?: { address: number; code: number }[];
  /** Values stop changing (stuck sensor). */
  stuck?: boolean;
  /** Probability of a well-formed reply with another function code (a confused device or gateway). */
  wrongFunction?: number;
  /** Probability of a well-formed reply with fewer registers than asked. */
  short?: number;
}

/** What the server should do with a request. */
export type SlaveAction =
  | { kind: 'reply'; pdu: Uint8Array; corruptCrc: boolean; delayMs: number }
  | { kind: 'silent'; reason: string };

export interface SlaveCounters {
  requests: number;
  replies: number;
  exceptions: number;
  dropped: number;
  corrupted: number;
  delayed: number;
}

function exceptionPdu(fn: number, code: number): Uint8Array {
  return Uint8Array.of(fn | 0x80, code);
}

/** Parses fault text as given on the command line: `timeout:0.1,crc:0.05,exception:0.05:6,delay:0.1:1500,stuck,exception@70:2`. */
export function parseFaults(text: string): Faults {
  const faults: Faults = {};
  for (const part of text.split(',').map((p) => p.trim()).filter((p) => p !== '')) {
    const at = /^exception@(\d+|0x[0-9a-fA-F]+):(\d+)$/.exec(part);
    if (at) {
      (faults.exceptionAt ??= []).push({ address: Number(at[1]), code: Number(at[2]) });
      continue;
    }
    const [name, p, extra] = part.split(':');
    const probability = Number(p);
    const needsProbability = name !== 'stuck';
    if (needsProbability && !(probability >= 0 && probability <= 1)) throw new Error(`fault '${part}': expected a probability 0..1 after '${name}:'`);
    if (name === 'timeout') faults.timeout = probability;
    else if (name === 'crc') faults.crc = probability;
    else if (name === 'exception') {
      faults.exception = probability;
      if (extra !== undefined) faults.exceptionCode = Number(extra);
    } else if (name === 'delay') {
      faults.delay = probability;
      faults.delayMs = extra === undefined ? 1500 : Number(extra);
    } else if (name === 'stuck') faults.stuck = true;
    else if (name === 'wrong-function') faults.wrongFunction = probability;
    else if (name === 'short') faults.short = probability;
    else throw new Error(`unknown fault '${name}' (expected timeout, crc, exception, delay, stuck, wrong-function, short, exception@ADDRESS:CODE)`);
  }
  return faults;
}

export class ModbusSlave {
  readonly unit: number;
  readonly image: RegisterImage;
  faults: Faults;
  readonly counters: SlaveCounters = { requests: 0, replies: 0, exceptions: 0, dropped: 0, corrupted: 0, delayed: 0 };
  private readonly random: () => number;

  constructor(options: { unit: number; image: RegisterImage; faults?: Faults; seed?: number }) {
    this.unit = options.unit;
    this.image = options.image;
    this.faults = options.faults ?? {};
    this.random = mulberry32((options.seed ?? 1) ^ 0x5eed);
  }

  /** Decides the answer to one request PDU addressed to `unit` (framing already checked). */
  handle(unit: number, pdu: Uint8Array): SlaveAction {
    if (unit !== this.unit) return { kind: 'silent', reason: `unit ${unit} is not ours` };
    this.counters.requests++;
    const f = this.faults;
    // Draw every fault each time so one fault's setting does not shift the others' sequence.
    const drawTimeout = this.random();
    const drawCrc = this.random();
    const drawException = this.random();
    const drawDelay = this.random();
    if (f.timeout !== undefined && drawTimeout < f.timeout) {
      this.counters.dropped++;
      return { kind: 'silent', reason: 'fault: timeout' };
    }
    let reply = this.answer(pdu);
    if (reply[0]! < 0x80 && f.exception !== undefined && drawException < f.exception) reply = exceptionPdu(pdu[0]!, f.exceptionCode ?? 4);
    // Drawn only when asked for, so that the other faults keep the sequence they had for a seed.
    if (reply[0]! < 0x80 && f.wrongFunction !== undefined && this.random() < f.wrongFunction) {
      reply = reply.slice();
      reply[0] = reply[0] === 3 ? 4 : 3;
    }
    if (reply[0]! < 0x80 && reply[1]! >= 4 && f.short !== undefined && this.random() < f.short) {
      reply = reply.slice(0, reply.length - 2);
      reply[1] = reply[1]! - 2;
    }
    if (reply[0]! >= 0x80) this.counters.exceptions++;
    const corruptCrc = f.crc !== undefined && drawCrc < f.crc;
    if (corruptCrc) this.counters.corrupted++;
    const delayMs = f.delay !== undefined && drawDelay < f.delay ? f.delayMs ?? 1500 : 0;
    if (delayMs > 0) this.counters.delayed++;
    this.counters.replies++;
    return { kind: 'reply', pdu: reply, corruptCrc, delayMs };
  }

  private answer(pdu: Uint8Array): Uint8Array {
    const fn = pdu[0]!;
    if (fn !== 3 && fn !== 4) return exceptionPdu(fn, 1);
    if (pdu.length !== 5) return exceptionPdu(fn, 3);
    const address = (pdu[1]! << 8) | pdu[2]!;
    const count = (pdu[3]! << 8) | pdu[4]!;
    if (count < 1 || count > 125) return exceptionPdu(fn, 3);
    for (const rule of this.faults.exceptionAt ?? []) {
      if (rule.address >= address && rule.address < address + count) return exceptionPdu(fn, rule.code);
    }
    const table = fn === 3 ? this.image.holding : this.image.input;
    const inside = this.image.ranges.some((r) => r.fn === fn && address >= r.from && address + count <= r.to);
    if (table === null || !inside) return exceptionPdu(fn, 2);
    const reply = new Uint8Array(2 + 2 * count);
    reply[0] = fn;
    reply[1] = 2 * count;
    for (let i = 0; i < count; i++) {
      reply[2 + 2 * i] = table[address + i]! >> 8;
      reply[3 + 2 * i] = table[address + i]! & 0xff;
    }
    return reply;
  }
}
