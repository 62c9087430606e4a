// A small declarative schema the decoder checks while it reads, so untrusted input is refused at the first item
// of the wrong shape, with a reason naming where: '$.channels[2].value: expected int'.

import { codedError } from './value.ts';
import type { CborValue } from './value.ts';
import { utf8Length } from '../bytes.ts';

/**
 * - 'uint' | 'int' | 'text' | 'bytes' | 'bool' | 'null' | 'any' — that type (any: whatever the profile carries);
 * - { uint: { max } } — an unsigned integer ≤ max;
 * - { bytes: n } — a byte string of exactly n bytes;
 * - { text: { max } } — a text string of at most max UTF-8 bytes;
 * - { array: S, max? } — an array whose items all match S, at most max of them;
 * - { tuple: [S0, S1, ...] } — an array of exactly that many items, each matching its own schema;
 * - { map: { key: S, ... }, optional?: [keys] } — a map with exactly these keys (unknown keys refused), all
 *   required but those named optional;
 * - { oneOf: [S, ...] } — the first alternative that matches.
 */
export type Schema =
  | 'uint'
  | 'int'
  | 'text'
  | 'bytes'
  | 'bool'
  | 'null'
  | 'any'
  | { uint: { max: number } }
  | { bytes: number }
  | { text: { max?: number } }
  | { array: Schema; max?: number }
  | { tuple: readonly Schema[] }
  | { map: { readonly [key: string]: Schema }; optional?: readonly string[] }
  | { oneOf: readonly Schema[] };

/**
 * The TypeScript type of what `decodeAs` returns for a schema declared `as const satisfies Schema`: the schema is
 * written once and its type follows (no interface written beside it, no cast at the decoding site). A schema typed
 * only as `Schema` gives CborValue.
 */
export type Decoded<S> = Schema extends S
  ? CborValue
  : S extends 'uint' | 'int'
    ? number
    : S extends 'text'
      ? string
      : S extends 'bytes'
        ? Uint8Array
        : S extends 'bool'
          ? boolean
          : S extends 'null'
            ? null
            : S extends 'any'
              ? CborValue
              : S extends { uint: unknown }
                ? number
                : S extends { bytes: number }
                  ? Uint8Array
                  : S extends { text: unknown }
                    ? string
                    : S extends { array: infer I }
                      ? Decoded<I>[]
                      : S extends { tuple: infer T }
                        ? { -readonly [K in keyof T]: Decoded<T[K]> }
                        : S extends { map: infer M; optional: readonly (infer O)[] }
                          ? { [K in Exclude<keyof M, O>]: Decoded<M[K]> } & { [K in Extract<keyof M, O>]?: Decoded<M[K]> }
                          : S extends { map: infer M }
                            ? { [K in keyof M]: Decoded<M[K]> }
                            : S extends { oneOf: readonly (infer A)[] }
                              ? Decoded<A>
                              : never;


/** Where and why a value failed its schema: `path` is relative ('.a[2].b'), '' for the value itself. */
export interface SchemaFailure {
  path: string;
  message: string;
}

type SchemaObject = { [key: string]: unknown };

function has(o: object, key: string): boolean {
  return Object.prototype.hasOwnProperty.call(o, key);
}

function isIdentifier(key: string): boolean {
  if (key.length === 0) return false;
  for (let i = 0; i < key.length; i++) {
    const c = key.charCodeAt(i);
    const letter = (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95 || c === 36;
    const digit = c >= 48 && c <= 57;
    if (!letter && !(digit && i > 0)) return false;
  }
  return true;
}

/** Path segment for a map key: '.key', or '["odd key"]' when it is not an identifier. */
export function keySegment(key: string): string {
  return isIdentifier(key) ? `.${key}` : `[${JSON.stringify(key)}]`;
}

/** What a schema expects, as the reason says it: 'int', 'bytes(32)', 'one of (uint, null)'. */
export function describeSchema(schema: Schema): string {
  if (typeof schema === 'string') return schema;
  const s = schema as SchemaObject;
  if (has(s, 'uint')) return `uint <= ${(s['uint'] as { max: number }).max}`;
  if (has(s, 'bytes')) return `bytes(${s['bytes'] as number})`;
  if (has(s, 'text')) {
    const max = (s['text'] as { max?: number }).max;
    return max === undefined ? 'text' : `text of at most ${max} bytes`;
  }
  if (has(s, 'array')) return 'array';
  if (has(s, 'tuple')) return `array of ${(s['tuple'] as Schema[]).length}`;
  if (has(s, 'map')) return 'map';
  const parts: string[] = [];
  const alternatives = s['oneOf'] as Schema[];
  for (let i = 0; i < alternatives.length; i++) parts.push(describeSchema(alternatives[i]!));
  return `one of (${parts.join(', ')})`;
}

function badSchema(where: string, message: string): Error {
  return codedError('CBOR_SCHEMA', `cbor schema${where === '' ? '' : ' at ' + where}: ${message}`);
}

const NAMES = ['uint', 'int', 'text', 'bytes', 'bool', 'null', 'any'];
const FORMS = ['uint', 'bytes', 'text', 'array', 'tuple', 'map', 'oneOf'];

function isCount(n: unknown): boolean {
  return typeof n === 'number' && Math.floor(n) === n && n >= 0;
}

/**
 * Throws CBOR_SCHEMA when `schema` is not a well-formed Schema (a programmer mistake, found before any input is
 * read, so decoding never throws part-way on one input and not another).
 */
export function assertSchema(schema: unknown, where: string): void {
  if (typeof schema === 'string') {
    if (NAMES.indexOf(schema) < 0) throw badSchema(where, `expected one of ${NAMES.join(', ')}, got '${schema}'`);
    return;
  }
  if (schema === null || typeof schema !== 'object' || Array.isArray(schema)) {
    throw badSchema(where, `expected a type name or a schema object, got ${schema === null ? 'null' : typeof schema}`);
  }
  const s = schema as SchemaObject;
  let form = '';
  for (let i = 0; i < FORMS.length; i++) {
    if (has(s, FORMS[i]!)) {
      if (form !== '') throw badSchema(where, `one form per schema object, got both '${form}' and '${FORMS[i]}'`);
      form = FORMS[i]!;
    }
  }
  if (form === '') throw badSchema(where, `expected one of the forms ${FORMS.join(', ')}, got keys ${Object.keys(s).join(', ')}`);
  const v = s[form] as SchemaObject;
  if (form === 'uint') {
    if (v === null || typeof v !== 'object' || !isCount(v['max'])) throw badSchema(where, '{ uint: { max } } needs a max ≥ 0');
  } else if (form === 'bytes') {
    if (!isCount(v)) throw badSchema(where, '{ bytes: n } needs an exact length n ≥ 0');
  } else if (form === 'text') {
    if (v === null || typeof v !== 'object' || (v['max'] !== undefined && !isCount(v['max']))) {
      throw badSchema(where, '{ text: { max? } } needs an object with an optional max ≥ 0');
    }
  } else if (form === 'array') {
    if (s['max'] !== undefined && !isCount(s['max'])) throw badSchema(where, '{ array, max } needs max ≥ 0');
    assertSchema(v, `${where}[]`);
  } else if (form === 'tuple' || form === 'oneOf') {
    if (!Array.isArray(v)) throw badSchema(where, `{ ${form}: [...] } needs an array of schemas`);
    if (form === 'oneOf' && v.length === 0) throw badSchema(where, '{ oneOf: [] } can match nothing');
    for (let i = 0; i < v.length; i++) assertSchema(v[i], `${where}${form === 'tuple' ? '[' + i + ']' : '|' + i}`);
  } else {
    if (v === null || typeof v !== 'object' || Array.isArray(v)) throw badSchema(where, '{ map: { key: schema } } needs an object');
    const keys = Object.keys(v);
    for (let i = 0; i < keys.length; i++) assertSchema(v[keys[i]!], `${where}${keySegment(keys[i]!)}`);
    const optional = s['optional'];
    if (optional !== undefined) {
      if (!Array.isArray(optional)) throw badSchema(where, 'optional needs an array of keys');
      for (let i = 0; i < optional.length; i++) {
        if (typeof optional[i] !== 'string' || !has(v, optional[i] as string)) {
          throw badSchema(where, `optional key ${JSON.stringify(optional[i])} is not a key of the map`);
        }
      }
    }
  }
}

function fail(path: string, message: string): SchemaFailure {
  return { path, message };
}

function isPlainMap(value: CborValue): boolean {
  return value !== null && typeof value === 'object' && !Array.isArray(value) && !(value instanceof Uint8Array);
}

/** Checks a value the codec produced against a well-formed schema; null when it conforms. */
export function schemaFailure(value: CborValue, schema: Schema): SchemaFailure | null {
  if (typeof schema === 'string') {
    let ok: boolean;
    if (schema === 'any') ok = true;
    else if (schema === 'uint') ok = typeof value === 'number' && value >= 0;
    else if (schema === 'int') ok = typeof value === 'number';
    else if (schema === 'text') ok = typeof value === 'string';
    else if (schema === 'bytes') ok = value instanceof Uint8Array;
    else if (schema === 'bool') ok = typeof value === 'boolean';
    else ok = value === null;
    return ok ? null : fail('', `expected ${schema}`);
  }
  const s = schema as SchemaObject;
  if (has(s, 'uint')) {
    const max = (s['uint'] as { max: number }).max;
    return typeof value === 'number' && value >= 0 && value <= max ? null : fail('', `expected ${describeSchema(schema)}`);
  }
  if (has(s, 'bytes')) {
    return value instanceof Uint8Array && value.length === s['bytes'] ? null : fail('', `expected ${describeSchema(schema)}`);
  }
  if (has(s, 'text')) {
    const max = (s['text'] as { max?: number }).max;
    const ok = typeof value === 'string' && (max === undefined || (value.length <= max && utf8Length(value) <= max));
    return ok ? null : fail('', `expected ${describeSchema(schema)}`);
  }
  if (has(s, 'oneOf')) {
    const alternatives = s['oneOf'] as Schema[];
    for (let i = 0; i < alternatives.length; i++) if (schemaFailure(value, alternatives[i]!) === null) return null;
    return fail('', `expected ${describeSchema(schema)}`);
  }
  if (has(s, 'array') || has(s, 'tuple')) {
    if (!Array.isArray(value)) return fail('', `expected ${describeSchema(schema)}`);
    const problem = arrayLengthProblem(s, value.length);
    if (problem !== '') return fail('', problem);
    for (let i = 0; i < value.length; i++) {
      const f = schemaFailure(value[i]!, itemSchema(s, i));
      if (f !== null) return fail(`[${i}]${f.path}`, f.message);
    }
    return null;
  }
  if (!isPlainMap(value)) return fail('', 'expected map');
  const fields = s['map'] as { [key: string]: Schema };
  const m = value as { [key: string]: CborValue };
  const keys = Object.keys(m);
  for (let i = 0; i < keys.length; i++) {
    const k = keys[i]!;
    if (!has(fields, k)) return fail('', `unknown key ${JSON.stringify(k)}`);
    const f = schemaFailure(m[k]!, fields[k]!);
    if (f !== null) return fail(`${keySegment(k)}${f.path}`, f.message);
  }
  const missing = missingKey(s, m);
  return missing === '' ? null : fail('', `missing key ${JSON.stringify(missing)}`);
}

/** The reason an array of `count` items cannot match an array/tuple schema, or ''. */
export function arrayLengthProblem(s: SchemaObject, count: number): string {
  if (has(s, 'tuple')) {
    const n = (s['tuple'] as Schema[]).length;
    return count === n ? '' : `expected ${n} items, got ${count}`;
  }
  const max = s['max'] as number | undefined;
  return max === undefined || count <= max ? '' : `expected at most ${max} items, got ${count}`;
}

/** The schema of item `i` of an array/tuple schema. */
export function itemSchema(s: SchemaObject, i: number): Schema {
  return has(s, 'tuple') ? (s['tuple'] as Schema[])[i]! : (s['array'] as Schema);
}

/** The first required key of a map schema that `m` lacks, in schema order, or ''. */
export function missingKey(s: SchemaObject, m: { [key: string]: unknown }): string {
  const fields = s['map'] as { [key: string]: Schema };
  const optional = (s['optional'] as string[] | undefined) ?? [];
  const keys = Object.keys(fields);
  for (let i = 0; i < keys.length; i++) {
    const k = keys[i]!;
    if (!has(m, k) && optional.indexOf(k) < 0) return k;
  }
  return '';
}

/** The form of a schema object, for the decoder's dispatch: the type name, or 'uint' | 'bytes' | ... | 'oneOf'. */
export function schemaForm(schema: Schema): string {
  if (typeof schema === 'string') return schema;
  const s = schema as SchemaObject;
  for (let i = 0; i < FORMS.length; i++) if (has(s, FORMS[i]!)) return FORMS[i]!;
  return '';
}

/** Schemas already checked for shape: using one schema object again skips the walk. */
const checkedSchemas: Schema[] = [];

/** assertSchema, remembered for the last few schema objects (callers reuse a handful of constant schemas). */
export function assertSchemaOnce(schema: Schema): void {
  for (let i = 0; i < checkedSchemas.length; i++) if (checkedSchemas[i] === schema) return;
  assertSchema(schema, '');
  if (checkedSchemas.length >= 16) checkedSchemas.shift();
  checkedSchemas.push(schema);
}

/**
 * Checks a value against a schema: undefined when it conforms, else the reason with its path
 * ('$.channels[2].value: expected int'). Throws CBOR_SCHEMA for a malformed schema.
 */
export function checkSchema(value: CborValue, schema: Schema): string | undefined {
  assertSchemaOnce(schema);
  const f = schemaFailure(value, schema);
  return f === null ? undefined : `$${f.path}: ${f.message}`;
}
