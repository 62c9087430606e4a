import { describe, expect, test } from '@jest/globals';
import { mul32, mulberry32, xorshift32 } from '../src/index.ts';

/** mulberry32 as published, on Math.imul: the reference the portable version must match. */
function referenceMulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('mul32', () => {
  test('gives Math.imul on the edges of the 32-bit range', () => {
    const edges = [0, 1, -1, 2, 0xffff, 0x10000, 0x7fffffff, -0x80000000, 0x80000000, 0xffffffff, 0x6d2b79f5, 0x9e3779b9];
    for (const a of edges) for (const b of edges) expect([a, b, mul32(a, b)]).toEqual([a, b, Math.imul(a, b)]);
  });

  test('gives Math.imul on 100,000 pairs of the signed and unsigned values the generators pass', () => {
    const next = referenceMulberry32(7);
    for (let i = 0; i < 100_000; i++) {
      const a = (next() * 4294967296) | (i & 1 ? 0 : 0x80000000);
      const b = (next() * 4294967296) >>> 0;
      if (mul32(a, b) !== Math.imul(a, b)) throw new Error(`mul32(${a}, ${b}) = ${mul32(a, b)}, Math.imul ${Math.imul(a, b)}`);
    }
  });
});

describe('mulberry32', () => {
  test('follows the published generator for the first 10,000 values of several seeds', () => {
    for (const seed of [0, 1, 42, 0x9e3779b9, 0xffffffff, -5]) {
      const ours = mulberry32(seed);
      const reference = referenceMulberry32(seed);
      for (let i = 0; i < 10_000; i++) {
        const [a, b] = [ours(), reference()];
        if (a !== b) throw new Error(`seed ${seed}, value ${i}: ${a}, published ${b}`);
      }
    }
  });

  test('gives the known first value of seed 1', () => {
    expect(mulberry32(1)()).toBe(0.6270739405881613);
  });
});

describe('xorshift32', () => {
  test('gives Marsaglia’s sequence: 270369 then 67634689 from seed 1', () => {
    const next = xorshift32(1);
    expect(next() * 4294967296).toBe(270369);
    expect(next() * 4294967296).toBe(67634689);
  });

  test('replaces seed 0, which would stay 0 forever', () => {
    expect(xorshift32(0)()).toBe(xorshift32(0x9e3779b9)());
    expect(xorshift32(0)()).not.toBe(0);
  });

  test('stays in [0, 1)', () => {
    const next = xorshift32(123);
    for (let i = 0; i < 10_000; i++) {
      const v = next();
      if (!(v >= 0 && v < 1)) throw new Error(`value ${i} is ${v}`);
    }
  });
});
