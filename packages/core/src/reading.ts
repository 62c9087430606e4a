// The reading model: what a meter measured at one instant, as fixed-point integers, with what the edge saw.
// Encoded as deterministic CBOR, signed under the reading domain; the JSON form is for people and files.
import { codedError } from './errors.ts';
import { ADDRESS_LENGTH, addressFromPublicKey, addressFromText, addressToText, isAddressText } from './address.ts';
import { equalBytes } from './bytes.ts';
import { decode, encode, type CborValue, type Schema } from './cbor/index.ts';
import { Domain, openEnvelope, sealEnvelope, verifyEnvelope, type Envelope } from './envelope.ts';
import type { Manifest, Member } from './manifest.ts';
import { findMember } from './manifest.ts';
import { QualityFlag } from './quality.ts';
import type { Signer, Verifier } from './signer.ts';

export const READING_VERSION = 1;
export const MAX_CHANNELS = 64;
export const MAX_SCALE = 12;

/** How far the meter's clock can be trusted when it stamped the reading. */
export const ClockStatus = {
  /** Disciplined by NTP, PTP or GNSS within the profile's tolerance. */
  SYNCED: 0,
  /** Free-running since the last synchronisation (holdover). */
  UNSYNCED: 1,
  /** Never set, or known wrong (e.g. after a power cut without an RTC). */
  INVALID: 2,
} as const;
export type ClockStatus = (typeof ClockStatus)[keyof typeof ClockStatus];
const CLOCK_NAMES = ['synced', 'unsynced', 'invalid'];

/**
 * One measured quantity: `value × 10^scale` in `unit` (fixed.ts converts). A reading's channels always carry a value;
 * a driver's sample may have none for a point the device does not implement (`SampledChannel`).
 */
export interface Channel<Value extends number | null = number> {
  /** OBIS code (e.g. "1-0:32.7.0", L1 voltage) or SunSpec point (e.g. "PhVphA"). */
  id: string;
  /** Unit symbol, one of UNITS. */
  unit: string;
  /** Power-of-ten exponent, -12..12. */
  scale: number;
  /** The value carried: the filtered one when `raw` is present, else the measured one. */
  value: Value;
  /** The unfiltered value, present when the edge filtered this channel (QualityFlag.FILTERED is then set). */
  raw?: number;
}

/** The unit symbols a channel may carry: SI without prefix (kWh is Wh at scale + 3), deg for angles, °C, 1 for ratios
 * (power factor; percentages at scale - 2), and '' for what has no unit (a SunSpec event bitfield, `Evt`). */
export const UNITS = ['V', 'A', 'W', 'var', 'VA', 'Wh', 'varh', 'VAh', 'Hz', 'Hz/s', 'deg', '°C', '1', ''];

/** A channel as a meter driver samples it: null where the device has no value (not implemented, not available). */
export type SampledChannel = Channel<number | null>;

export interface Reading {
  v: number;
  cluster: string;
  /** 20-byte address of the meter that measured and signs this reading. */
  meter: Uint8Array;
  /** Per-meter sequence number, strictly increasing. */
  seq: number;
  /** Milliseconds since the Unix epoch (UTC) when the reading was taken. */
  ts: number;
  clock: ClockStatus;
  channels: Channel[];
  /** QualityFlag bits set by the edge before signing. */
  quality: number;
}

const CHANNEL_SCHEMA: Schema = {
  map: { id: { text: { max: 32 } }, unit: { text: { max: 8 } }, scale: 'int', value: 'int', raw: 'int' },
  optional: ['raw'],
};

export const READING_SCHEMA: Schema = {
  map: {
    v: 'uint',
    cluster: { text: { max: 64 } },
    meter: { bytes: ADDRESS_LENGTH },
    seq: 'uint',
    ts: 'uint',
    clock: { uint: { max: 2 } },
    channels: { array: CHANNEL_SCHEMA, max: MAX_CHANNELS },
    quality: 'uint',
  },
};

export type ReadingResult = { ok: true; reading: Reading } | { ok: false; reason: string };

function fail(reason: string): { ok: false; reason: string } {
  return { ok: false, reason };
}

/** A plain object's inherited properties, which a set of ids kept in an object held as already there. */
const INHERITED: { [id: string]: unknown } = {};

/**
 * True when channel `i`'s id is one of an earlier channel's. Compared pairwise: at most MAX_CHANNELS channels, and
 * no object built per reading. An id that names an inherited property of a plain object ('constructor',
 * 'toString'...) counts as repeated, as it always has, so that every version of this check gives the same verdict.
 */
function idRepeated(channels: Channel[], i: number): boolean {
  const id = channels[i]!.id;
  if (INHERITED[id]) return true;
  for (let j = 0; j < i; j++) if (channels[j]!.id === id) return true;
  return false;
}

/** Checks what a schema cannot say: version, scales, unique channel ids, raw only with the FILTERED flag. */
export function checkReading(r: Reading): string | undefined {
  if (r.v !== READING_VERSION) return `unsupported reading version ${r.v}`;
  if (r.quality > 0xffffffff) return 'quality flags wider than 32 bits';
  let filtered = false;
  for (let i = 0; i < r.channels.length; i++) {
    const c = r.channels[i]!;
    if (c.scale < -MAX_SCALE || c.scale > MAX_SCALE) return `channels[${i}].scale out of range -${MAX_SCALE}..${MAX_SCALE}: ${c.scale}`;
    if (idRepeated(r.channels, i)) return `channels[${i}].id repeated: ${c.id}`;
    if (c.raw !== undefined) filtered = true;
  }
  if (filtered && (r.quality & QualityFlag.FILTERED) === 0) return 'a channel carries a raw value but the FILTERED flag is not set';
  return undefined;
}

function channelToCbor(c: Channel): CborValue {
  const m: { [k: string]: CborValue } = { id: c.id, unit: c.unit, scale: c.scale, value: c.value };
  if (c.raw !== undefined) m['raw'] = c.raw;
  return m;
}

/** Deterministic CBOR of a reading; throws on a malformed reading (a programmer mistake). */
export function encodeReading(r: Reading): Uint8Array {
  const problem = checkReading(r);
  if (problem) throw codedError('READING_INVALID', `reading: ${problem}`);
  if (r.meter.length !== ADDRESS_LENGTH) throw codedError('READING_INVALID', `reading: meter must be a ${ADDRESS_LENGTH}-byte address`);
  const channels: CborValue[] = [];
  for (const c of r.channels) channels.push(channelToCbor(c));
  return encode({ v: r.v, cluster: r.cluster, meter: r.meter, seq: r.seq, ts: r.ts, clock: r.clock, channels, quality: r.quality });
}

/** Byte strings as views: a reading is decoded from an envelope's body, which is kept with it. */
const AS_VIEWS = { views: true };

/** Strict decode of untrusted bytes; never throws. `meter` is a view into `bytes` (see openEnvelope). */
export function decodeReading(bytes: Uint8Array): ReadingResult {
  const d = decode(bytes, READING_SCHEMA, AS_VIEWS);
  if (!d.ok) return fail(`reading: ${d.reason} at byte ${d.offset}`);
  const r = d.value as unknown as Reading;
  const problem = checkReading(r);
  if (problem) return fail(`reading: ${problem}`);
  return { ok: true, reading: r };
}

/** Signs a reading as the meter that owns `signer`; returns the envelope bytes that travel and are stored. */
export function signReading(r: Reading, signer: Signer): Uint8Array {
  if (!equalBytes(addressFromPublicKey(signer.publicKey), r.meter)) {
    throw codedError('READING_INVALID', `reading: meter ${addressToText(r.meter)} is not the address of the signing key`);
  }
  return sealEnvelope(Domain.READING, encodeReading(r), signer);
}

export type ReadingVerdict =
  | { ok: true; reading: Reading; envelope: Envelope; member: Member }
  | { ok: false; code: 'malformed' | 'wrong-cluster' | 'not-member' | 'bad-signature'; reason: string };

/** Verifies a signed reading against a cluster manifest: well-formed, same cluster, a member's, signature valid. */
export function verifySignedReading(bytes: Uint8Array, manifest: Manifest, verifier: Verifier): ReadingVerdict {
  const opened = openEnvelope(bytes);
  if (!opened.ok) return { ok: false, code: 'malformed', reason: opened.reason };
  const decoded = decodeReading(opened.envelope.body);
  if (!decoded.ok) return { ok: false, code: 'malformed', reason: decoded.reason };
  const r = decoded.reading;
  if (r.cluster !== manifest.cluster) {
    return { ok: false, code: 'wrong-cluster', reason: `reading is for cluster '${r.cluster}', manifest is for '${manifest.cluster}'` };
  }
  const member = findMember(manifest, r.meter);
  if (!member) return { ok: false, code: 'not-member', reason: `meter ${addressToText(r.meter)} is not a member of epoch ${manifest.epoch}` };
  if (!verifyEnvelope(Domain.READING, opened.envelope, member.publicKey, verifier)) {
    return { ok: false, code: 'bad-signature', reason: `signature of meter ${addressToText(r.meter)} does not verify` };
  }
  return { ok: true, reading: r, envelope: opened.envelope, member };
}

// ---- JSON form (files, CLI, logs) ----

function isInt(x: unknown): x is number {
  // Number.isSafeInteger is missing on Espruino; NaN and ±Infinity fail the remainder test.
  return typeof x === 'number' && x % 1 === 0 && x >= -9007199254740991 && x <= 9007199254740991;
}

function qualityFromJson(q: unknown): number | string {
  if (q === undefined) return 0;
  if (isInt(q) && q >= 0 && q <= 0xffffffff) return q;
  if (!Array.isArray(q)) return 'quality: expected a non-negative integer or a list of flag names';
  const known = QualityFlag as { [name: string]: number };
  let bits = 0;
  for (const name of q) {
    if (typeof name !== 'string' || known[name] === undefined) return `quality: unknown flag ${JSON.stringify(name)}`;
    bits |= known[name]!;
  }
  return bits >>> 0;
}

function channelFromJson(x: unknown, i: number): Channel | string {
  const at = `channels[${i}]`;
  if (typeof x !== 'object' || x === null || Array.isArray(x)) return `${at}: expected an object`;
  const c = x as { [k: string]: unknown };
  for (const k of Object.keys(c)) if (k !== 'id' && k !== 'unit' && k !== 'scale' && k !== 'value' && k !== 'raw') return `${at}: unknown key '${k}'`;
  if (typeof c['id'] !== 'string' || c['id'].length === 0 || c['id'].length > 32) return `${at}.id: expected text of 1..32 characters`;
  if (typeof c['unit'] !== 'string' || c['unit'].length > 8) return `${at}.unit: expected text of at most 8 characters`;
  if (!isInt(c['scale'])) return `${at}.scale: expected an integer power of ten`;
  if (!isInt(c['value'])) return `${at}.value: expected an integer (fixed-point: value x 10^scale)`;
  if (c['raw'] !== undefined && !isInt(c['raw'])) return `${at}.raw: expected an integer`;
  const ch: Channel = { id: c['id'], unit: c['unit'], scale: c['scale'], value: c['value'] };
  if (c['raw'] !== undefined) ch.raw = c['raw'] as number;
  return ch;
}

/**
 * Reads the JSON form of a reading (as written by readingToJson). `meter` may be omitted when `defaultMeter` is
 * given (the signer's address). Returns a reason naming the field when the input is wrong.
 */
export function readingFromJson(x: unknown, defaultMeter?: Uint8Array): ReadingResult {
  if (typeof x !== 'object' || x === null || Array.isArray(x)) return fail('reading: expected a JSON object');
  const o = x as { [k: string]: unknown };
  const keys = ['v', 'cluster', 'meter', 'seq', 'ts', 'clock', 'channels', 'quality', 'qualityFlags'];
  for (const k of Object.keys(o)) if (keys.indexOf(k) < 0) return fail(`reading: unknown key '${k}'`);
  const v = o['v'] ?? READING_VERSION;
  if (v !== READING_VERSION) return fail(`v: unsupported reading version ${JSON.stringify(v)}`);
  if (typeof o['cluster'] !== 'string' || o['cluster'].length === 0 || o['cluster'].length > 64) return fail('cluster: expected text of 1..64 characters');
  let meter: Uint8Array;
  if (o['meter'] === undefined) {
    if (!defaultMeter) return fail('meter: missing');
    meter = defaultMeter;
  } else {
    if (typeof o['meter'] !== 'string' || !isAddressText(o['meter'])) return fail('meter: expected an address, "mc" followed by 40 hex digits');
    meter = addressFromText(o['meter']);
  }
  if (!isInt(o['seq']) || o['seq'] < 0) return fail('seq: expected a non-negative integer');
  if (!isInt(o['ts']) || o['ts'] < 0) return fail('ts: expected integer milliseconds since 1970-01-01T00:00:00Z');
  const clockName = o['clock'] ?? 'synced';
  const clock = CLOCK_NAMES.indexOf(String(clockName));
  if (clock < 0) return fail(`clock: expected one of ${CLOCK_NAMES.join(', ')}`);
  if (!Array.isArray(o['channels'])) return fail('channels: expected a list');
  if (o['channels'].length > MAX_CHANNELS) return fail(`channels: at most ${MAX_CHANNELS}`);
  const channels: Channel[] = [];
  for (let i = 0; i < o['channels'].length; i++) {
    const c = channelFromJson(o['channels'][i], i);
    if (typeof c === 'string') return fail(c);
    channels.push(c);
  }
  const quality = qualityFromJson(o['quality']);
  if (typeof quality === 'string') return fail(quality);
  const r: Reading = { v: READING_VERSION, cluster: o['cluster'], meter, seq: o['seq'], ts: o['ts'], clock: clock as ClockStatus, channels, quality };
  const problem = checkReading(r);
  if (problem) return fail(problem);
  return { ok: true, reading: r };
}

export function readingToJson(r: Reading): { [k: string]: unknown } {
  const known = QualityFlag as { [name: string]: number };
  const flags: string[] = [];
  for (const name of Object.keys(known)) if (r.quality & known[name]!) flags.push(name);
  return {
    v: r.v,
    cluster: r.cluster,
    meter: addressToText(r.meter),
    seq: r.seq,
    ts: r.ts,
    clock: CLOCK_NAMES[r.clock],
    channels: r.channels.map((c) => {
      const out: { [k: string]: unknown } = { id: c.id, unit: c.unit, scale: c.scale, value: c.value };
      if (c.raw !== undefined) out['raw'] = c.raw;
      return out;
    }),
    quality: r.quality,
    qualityFlags: flags,
  };
}
