// The refactoring safety net (issue 20): a hash of the effect stream a run produces (every member's effects of every
// step, in order), compared against the hashes recorded in test/effect-hashes/. A change of the node's code that keeps
// its behaviour keeps every hash; a change that must alter behaviour says so in its commit and records the new hashes
// with `UPDATE_EFFECT_HASHES=1 npm test -- <suite>`.
import { createHash, type Hash } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Effect } from '../../src/index.ts';

const DIR = join(dirname(fileURLToPath(import.meta.url)), '..', 'effect-hashes');
export const UPDATING = process.env.UPDATE_EFFECT_HASHES === '1';

/** A canonical text of a value: byte arrays as hex, object keys sorted; anything else (a Map, a class) is an error. */
function canonical(v: unknown): string {
  if (v === undefined) return 'u';
  if (v === null || typeof v === 'number' || typeof v === 'string' || typeof v === 'boolean') return JSON.stringify(v);
  if (v instanceof Uint8Array) return `x${Buffer.from(v).toString('hex')}`;
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (Object.getPrototypeOf(v) === Object.prototype) {
    const o = v as Record<string, unknown>;
    return `{${Object.keys(o)
      .filter((k) => o[k] !== undefined)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical(o[k])}`)
      .join(',')}}`;
  }
  throw new TypeError(`effect hash: cannot write ${Object.prototype.toString.call(v)}`);
}

export class EffectHasher {
  private readonly h: Hash = createHash('sha256');
  count = 0;

  add(member: number, effects: readonly Effect[]): void {
    for (const e of effects) {
      this.h.update(`${member}|${canonical(e)}\n`);
      this.count++;
    }
  }

  /** 64 bits of the stream's hash and how many effects it held. */
  digest(): string {
    return `${this.h.digest('hex').slice(0, 16)}/${this.count}`;
  }
}

/** The recorded hashes of one suite, and a check that writes them instead when UPDATE_EFFECT_HASHES=1. */
export class RecordedHashes {
  private readonly file: string;
  private readonly recorded: Record<string, string>;
  private readonly seen: Record<string, string> = {};

  constructor(suite: string) {
    this.file = join(DIR, `${suite}.json`);
    this.recorded = existsSync(this.file) ? (JSON.parse(readFileSync(this.file, 'utf8')) as Record<string, string>) : {};
  }

  /** The recorded hash of a case ('not recorded …' when none is), and notes the one observed. */
  expected(key: string, observed: string): string {
    this.seen[key] = observed;
    return UPDATING ? observed : (this.recorded[key] ?? 'not recorded (record it: UPDATE_EFFECT_HASHES=1 npm test -- <suite>)');
  }

  /** Writes the observed hashes (only when updating). */
  save(): void {
    if (!UPDATING) return;
    const keys = Object.keys(this.seen).sort((a, b) => a.localeCompare(b, 'en', { numeric: true }));
    writeFileSync(this.file, `${JSON.stringify(Object.fromEntries(keys.map((k) => [k, this.seen[k]])), null, 0).replace(/,"/g, ',\n"')}\n`);
  }

  /** Keys recorded but never observed in this run (a case renamed or dropped). */
  unobserved(): string[] {
    return Object.keys(this.recorded).filter((k) => !(k in this.seen));
  }
}
