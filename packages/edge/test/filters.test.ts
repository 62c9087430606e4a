import { describe, expect, test } from '@jest/globals';
import { deadbandFilter, emaFilter, hampelFilter, medianFilter, movingAverageFilter, type Filter } from '@meterchain/edge';

function through<S>(f: Filter<S>, xs: number[]): number[] {
  return xs.map((x) => f.step(f.state, x));
}

describe('median filter', () => {
  test('removes an isolated spike', () => {
    expect(through(medianFilter(3), [230, 230.2, 300, 230.1, 230])[3]).toBe(230.2);
  });
  test('keeps a step once the window has moved onto it', () => {
    expect(through(medianFilter(3), [230, 230, 240, 240, 240]).slice(3)).toEqual([240, 240]);
  });
  test('passes a missing value through without entering it into the window', () => {
    expect(through(medianFilter(3), [1, NaN, 3, 5])).toEqual([1, NaN, 2, 3]);
  });
  test('rejects a window that is not a whole number from 1 to 255', () => {
    expect(() => medianFilter(0)).toThrow(/median: window must be a whole number 1..255, got 0/);
  });
});

describe('Hampel filter', () => {
  test('replaces a value many robust deviations from the window median by that median', () => {
    const out = through(hampelFilter(5, 3, 0), [230, 230.4, 229.8, 230.2, 260]);
    expect(out[4]).toBe(230.2);
  });
  test('keeps values within k robust deviations', () => {
    const xs = [230, 230.4, 229.8, 230.2, 230.3];
    expect(through(hampelFilter(5, 3, 0), xs)).toEqual(xs);
  });
  test('min_deviation keeps it from acting on a flat signal', () => {
    expect(through(hampelFilter(5, 3, 0.5), [10, 10, 10, 10, 10.2])[4]).toBe(10.2);
    expect(through(hampelFilter(5, 3, 0), [10, 10, 10, 10, 10.2])[4]).toBe(10);
  });
});

describe('averaging filters', () => {
  test('EMA starts at the first value and moves alpha of the way', () => {
    expect(through(emaFilter(0.5), [10, 20, 20])).toEqual([10, 15, 17.5]);
  });
  test('moving average is the mean of the last n values', () => {
    expect(through(movingAverageFilter(3), [3, 6, 9, 12])).toEqual([3, 4.5, 6, 9]);
  });
  test('EMA rejects alpha outside (0, 1]', () => {
    expect(() => emaFilter(1.5)).toThrow(/alpha must be in \(0, 1\], got 1.5/);
  });
});

describe('deadband filter', () => {
  test('holds the reported value until the input leaves the band', () => {
    expect(through(deadbandFilter(1), [230, 230.5, 230.9, 231.2, 231.5])).toEqual([230, 230, 230, 231.2, 231.2]);
  });
});
