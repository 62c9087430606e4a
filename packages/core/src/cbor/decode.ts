// Strict decoding: accepts exactly the deterministic encodings (RFC 8949 §4.2.1) of the profile's values, checks a
// schema on the way, and answers every input with a verdict instead of throwing.

import { checkDeclaredLength } from './array.ts';
import { readBytes } from './bytes.ts';
import type { Head } from './head.ts';
import { MT_BYTES, MT_MAP, MT_NINT, MT_SIMPLE, MT_TAG, MT_TEXT, readHead } from './head.ts';
import { intFromHead } from './int.ts';
import { FORBIDDEN_KEY, compareEncoded } from './map.ts';
import type { Schema } from './schema.ts';
import { arrayLengthProblem, assertSchemaOnce, describeSchema, itemSchema, keySegment, missingKey, schemaFailure, schemaForm } from './schema.ts';
import { simpleProblem, simpleValue } from './simple.ts';
import { readUtf8 } from './text.ts';
import type { CborMap, CborValue } from './value.ts';
import { codedError } from './value.ts';

/** Bounds on what one decode may take; the defaults fit any meterchain message with room to spare. */
export interface CborLimits {
  /** Deepest nesting of arrays and maps (a top-level array is depth 1). Default 16. */
  depth?: number;
  /** Largest input in bytes; also bounds every declared length. Default 1 MiB. */
  maxBytes?: number;
}

export const DEFAULT_CBOR_LIMITS = { depth: 16, maxBytes: 1048576 };

export type DecodeResult = { ok: true; value: CborValue } | { ok: false; reason: string; offset: number };

interface State {
  src: Uint8Array;
  pos: number;
  end: number;
  maxBytes: number;
  maxDepth: number;
  head: Head;
  reason: string;
  offset: number;
  /** Set when the failure is a schema mismatch; `path` then grows as the failure unwinds through containers. */
  schemaFail: boolean;
  path: string;
}

type SchemaObject = { [key: string]: unknown };

function failAt(st: State, reason: string, offset: number): undefined {
  st.reason = reason;
  st.offset = offset;
  return undefined;
}

function schemaFailAt(st: State, path: string, message: string, offset: number): undefined {
  st.schemaFail = true;
  st.path = path;
  return failAt(st, message, offset);
}

function has(o: object, key: string): boolean {
  return Object.prototype.hasOwnProperty.call(o, key);
}

/** The reason for an indefinite-length head (additional information 31), by major type. */
function indefiniteProblem(major: number): string {
  if (major >= MT_BYTES && major <= MT_MAP) return 'indefinite length';
  if (major === MT_SIMPLE) return 'unexpected break';
  if (major === MT_TAG) return 'tag not allowed';
  return 'reserved additional information';
}

/**
 * Reads one data item at st.pos that must match `schema`; returns it, or undefined with the reason in `st`.
 * `depth` counts the arrays and maps around this item.
 */
function readItem(st: State, schema: Schema, depth: number): CborValue | undefined {
  const start = st.pos;
  const form = schemaForm(schema);
  if (form === 'oneOf') {
    // Alternatives may differ in shape, so read the item whole and then try each.
    const v = readItem(st, 'any', depth);
    if (v === undefined) return undefined;
    const f = schemaFailure(v, schema);
    return f === null ? v : schemaFailAt(st, f.path, f.message, start);
  }
  const h = st.head;
  const problem = readHead(st.src, start, h);
  if (problem !== '') return failAt(st, problem, start);
  const major = h.major;
  const info = h.info;
  const arg = h.arg;
  st.pos = h.end;
  if (info === 31) return failAt(st, indefiniteProblem(major), start);
  if (major === MT_TAG) return failAt(st, 'tag not allowed', start);

  let value: CborValue;
  if (major <= MT_NINT) {
    const n = intFromHead(major, arg);
    if (n === null) return failAt(st, 'integer out of range', start);
    value = n;
  } else if (major === MT_BYTES || major === MT_TEXT) {
    const lengthProblem = checkDeclaredLength(arg, arg, st.end - st.pos, st.maxBytes);
    if (lengthProblem !== '') return failAt(st, lengthProblem, start);
    if (major === MT_BYTES) {
      value = readBytes(st.src, st.pos, arg);
    } else {
      const text = readUtf8(st.src, st.pos, st.pos + arg);
      if (text === null) return failAt(st, 'invalid utf-8', start);
      value = text;
    }
    st.pos += arg;
  } else if (major === MT_SIMPLE) {
    const simple = simpleProblem(info);
    if (simple !== '') return failAt(st, simple, start);
    value = simpleValue(info);
  } else {
    return readContainer(st, schema, form, major === MT_MAP, arg, start, depth);
  }
  if (form !== 'any') {
    const f = schemaFailure(value, schema);
    if (f !== null) return schemaFailAt(st, '', f.message, start);
  }
  return value;
}

function readArray(st: State, s: SchemaObject | null, count: number, depth: number): CborValue | undefined {
  const out: CborValue[] = [];
  for (let i = 0; i < count; i++) {
    const item = readItem(st, s === null ? 'any' : itemSchema(s, i), depth + 1);
    if (item === undefined) {
      if (st.schemaFail) st.path = `[${i}]${st.path}`;
      return undefined;
    }
    out.push(item);
  }
  return out;
}

function readMap(st: State, s: SchemaObject | null, count: number, start: number, depth: number): CborValue | undefined {
  const src = st.src;
  const h = st.head;
  const fields = s === null ? null : (s['map'] as { [key: string]: Schema });
  const out: CborMap = {};
  let prevStart = -1;
  let prevEnd = -1;
  for (let i = 0; i < count; i++) {
    const keyStart = st.pos;
    const problem = readHead(src, keyStart, h);
    if (problem !== '') return failAt(st, problem, keyStart);
    if (h.info === 31) return failAt(st, indefiniteProblem(h.major), keyStart);
    if (h.major !== MT_TEXT) return failAt(st, h.major === MT_TAG ? 'tag not allowed' : 'map key not text', keyStart);
    const keyLength = h.arg;
    const keyBody = h.end;
    const lengthProblem = checkDeclaredLength(keyLength, keyLength, st.end - keyBody, st.maxBytes);
    if (lengthProblem !== '') return failAt(st, lengthProblem, keyStart);
    const keyEnd = keyBody + keyLength;
    // §4.2.1: keys sorted bytewise on their encodings; equal encodings are a duplicate key (§5.6).
    if (prevStart >= 0) {
      const order = compareEncoded(src, prevStart, prevEnd, keyStart, keyEnd);
      if (order === 0) return failAt(st, 'duplicate map key', keyStart);
      if (order > 0) return failAt(st, 'unsorted map keys', keyStart);
    }
    const key = readUtf8(src, keyBody, keyEnd);
    if (key === null) return failAt(st, 'invalid utf-8', keyStart);
    if (key === FORBIDDEN_KEY) return failAt(st, 'forbidden map key', keyStart);
    prevStart = keyStart;
    prevEnd = keyEnd;
    st.pos = keyEnd;
    let valueSchema: Schema = 'any';
    if (fields !== null) {
      if (!has(fields, key)) return schemaFailAt(st, '', `unknown key ${JSON.stringify(key)}`, keyStart);
      valueSchema = fields[key]!;
    }
    const value = readItem(st, valueSchema, depth + 1);
    if (value === undefined) {
      if (st.schemaFail) st.path = `${keySegment(key)}${st.path}`;
      return undefined;
    }
    out[key] = value;
  }
  if (s !== null) {
    const missing = missingKey(s, out);
    if (missing !== '') return schemaFailAt(st, '', `missing key ${JSON.stringify(missing)}`, start);
  }
  return out;
}

function readContainer(st: State, schema: Schema, form: string, isMap: boolean, count: number, start: number, depth: number): CborValue | undefined {
  const lengthProblem = checkDeclaredLength(count, isMap ? count * 2 : count, st.end - st.pos, st.maxBytes);
  if (lengthProblem !== '') return failAt(st, lengthProblem, start);
  if (depth >= st.maxDepth) return failAt(st, 'depth limit', start);
  if (form !== 'any') {
    const wanted = isMap ? form === 'map' : form === 'array' || form === 'tuple';
    if (!wanted) return schemaFailAt(st, '', `expected ${describeSchema(schema)}`, start);
  }
  const s = form === 'any' ? null : (schema as SchemaObject);
  if (isMap) return readMap(st, s, count, start, depth);
  if (s !== null) {
    const countProblem = arrayLengthProblem(s, count);
    if (countProblem !== '') return schemaFailAt(st, '', countProblem, start);
  }
  return readArray(st, s, count, depth);
}

/** One limit, its default when absent; throws CBOR_LIMITS for a value that is not a count (a programmer mistake). */
export function limitOf(limits: CborLimits | undefined, name: 'depth' | 'maxBytes'): number {
  const given = limits === undefined ? undefined : limits[name];
  if (given === undefined) return DEFAULT_CBOR_LIMITS[name];
  if (typeof given !== 'number' || Math.floor(given) !== given || given < 0) {
    throw codedError('CBOR_LIMITS', `cbor: limits.${name} must be an integer ≥ 0, got ${String(given)}`);
  }
  return given;
}

/**
 * Decodes untrusted bytes. Accepts only the deterministic encoding of a profile value that matches `schema`
 * (default 'any') within `limits`; anything else gets { ok: false, reason, offset } and never an exception.
 * (A malformed schema or limits object is a programmer mistake and throws CBOR_SCHEMA / CBOR_LIMITS.)
 */
export function decode(bytes: Uint8Array, schema?: Schema, limits?: CborLimits): DecodeResult {
  const root: Schema = schema === undefined ? 'any' : schema;
  if (root !== 'any') assertSchemaOnce(root);
  const maxDepth = limitOf(limits, 'depth');
  const maxBytes = limitOf(limits, 'maxBytes');
  if (!(bytes instanceof Uint8Array)) return { ok: false, reason: 'input is not a byte array', offset: 0 };
  if (bytes.length > maxBytes) return { ok: false, reason: 'input too large', offset: 0 };
  const st: State = {
    src: bytes,
    pos: 0,
    end: bytes.length,
    maxBytes,
    maxDepth,
    head: { major: 0, info: 0, arg: 0, end: 0 },
    reason: '',
    offset: 0,
    schemaFail: false,
    path: '',
  };
  let value: CborValue | undefined;
  try {
    value = readItem(st, root, 0);
  } catch (e) {
    // Not expected on any input (the fuzz tests look for it); kept so the verdict contract holds regardless.
    return { ok: false, reason: `internal error: ${(e as Error).message}`, offset: st.pos };
  }
  if (value === undefined) {
    const reason = st.schemaFail ? `$${st.path}: ${st.reason}` : st.reason;
    return { ok: false, reason, offset: st.offset };
  }
  if (st.pos !== st.end) return { ok: false, reason: 'trailing bytes', offset: st.pos };
  return { ok: true, value };
}

/** decode for trusted contexts: returns the value or throws CBOR_INVALID carrying `reason` and `offset`. */
export function decodeOrThrow(bytes: Uint8Array, schema?: Schema): CborValue {
  const r = decode(bytes, schema);
  if (r.ok) return r.value;
  const e = codedError('CBOR_INVALID', `cbor: ${r.reason} at byte ${r.offset}`) as Error & { reason: string; offset: number };
  e.reason = r.reason;
  e.offset = r.offset;
  throw e;
}
