import { describe, expect, test } from '@jest/globals';
import { inspect } from 'node:util';
import * as ed from '@noble/ed25519';
import type { Signer, Verifier } from '@meterchain/core';
import { createNodeSigner, nodeVerifier, publicKeyFromSeed } from '../src/node.ts';
import { createNobleSigner, nobleVerifier } from '../src/noble.ts';
import { explainVerdict, verifyBatchParallel } from '../src/batch.ts';
import { hex, seededBytes, speccheckCases, toHex } from './support/vectors.ts';

const node = nodeVerifier();
const noble = nobleVerifier();
const verifiers: Verifier[] = [node, noble];
const signerKinds: [string, (seed: Uint8Array) => Signer][] = [
  ['node', createNodeSigner],
  ['noble', createNobleSigner],
];

// RFC 8032 §7.1, TEST 1 and TEST 2.
const RFC8032 = [
  {
    seed: '9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60',
    publicKey: 'd75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a',
    message: '',
    signature: 'e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b',
  },
  {
    seed: '4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb',
    publicKey: '3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c',
    message: '72',
    signature: '92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00',
  },
];

describe.each(signerKinds)('%s signer', (_name, create) => {
  test.each(RFC8032.map((v, i) => [i + 1, v] as const))('reproduces RFC 8032 test %i', (_i, v) => {
    const signer = create(hex(v.seed));
    expect(toHex(signer.publicKey)).toBe(v.publicKey);
    expect(toHex(signer.sign(hex(v.message)))).toBe(v.signature);
  });
  test('refuses a seed that is not 32 bytes', () => {
    expect(() => create(new Uint8Array(31))).toThrow(/32-byte seed/);
    expect(() => create('00'.repeat(32) as unknown as Uint8Array)).toThrow(/Uint8Array/);
  });
  test('refuses a message that is not bytes', () => {
    expect(() => create(new Uint8Array(32)).sign('reading' as unknown as Uint8Array)).toThrow(/Uint8Array/);
  });
  test('returns plain Uint8Arrays of 32 and 64 bytes', () => {
    const signer = create(new Uint8Array(32).fill(3));
    const sig = signer.sign(new Uint8Array([1]));
    expect(Object.getPrototypeOf(signer.publicKey)).toBe(Uint8Array.prototype);
    expect(Object.getPrototypeOf(sig)).toBe(Uint8Array.prototype);
    expect([signer.publicKey.length, sig.length]).toEqual([32, 64]);
  });
  test('does not keep a reference to the caller\'s seed', () => {
    const seed = new Uint8Array(32).fill(5);
    const signer = create(seed);
    const before = signer.sign(new Uint8Array([9]));
    seed.fill(0);
    expect(signer.sign(new Uint8Array([9]))).toEqual(before);
  });
});

describe('secret material stays out of logs', () => {
  const seed = hex(RFC8032[0]!.seed);
  test.each(signerKinds)('%s signer: JSON.stringify shows the public key, not the seed', (_name, create) => {
    const text = JSON.stringify(create(seed));
    expect(text).toContain(RFC8032[0]!.publicKey);
    expect(text).not.toContain(RFC8032[0]!.seed);
  });
  test.each(signerKinds)('%s signer: util.inspect (all depths, hidden too) does not show the seed', (_name, create) => {
    const signer = create(seed);
    for (const text of [inspect(signer), inspect(signer, { showHidden: true, depth: Infinity }), String(signer), `${Object.keys(signer)}`]) {
      expect(text).not.toContain(RFC8032[0]!.seed);
      expect(text).not.toContain(Array.from(seed.subarray(0, 4)).join(', ')); // nor as a list of byte values
    }
  });
});

describe('the two backends against each other', () => {
  const rand = seededBytes(2026);
  const samples = Array.from({ length: 40 }, (_, i) => ({ seed: rand(32), message: rand((i * 37) % 301) }));

  test('derive the same public key from a seed', () => {
    for (const s of samples) {
      const a = createNodeSigner(s.seed).publicKey;
      expect(createNobleSigner(s.seed).publicKey).toEqual(a);
      expect(publicKeyFromSeed(s.seed)).toEqual(a);
    }
  });
  test('produce byte-identical signatures (Ed25519 signing is deterministic)', () => {
    for (const s of samples) expect(toHex(createNobleSigner(s.seed).sign(s.message))).toBe(toHex(createNodeSigner(s.seed).sign(s.message)));
  });
  test('each verifies the other\'s signatures', () => {
    for (const s of samples) {
      const byNode = createNodeSigner(s.seed);
      const byNoble = createNobleSigner(s.seed);
      expect(noble.verify(byNode.publicKey, s.message, byNode.sign(s.message))).toBe(true);
      expect(node.verify(byNoble.publicKey, s.message, byNoble.sign(s.message))).toBe(true);
    }
  });
});

describe.each(verifiers)('$name verifier rejects any change', (verifier) => {
  const rand = seededBytes(99);
  const signer = createNodeSigner(rand(32));
  const message = rand(120);
  const signature = signer.sign(message);
  const flip = (b: Uint8Array, bit: number): Uint8Array => {
    const c = b.slice();
    c[bit >> 3]! ^= 1 << (bit & 7);
    return c;
  };
  test('accepts the untouched signature', () => {
    expect(verifier.verify(signer.publicKey, message, signature)).toBe(true);
  });
  test('rejects every one-bit change of the signature', () => {
    const accepted: number[] = [];
    for (let bit = 0; bit < 512; bit += 3) if (verifier.verify(signer.publicKey, message, flip(signature, bit))) accepted.push(bit);
    expect(accepted).toEqual([]);
  });
  test('rejects every one-bit change of the public key', () => {
    const accepted: number[] = [];
    for (let bit = 0; bit < 256; bit += 3) if (verifier.verify(flip(signer.publicKey, bit), message, signature)) accepted.push(bit);
    expect(accepted).toEqual([]);
  });
  test('rejects one-bit changes of the message, a shorter and a longer message', () => {
    for (let bit = 0; bit < message.length * 8; bit += 61) expect(verifier.verify(signer.publicKey, flip(message, bit), signature)).toBe(false);
    expect(verifier.verify(signer.publicKey, message.subarray(0, 119), signature)).toBe(false);
    expect(verifier.verify(signer.publicKey, new Uint8Array([...message, 0]), signature)).toBe(false);
  });
  test('rejects another key\'s valid signature', () => {
    const other = createNodeSigner(rand(32));
    expect(verifier.verify(signer.publicKey, message, other.sign(message))).toBe(false);
  });
});

describe.each(verifiers)('$name verifier never throws', (verifier) => {
  const signer = createNodeSigner(new Uint8Array(32).fill(8));
  const m = new Uint8Array([1, 2, 3]);
  const sig = signer.sign(m);
  const odd: unknown[] = [undefined, null, 0, 'ab', [1, 2, 3], {}, new Uint8Array(0), new Uint8Array(31), new Uint8Array(33), new Uint8Array(63), new Uint8Array(65), new Uint16Array(32), new ArrayBuffer(32)];
  test('gives false for odd public keys, messages and signatures', () => {
    for (const x of odd) {
      expect(verifier.verify(x as Uint8Array, m, sig)).toBe(false);
      expect(verifier.verify(signer.publicKey, x as Uint8Array, sig)).toBe(false);
      expect(verifier.verify(signer.publicKey, m, x as Uint8Array)).toBe(false);
    }
  });
  test('gives false for a public key that is not a point on the curve', () => {
    // y = 2 has no x on edwards25519 (y^2 - 1 over d y^2 + 1 is not a square); both decoders refuse it.
    const offCurve = new Uint8Array(32);
    offCurve[0] = 2;
    expect(() => ed.Point.fromBytes(offCurve, false)).toThrow();
    expect(verifier.verify(offCurve, m, sig)).toBe(false);
  });
});

describe('node verifier key cache', () => {
  test('stays within its bound and keeps verifying correctly past it', () => {
    const v = nodeVerifier({ cacheSize: 3 });
    const rand = seededBytes(5);
    for (let i = 0; i < 10; i++) {
      const s = createNodeSigner(rand(32));
      expect(v.verify(s.publicKey, rand(10), s.sign(rand(10)))).toBe(false);
      const msg = rand(10);
      expect(v.verify(s.publicKey, msg, s.sign(msg))).toBe(true);
    }
    expect(v.cachedKeys).toBe(3);
  });
  test('refuses a cache size that is not a positive integer', () => {
    expect(() => nodeVerifier({ cacheSize: 0 })).toThrow(/positive integer/);
  });
});

describe('verifyBatchParallel', () => {
  const rand = seededBytes(77);
  const signers = Array.from({ length: 5 }, () => createNodeSigner(rand(32)));
  const items: { publicKey: Uint8Array; message: Uint8Array; signature: Uint8Array }[] = [];
  for (let i = 0; i < 150; i++) {
    const s = signers[i % 5]!;
    const message = rand(i % 200);
    const signature = s.sign(message);
    if (i % 4 === 1) signature[i % 64]! ^= 0x10; // a quarter tampered
    items.push({ publicKey: s.publicKey, message, signature });
  }
  for (const c of speccheckCases()) items.push({ publicKey: c.publicKey, message: c.message, signature: c.signature });
  items.push({ publicKey: new Uint8Array(3), message: new Uint8Array(0), signature: new Uint8Array(64) });
  items.push(null as unknown as (typeof items)[number]);

  test('gives, in order, the verdicts of single verification', async () => {
    const want = items.map((it) => (it === null ? false : node.verify(it.publicKey, it.message, it.signature)));
    expect(want.filter(Boolean).length).toBeGreaterThan(100); // most are valid, so the comparison means something
    expect(await verifyBatchParallel(items)).toEqual(want);
  });
  test('gives the pinned speccheck verdicts (only case 3)', async () => {
    const cases = speccheckCases();
    const got = await verifyBatchParallel(cases.map((c) => ({ publicKey: c.publicKey, message: c.message, signature: c.signature })));
    expect(got.map((ok, i) => (ok ? i : -1)).filter((i) => i >= 0)).toEqual([3]);
  });
  test('resolves an empty batch to an empty list', async () => {
    expect(await verifyBatchParallel([])).toEqual([]);
  });
});

describe('explainVerdict', () => {
  test('names the strict rule that rejects each speccheck case, and nothing for case 3', () => {
    const reasons = speccheckCases().map((c) => explainVerdict(node, c.publicKey, c.message, c.signature));
    expect(reasons).toEqual([
      'public-key-small-order',
      'public-key-small-order',
      'r-small-order',
      undefined,
      'bad-signature', // cofactored-only: fails the cofactorless equation
      'bad-signature',
      's-out-of-range',
      's-out-of-range',
      'r-small-order',
      'r-small-order',
      'public-key-small-order',
      'public-key-small-order',
    ]);
  });
});
