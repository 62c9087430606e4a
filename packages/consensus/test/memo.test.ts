import { describe, expect, test } from '@jest/globals';
import { BoundedMemo } from '../src/memo.ts';

describe('BoundedMemo', () => {
  test('keeps what was set until two generations have filled after it, then forgets it', () => {
    const m = new BoundedMemo<number>(3);
    for (let i = 0; i < 3; i++) m.set(`k${i}`, i);
    for (let i = 0; i < 3; i++) expect(m.get(`k${i}`)).toBe(i);
    // The fourth entry starts a new generation: the first three are still there (older generation).
    m.set('k3', 3);
    expect([m.get('k0'), m.get('k2'), m.get('k3')]).toEqual([0, 2, 3]);
    m.set('k4', 4);
    m.set('k5', 5);
    // The seventh starts another: k0..k2 are dropped, k3..k5 kept.
    m.set('k6', 6);
    expect([m.get('k0'), m.get('k1'), m.get('k2')]).toEqual([undefined, undefined, undefined]);
    expect([m.get('k3'), m.get('k5'), m.get('k6')]).toEqual([3, 5, 6]);
  });

  test('a key set again in the current generation reads its newest value', () => {
    const m = new BoundedMemo<string>(2);
    m.set('a', 'old');
    m.set('b', 'x');
    m.set('a', 'new');
    expect(m.get('a')).toBe('new');
    expect(m.get('missing')).toBeUndefined();
  });
});
