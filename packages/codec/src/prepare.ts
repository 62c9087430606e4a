// Checks a value against meterchain's CBOR profile and hands back what cbor-x must be given to write exactly the
// bytes of the portable encoder: integers of 2^32 or more as BigInt, maps with unsorted keys as a sorted Map.

/** Returned when the value is outside the profile (or nested too deep); the caller defers to the portable codec. */
export const OUTSIDE = Symbol('outside the profile');

const TWO_32 = 4294967296;

/** UTF-8 length of a well-formed string. */
function utf8Length(s: string): number {
  let n = s.length;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    // 2 bytes below U+0800, 4 per surrogate pair (2 per unit), 3 for the rest of the BMP.
    if (c >= 0x80) n += c < 0x800 || (c >= 0xd800 && c <= 0xdfff) ? 1 : 2;
  }
  return n;
}

/** Code-unit rank in code point order (surrogates, i.e. U+10000 and above, after U+E000–U+FFFF). */
function unitRank(u: number): number {
  if (u < 0xd800) return u;
  return u <= 0xdfff ? u + 0x2000 : u - 0x800;
}

/** RFC 8949 §4.2.1 order of two text keys: shorter UTF-8 first, then bytewise (= code point order). */
function compareKeys(a: string, aLength: number, b: string, bLength: number): number {
  if (aLength !== bLength) return aLength - bLength;
  const n = a.length < b.length ? a.length : b.length;
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x !== y) return unitRank(x) - unitRank(y);
  }
  return a.length - b.length;
}

const isWellFormed = (s: string): boolean => (s as string & { isWellFormed(): boolean }).isWellFormed();

function prepareArray(a: unknown[], depth: number, maxDepth: number): unknown {
  if (Object.getPrototypeOf(a) !== Array.prototype) return OUTSIDE;
  let copy: unknown[] | null = null;
  for (let i = 0; i < a.length; i++) {
    const item = a[i];
    const p = prepare(item, depth + 1, maxDepth);
    if (p === OUTSIDE) return OUTSIDE;
    if (copy !== null) copy.push(p);
    else if (p !== item) {
      copy = a.slice(0, i);
      copy.push(p);
    }
  }
  return copy ?? a;
}

/** True when V8 may list `key` among the integer-like keys, which objects enumerate first whatever the insertion order. */
function mayBeIndexKey(key: string): boolean {
  const c = key.charCodeAt(0);
  return c >= 48 && c <= 57;
}

function prepareMap(m: { [key: string]: unknown }, depth: number, maxDepth: number): unknown {
  const proto = Object.getPrototypeOf(m);
  if (proto !== Object.prototype && proto !== null) return OUTSIDE;
  const keys = Object.keys(m);
  const given = Object.values(m);
  const n = keys.length;
  const lengths: number[] = [];
  let sorted = true;
  let indexKeys = false;
  let values: unknown[] | null = null;
  for (let i = 0; i < n; i++) {
    const k = keys[i]!;
    if (k === '__proto__' || !isWellFormed(k)) return OUTSIDE;
    const length = utf8Length(k);
    lengths.push(length);
    if (i > 0 && sorted && compareKeys(keys[i - 1]!, lengths[i - 1]!, k, length) > 0) sorted = false;
    if (!indexKeys && mayBeIndexKey(k)) indexKeys = true;
    const v = given[i];
    const p = prepare(v, depth + 1, maxDepth);
    if (p === OUTSIDE) return OUTSIDE;
    if (p !== v) {
      if (values === null) values = given.slice();
      values[i] = p;
    }
  }
  if (sorted && values === null) return m;
  const all = values ?? given;
  let order: number[] | null = null;
  if (!sorted) {
    // Insertion sort: maps here hold a handful of keys, and it needs no comparator closure.
    order = [0];
    for (let i = 1; i < n; i++) {
      let j = i;
      while (j > 0 && compareKeys(keys[order[j - 1]!]!, lengths[order[j - 1]!]!, keys[i]!, lengths[i]!) > 0) {
        order[j] = order[j - 1]!;
        j--;
      }
      order[j] = i;
    }
  }
  if (indexKeys && !sorted) {
    // Objects list integer-like keys ("7", "10") first whatever the insertion order, so only a Map carries an
    // arbitrary order; cbor-x writes a Map's entries in insertion order under the same (untagged) map head.
    const out = new Map<string, unknown>();
    for (let i = 0; i < n; i++) out.set(keys[order![i]!]!, all[order![i]!]);
    return out;
  }
  // A fresh object lists its keys in insertion order (or, sorted already, in the order Object.keys(m) gave).
  const out: { [key: string]: unknown } = {};
  for (let i = 0; i < n; i++) {
    const j = order === null ? i : order[i]!;
    out[keys[j]!] = all[j];
  }
  return out;
}

/**
 * What to hand cbor-x for `v`, or OUTSIDE. `depth` counts the arrays and maps around `v`; an array or map at
 * nesting level beyond `maxDepth` is OUTSIDE, as the portable codec counts it.
 */
export function prepare(v: unknown, depth: number, maxDepth: number): unknown {
  switch (typeof v) {
    case 'number':
      if (!Number.isSafeInteger(v)) return OUTSIDE;
      // cbor-x writes integers from 2^32 up (and below −2^32) as float64; as BigInt they get the 8-byte head.
      return v >= TWO_32 || v < -TWO_32 ? BigInt(v) : v;
    case 'string':
      return isWellFormed(v) ? v : OUTSIDE;
    case 'boolean':
      return v;
    case 'object':
      if (v === null || v instanceof Uint8Array) return v;
      if (depth >= maxDepth) return OUTSIDE;
      if (Array.isArray(v)) return prepareArray(v, depth, maxDepth);
      return prepareMap(v as { [key: string]: unknown }, depth, maxDepth);
    default:
      return OUTSIDE;
  }
}
