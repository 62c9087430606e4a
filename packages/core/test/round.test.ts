import { describe, expect, test } from '@jest/globals';
import { roundHalfAway } from '../src/index.ts';

describe('roundHalfAway: halves away from zero, exactly, the same on every runtime', () => {
  test.each([
    [-12.5, -13],
    [12.5, 13],
    [-2.5, -3],
    [2.5, 3],
    [-0.5, -1],
    [0.5, 1],
    [-1.4999999999999998, -1],
    [1.6, 2],
  ])('%p -> %p', (x, expected) => {
    expect(roundHalfAway(x)).toBe(expected);
  });

  test('0.49999999999999994 is below a half: 0 (Espruino\'s Math.round adds 0.5 and gets 1)', () => {
    expect(roundHalfAway(0.49999999999999994)).toBe(0);
    expect(roundHalfAway(-0.49999999999999994)).toBe(0);
  });

  test('integers past 2^52 stay as they are (x + 0.5 would round to even)', () => {
    expect(roundHalfAway(4503599627370497)).toBe(4503599627370497);
    expect(roundHalfAway(-4503599627370497)).toBe(-4503599627370497);
  });

  test('a result of zero is +0, never -0', () => {
    expect(Object.is(roundHalfAway(-0.4), 0)).toBe(true);
    expect(Object.is(roundHalfAway(-0), 0)).toBe(true);
  });

  test('NaN and infinities pass through', () => {
    expect(roundHalfAway(NaN)).toBeNaN();
    expect(roundHalfAway(-Infinity)).toBe(-Infinity);
  });
});
