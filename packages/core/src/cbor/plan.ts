// A schema compiled once for the decoder: a small tree of plans it dispatches on by number, with each map's keys
// as UTF-8 bytes in the order §4.2.1 has them arrive, so a key is matched by its bytes and never decoded or looked up.

import { FORBIDDEN_KEY } from './map.ts';
import type { Schema } from './schema.ts';
import { assertSchema, describeSchema, schemaForm } from './schema.ts';
import { utf8Length } from '../bytes.ts';
import { utf8Bytes } from './text.ts';

export const KIND_ANY = 0;
export const KIND_UINT = 1;
export const KIND_INT = 2;
export const KIND_TEXT = 3;
export const KIND_BYTES = 4;
export const KIND_BOOL = 5;
export const KIND_NULL = 6;
export const KIND_ARRAY = 7;
export const KIND_TUPLE = 8;
export const KIND_MAP = 9;
export const KIND_ONE_OF = 10;

export interface PlanField {
  name: string;
  /** UTF-8 of the name; empty for a name no input key can match (a lone surrogate, or the forbidden key). */
  utf8: Uint8Array;
  matchable: boolean;
  required: boolean;
  plan: Plan;
}

export interface Plan {
  kind: number;
  /** uint: the largest value; text: the most UTF-8 bytes; array: the most items. −1 when unbounded. */
  max: number;
  /** bytes: the exact length; tuple: the item count. −1 otherwise. */
  length: number;
  /** The reason an item of another type or shape gets: 'expected uint <= 2'. */
  expected: string;
  /** The schema compiled (oneOf checks its alternatives with the schema functions). */
  schema: Schema;
  /** array: one plan for every item; tuple: one plan per item. */
  items: Plan[];
  /** map: the keys an input key can match, in §4.2.1 order (shorter UTF-8 first, then bytewise). */
  fields: PlanField[];
  /** map: every key in schema order (the first required one absent is the one a 'missing key' reason names). */
  declared: PlanField[];
  /** map: how many keys are required. */
  required: number;
}

function newPlan(kind: number, schema: Schema, max: number, length: number): Plan {
  return { kind, max, length, expected: `expected ${describeSchema(schema)}`, schema, items: [], fields: [], declared: [], required: 0 };
}

const NAMED_SCHEMAS: Schema[] = ['any', 'uint', 'int', 'text', 'bytes', 'bool', 'null'];
const NAMED_KINDS = [KIND_ANY, KIND_UINT, KIND_INT, KIND_TEXT, KIND_BYTES, KIND_BOOL, KIND_NULL];
const NAMED_PLANS: Plan[] = [];
for (let i = 0; i < NAMED_SCHEMAS.length; i++) NAMED_PLANS.push(newPlan(NAMED_KINDS[i]!, NAMED_SCHEMAS[i]!, -1, -1));

/** The plan of 'any': every item the profile carries, no schema check. */
export const ANY_PLAN: Plan = NAMED_PLANS[0]!;

/** §4.2.1 order of two keys by their UTF-8: the encoded key with the shorter head (= shorter text) first, then bytewise. */
function compareUtf8(a: Uint8Array, b: Uint8Array): number {
  if (a.length !== b.length) return a.length - b.length;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
  return 0;
}

function compileMap(plan: Plan, s: { [key: string]: unknown }): void {
  const shape = s['map'] as { [key: string]: Schema };
  const optional = (s['optional'] as string[] | undefined) ?? [];
  const names = Object.keys(shape);
  for (let i = 0; i < names.length; i++) {
    const name = names[i]!;
    const length = utf8Length(name);
    const matchable = length >= 0 && name !== FORBIDDEN_KEY;
    const required = optional.indexOf(name) < 0;
    const field: PlanField = { name, utf8: matchable ? utf8Bytes(name, length) : new Uint8Array(0), matchable, required, plan: compile(shape[name]!) };
    plan.declared.push(field);
    if (required) plan.required++;
    if (!matchable) continue;
    // Insertion sort: a map schema holds a handful of keys.
    let j = plan.fields.length;
    plan.fields.push(field);
    while (j > 0 && compareUtf8(plan.fields[j - 1]!.utf8, field.utf8) > 0) {
      plan.fields[j] = plan.fields[j - 1]!;
      j--;
    }
    plan.fields[j] = field;
  }
}

/** Compiles a schema already checked by assertSchema. */
function compile(schema: Schema): Plan {
  if (typeof schema === 'string') return NAMED_PLANS[NAMED_SCHEMAS.indexOf(schema)]!;
  const s = schema as { [key: string]: unknown };
  const form = schemaForm(schema);
  if (form === 'uint') return newPlan(KIND_UINT, schema, (s['uint'] as { max: number }).max, -1);
  if (form === 'bytes') return newPlan(KIND_BYTES, schema, -1, s['bytes'] as number);
  if (form === 'text') {
    const max = (s['text'] as { max?: number }).max;
    return newPlan(KIND_TEXT, schema, max === undefined ? -1 : max, -1);
  }
  if (form === 'array') {
    const plan = newPlan(KIND_ARRAY, schema, s['max'] === undefined ? -1 : (s['max'] as number), -1);
    plan.items.push(compile(s['array'] as Schema));
    return plan;
  }
  if (form === 'tuple') {
    const items = s['tuple'] as Schema[];
    const plan = newPlan(KIND_TUPLE, schema, -1, items.length);
    for (let i = 0; i < items.length; i++) plan.items.push(compile(items[i]!));
    return plan;
  }
  if (form === 'oneOf') return newPlan(KIND_ONE_OF, schema, -1, -1);
  const plan = newPlan(KIND_MAP, schema, -1, -1);
  compileMap(plan, s);
  return plan;
}

/**
 * Plans of the schema objects used last, most used first. Callers pass a handful of constant schemas, so a schema
 * object is taken as constant: it is checked and compiled on first use, and changing it afterwards changes nothing.
 */
const cachedSchemas: Schema[] = [];
const cachedPlans: Plan[] = [];
const CACHE_SIZE = 32;

/**
 * The plan of a schema; throws CBOR_SCHEMA for a malformed one (as assertSchema). A hit moves one place towards
 * the front, and a miss replaces the last entry, so a schema built afresh on every call cannot push out the
 * constant ones.
 */
export function planOf(schema: Schema): Plan {
  if (typeof schema === 'string') {
    const named = NAMED_SCHEMAS.indexOf(schema);
    if (named >= 0) return NAMED_PLANS[named]!;
    assertSchema(schema, '');
  }
  for (let i = 0; i < cachedSchemas.length; i++) {
    if (cachedSchemas[i] !== schema) continue;
    const plan = cachedPlans[i]!;
    if (i > 0) {
      cachedSchemas[i] = cachedSchemas[i - 1]!;
      cachedPlans[i] = cachedPlans[i - 1]!;
      cachedSchemas[i - 1] = schema;
      cachedPlans[i - 1] = plan;
    }
    return plan;
  }
  assertSchema(schema, '');
  const plan = compile(schema);
  if (cachedSchemas.length < CACHE_SIZE) {
    cachedSchemas.push(schema);
    cachedPlans.push(plan);
  } else {
    cachedSchemas[CACHE_SIZE - 1] = schema;
    cachedPlans[CACHE_SIZE - 1] = plan;
  }
  return plan;
}
