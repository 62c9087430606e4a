// Test support: the shared Ed25519 vectors (read in place, beside the repository) and a seeded generator.
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { mulberry32 } from '@meterchain/core';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../../../..');
const vectorsDir = resolve(repoRoot, '../shared/vectors');

export const hex = (text: string): Uint8Array => new Uint8Array(Buffer.from(text, 'hex'));
export const toHex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');

export interface SpeccheckCase {
  index: number;
  publicKey: Uint8Array;
  message: Uint8Array;
  signature: Uint8Array;
}

export function speccheckCases(): SpeccheckCase[] {
  const raw = JSON.parse(readFileSync(resolve(vectorsDir, 'ed25519-speccheck-cases.json'), 'utf8')) as { message: string; pub_key: string; signature: string }[];
  return raw.map((c, index) => ({ index, publicKey: hex(c.pub_key), message: hex(c.message), signature: hex(c.signature) }));
}

/** The verdicts pinned in the vectors' README: under the strict rule only case 3 is accepted. */
export const PINNED_SPECCHECK_VERDICTS = [false, false, false, true, false, false, false, false, false, false, false, false];

export interface WycheproofCase {
  tcId: number;
  comment: string;
  result: 'valid' | 'invalid' | 'acceptable';
  publicKey: Uint8Array;
  message: Uint8Array;
  signature: Uint8Array;
}

export function wycheproofCases(): WycheproofCase[] {
  const doc = JSON.parse(readFileSync(resolve(vectorsDir, 'ed25519-wycheproof.json'), 'utf8')) as {
    testGroups: { publicKey: { pk: string }; tests: { tcId: number; comment: string; msg: string; sig: string; result: WycheproofCase['result'] }[] }[];
  };
  const out: WycheproofCase[] = [];
  for (const g of doc.testGroups) {
    for (const t of g.tests) {
      out.push({ tcId: t.tcId, comment: t.comment, result: t.result, publicKey: hex(g.publicKey.pk), message: hex(t.msg), signature: hex(t.sig) });
    }
  }
  return out;
}

/** Seeded bytes (mulberry32), so every run checks the same inputs. */
export function seededBytes(seed: number): (n: number) => Uint8Array {
  const random = mulberry32(seed);
  return (n) => {
    const out = new Uint8Array(n);
    for (let i = 0; i < n; i++) out[i] = (random() * 4294967296) & 0xff;
    return out;
  };
}
