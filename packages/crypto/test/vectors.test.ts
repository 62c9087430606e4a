import { describe, expect, test } from '@jest/globals';
import { createPublicKey, verify as rawVerify } from 'node:crypto';
import * as ed from '@noble/ed25519';
import { nodeVerifier } from '../src/node.ts';
import { nobleVerifier } from '../src/noble.ts';
import { PINNED_SPECCHECK_VERDICTS, speccheckCases, wycheproofCases } from './support/vectors.ts';

const backends = [nodeVerifier(), nobleVerifier()];
const speccheck = speccheckCases();
const wycheproof = wycheproofCases();

describe.each(backends)('$name backend on the speccheck cases', (verifier) => {
  test.each(speccheck.map((c) => [c.index, PINNED_SPECCHECK_VERDICTS[c.index]!, c] as const))('case %i gives the pinned verdict (accept: %s)', (_i, verdict, c) => {
    expect(verifier.verify(c.publicKey, c.message, c.signature)).toBe(verdict);
  });
});

describe.each(backends)('$name backend on Wycheproof', (verifier) => {
  test('there are cases to check', () => {
    expect(wycheproof.length).toBeGreaterThanOrEqual(150);
  });
  test('every valid case verifies', () => {
    const failed = wycheproof.filter((c) => c.result === 'valid' && !verifier.verify(c.publicKey, c.message, c.signature)).map((c) => c.tcId);
    expect(failed).toEqual([]);
  });
  test('every invalid case is rejected', () => {
    const accepted = wycheproof.filter((c) => c.result === 'invalid' && verifier.verify(c.publicKey, c.message, c.signature)).map((c) => c.tcId);
    expect(accepted).toEqual([]);
  });
});

describe('both backends agree on every vector', () => {
  test('acceptable Wycheproof cases (if any) and every other case get one verdict from both', () => {
    const split = wycheproof.filter((c) => backends[0]!.verify(c.publicKey, c.message, c.signature) !== backends[1]!.verify(c.publicKey, c.message, c.signature));
    expect(split.map((c) => c.tcId)).toEqual([]);
  });
});

// Why strict.ts exists: the libraries on their own give three different answers (vectors/README.md). If a library
// update ever brought one of them to the table by itself, these tests would say so and the docs should follow.
describe('the raw libraries without the strict rule', () => {
  const SPKI_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');
  const accepted = (fn: (pk: Uint8Array, m: Uint8Array, s: Uint8Array) => boolean): number[] =>
    speccheck.filter((c) => {
      try {
        return fn(c.publicKey, c.message, c.signature);
      } catch {
        return false;
      }
    }).map((c) => c.index);

  test('node:crypto alone accepts cases 0, 1, 2, 3 and 11', () => {
    expect(accepted((pk, m, s) => rawVerify(null, m, createPublicKey({ key: Buffer.concat([SPKI_PREFIX, pk]), format: 'der', type: 'spki' }), s))).toEqual([0, 1, 2, 3, 11]);
  });
  test('noble alone, in its strict branch, accepts cases 2 to 5', () => {
    expect(accepted((pk, m, s) => ed.verify(s, m, pk, { zip215: false }))).toEqual([2, 3, 4, 5]);
  });
  test('noble alone, with its defaults, accepts cases 0 to 5 and 9 to 11', () => {
    expect(accepted((pk, m, s) => ed.verify(s, m, pk))).toEqual([0, 1, 2, 3, 4, 5, 9, 10, 11]);
  });
});
