import { describe, expect, test } from '@jest/globals';
import * as ed from '@noble/ed25519';
import { createNobleSigner } from '../src/noble.ts';
import { isCanonicalPointEncoding, isCanonicalScalar, isSmallOrderEncoding, strictPrecheck } from '../src/strict.ts';
import { hex, seededBytes } from './support/vectors.ts';

const P = 2n ** 255n - 19n;
const L = 2n ** 252n + 27742317777372353535851937790883648493n;

function le32(n: bigint): Uint8Array {
  const out = new Uint8Array(32);
  for (let i = 0; i < 32; i++) out[i] = Number((n >> BigInt(8 * i)) & 0xffn);
  return out;
}

/** The eight points of small order, computed: multiples of a point of order 8. */
function smallOrderPoints(): Uint8Array[] {
  const t = ed.Point.fromBytes(hex('c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a'), false);
  const points: Uint8Array[] = [];
  let p = t.multiply(8n, false); // the identity
  for (let k = 0; k < 8; k++) {
    points.push(p.toBytes());
    p = p.add(t);
  }
  return points;
}

const withSignBit = (b: Uint8Array): Uint8Array => {
  const c = b.slice();
  c[31]! |= 0x80;
  return c;
};

describe('small-order table', () => {
  const points = smallOrderPoints();
  test('the computed torsion points are eight distinct encodings, each of small order', () => {
    expect(new Set(points.map((p) => Buffer.from(p).toString('hex'))).size).toBe(8);
    for (const p of points) expect(ed.Point.fromBytes(p, false).isSmallOrder()).toBe(true);
  });
  test('matches every small-order point with either sign bit', () => {
    for (const p of points) {
      expect(isSmallOrderEncoding(p)).toBe(true);
      expect(isSmallOrderEncoding(withSignBit(p))).toBe(true);
    }
  });
  test('matches the non-canonical encodings y = p and y = p + 1 of small-order points', () => {
    expect(isSmallOrderEncoding(le32(P))).toBe(true);
    expect(isSmallOrderEncoding(le32(P + 1n))).toBe(true);
  });
  test('does not match the base point or random public keys', () => {
    expect(isSmallOrderEncoding(ed.Point.BASE.toBytes())).toBe(false);
    const rand = seededBytes(7);
    for (let i = 0; i < 50; i++) expect(isSmallOrderEncoding(createNobleSigner(rand(32)).publicKey)).toBe(false);
  });
  test('does not match a point one byte away from a table entry', () => {
    for (const p of points) {
      const q = p.slice();
      q[15]! ^= 1;
      expect(isSmallOrderEncoding(q)).toBe(false);
    }
  });
  test('reads at an offset (R inside a signature)', () => {
    const sig = new Uint8Array(64);
    sig.set(points[3]!, 0);
    expect(isSmallOrderEncoding(sig, 0)).toBe(true);
    expect(isSmallOrderEncoding(sig, 32)).toBe(true); // all-zero S half: y = 0, of order 4
  });
});

describe('canonical point encodings (y < p)', () => {
  test('agrees with big-integer arithmetic around p and at random', () => {
    const rand = seededBytes(11);
    const samples: bigint[] = [0n, 1n, P - 2n, P - 1n, P, P + 1n, P + 18n, 2n ** 255n - 1n];
    for (let i = 0; i < 200; i++) samples.push(BigInt('0x' + Buffer.from(rand(32)).toString('hex')) % 2n ** 255n);
    for (let t = 0n; t < 39n; t++) samples.push(P - 20n + t); // up to 2^255 - 1, the largest 255-bit y
    for (const y of samples) {
      const enc = le32(y);
      expect(isCanonicalPointEncoding(enc)).toBe(y < P);
      expect(isCanonicalPointEncoding(withSignBit(enc))).toBe(y < P); // the sign bit is not part of y
    }
  });
});

describe('canonical scalars (S < L)', () => {
  test('accepts 0 and L - 1, rejects L, L + 1 and 2^256 - 1', () => {
    expect(isCanonicalScalar(le32(0n))).toBe(true);
    expect(isCanonicalScalar(le32(L - 1n))).toBe(true);
    expect(isCanonicalScalar(le32(L))).toBe(false);
    expect(isCanonicalScalar(le32(L + 1n))).toBe(false);
    expect(isCanonicalScalar(new Uint8Array(32).fill(0xff))).toBe(false);
  });
  test('agrees with big-integer arithmetic on values near L and at random', () => {
    const rand = seededBytes(13);
    const samples: bigint[] = [];
    for (let t = -300n; t < 300n; t++) samples.push(L + t);
    for (let i = 0; i < 300; i++) samples.push(BigInt('0x' + Buffer.from(rand(32)).toString('hex')) >> BigInt(i % 6));
    for (const s of samples) expect(isCanonicalScalar(le32(s))).toBe(s < L);
  });
});

describe('strictPrecheck', () => {
  const signer = createNobleSigner(new Uint8Array(32).fill(1));
  const good = signer.publicKey;
  const msg = new Uint8Array([1, 2, 3]);
  const sig = signer.sign(msg);
  test('passes a well-formed signature', () => {
    expect(strictPrecheck(good, msg, sig)).toBeUndefined();
  });
  test('names wrong lengths', () => {
    expect(strictPrecheck(good.subarray(0, 31), msg, sig)).toBe('public-key-length');
    expect(strictPrecheck(good, msg, sig.subarray(0, 63))).toBe('signature-length');
    expect(strictPrecheck(good, msg, new Uint8Array(65))).toBe('signature-length');
  });
  test('names values that are not bytes', () => {
    expect(strictPrecheck('00'.repeat(32), msg, sig)).toBe('not-bytes');
    expect(strictPrecheck(good, 'abc', sig)).toBe('not-bytes');
    expect(strictPrecheck(good, msg, null)).toBe('not-bytes');
    expect(strictPrecheck(undefined, undefined, undefined)).toBe('not-bytes');
  });
  test('names S >= L (the malleable twin S + L)', () => {
    const s = BigInt('0x' + Buffer.from(sig.slice(32)).reverse().toString('hex'));
    const twin = sig.slice();
    twin.set(le32(s + L), 32);
    expect(strictPrecheck(good, msg, twin)).toBe('s-out-of-range');
  });
  test('names a non-canonical or small-order public key', () => {
    expect(strictPrecheck(le32(P + 5n), msg, sig)).toBe('public-key-non-canonical');
    expect(strictPrecheck(le32(1n), msg, sig)).toBe('public-key-small-order');
  });
  test('names a non-canonical or small-order R', () => {
    const r1 = sig.slice();
    r1.set(le32(P + 5n), 0);
    expect(strictPrecheck(good, msg, r1)).toBe('r-non-canonical');
    const r2 = sig.slice();
    r2.set(le32(1n), 0);
    expect(strictPrecheck(good, msg, r2)).toBe('r-small-order');
  });
});
