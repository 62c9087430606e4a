import { describe, expect, test } from '@jest/globals';
import { toFixed } from '../src/index.ts';

describe('toFixed: a quantity to a fixed-point integer the same way on Node and Espruino', () => {
  test('a negative half goes away from zero, as a positive one does (-12.5 at scale 0 is -13)', () => {
    expect(toFixed(-12.5, 0)).toBe(-13);
    expect(toFixed(12.5, 0)).toBe(13);
    expect(toFixed(-12.25, -1)).toBe(-123);
    expect(toFixed(-0.125, -2)).toBe(-13);
  });

  test('zero comes out as +0', () => {
    expect(Object.is(toFixed(-0.0004, -3), 0)).toBe(true);
  });

  test('no value for NaN and infinities', () => {
    expect(toFixed(NaN, -1)).toBeNull();
    expect(toFixed(Infinity, -1)).toBeNull();
  });
});
