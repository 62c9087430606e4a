// The value model of meterchain's CBOR profile and the errors the codec raises for programmer mistakes.

/** What the profile carries: safe integers, text, bytes, booleans, null, arrays and text-keyed maps. */
export type CborValue = number | string | boolean | null | Uint8Array | CborValue[] | CborMap;

/** A CBOR map with text keys, decoded as a plain object. */
export interface CborMap {
  [key: string]: CborValue;
}

/** Largest integer the profile carries: integers stay exact JS numbers on Node and Espruino alike. */
export const MAX_SAFE = 9007199254740991;

/** An `Error` with a `code`, as the portable rules ask (no Error subclasses on Espruino). */
export function codedError(code: string, message: string): Error {
  const e = new Error(message) as Error & { code: string };
  e.code = code;
  return e;
}

/** Thrown by encode for a value outside the profile (a float, undefined, a Map, a lone surrogate...). */
export function unsupported(message: string): Error {
  return codedError('CBOR_UNSUPPORTED', `cbor: ${message}`);
}

/** Short description of a JS value for error messages (never its content, which may be large or secret). */
export function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  const t = typeof value;
  if (t === 'number') return `number ${value}`;
  if (t !== 'object') return t;
  const proto = Object.getPrototypeOf(value);
  const ctor = proto && proto.constructor;
  return ctor && typeof ctor.name === 'string' && ctor.name !== '' ? ctor.name : 'object';
}
