import { describe, expect, test } from '@jest/globals';
import { compareQuantities, fixedToDecimal, fixedToPlaces, fromFixed, rescale, toFixed } from '../src/index.ts';

describe('toFixed: a quantity to a fixed-point integer the same way on Node and Espruino', () => {
  test('a negative half goes away from zero, as a positive one does (-12.5 at scale 0 is -13)', () => {
    expect(toFixed(-12.5, 0)).toBe(-13);
    expect(toFixed(12.5, 0)).toBe(13);
    expect(toFixed(-12.25, -1)).toBe(-123);
    expect(toFixed(-0.125, -2)).toBe(-13);
  });

  test('a positive scale divides: 12,345 W at scale 3 is 12 (kW)', () => {
    expect(toFixed(12345, 3)).toBe(12);
  });

  test('zero comes out as +0', () => {
    expect(Object.is(toFixed(-0.0004, -3), 0)).toBe(true);
  });

  test('no value for NaN, infinities and results beyond 2^53', () => {
    expect(toFixed(NaN, -1)).toBeNull();
    expect(toFixed(Infinity, -1)).toBeNull();
    expect(toFixed(1e16, -1)).toBeNull();
  });

  test('a scale outside -12..12 is a caller mistake', () => {
    expect(() => toFixed(1, -13)).toThrow('expected a scale between -12 and 12, got 13');
  });
});

describe('fromFixed', () => {
  test.each([
    [2301, -1, 230.1],
    [12, 3, 12000],
    [-5, -3, -0.005],
  ])('%d × 10^%d is %d', (value, scale, quantity) => {
    expect(fromFixed(value, scale)).toBe(quantity);
  });
});

describe('fixedToDecimal: exact text, trailing zeros dropped', () => {
  test.each([
    [2301, -1, '230.1'],
    [5, -3, '0.005'],
    [-5, -3, '-0.005'],
    [2300, -1, '230'],
    [12, 3, '12000'],
    [0, -2, '0'],
    [0, 4, '0'],
    [-120, -2, '-1.2'],
  ])('%d × 10^%d is %s', (value, scale, text) => {
    expect(fixedToDecimal(value, scale)).toBe(text);
  });
});

describe('fixedToPlaces: exact text with every place of the scale, as a meter shows it', () => {
  test.each([
    [23005, -2, '230.05'],
    [23010, -2, '230.10'],
    [5, -3, '0.005'],
    [-5, -3, '-0.005'],
    [12, 3, '12000'],
  ])('%d × 10^%d is %s', (value, scale, text) => {
    expect(fixedToPlaces(value, scale)).toBe(text);
  });
});

describe('rescale: a value at another scale, exactly', () => {
  test.each([
    [12345, -3, 0, 12],
    [-12345, -3, 0, -12],
    [12, 3, 0, 12000],
    [2301, -1, -3, 230100],
    [5, -1, 0, 0],
  ])('%d × 10^%d at scale %d is %d (truncated toward zero)', (value, scale, target, out) => {
    expect(Object.is(rescale(value, scale, target), out)).toBe(true);
  });

  test('a result beyond the safe integers is undefined', () => {
    expect(rescale(9007199254740991, 0, -1)).toBeUndefined();
  });
});

describe('compareQuantities: the sign of a difference of two fixed-point values', () => {
  test.each([
    [2301, -1, 230, 0, 1],
    [2300, -1, 230, 0, 0],
    [22999, -2, 230, 0, -1],
    [1, 3, 999, 0, 1],
  ])('%d × 10^%d against %d × 10^%d is %d', (a, as, b, bs, sign) => {
    expect(compareQuantities(a, as, b, bs)).toBe(sign);
  });
});
