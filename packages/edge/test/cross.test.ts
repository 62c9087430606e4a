import { describe, expect, test } from '@jest/globals';
import { xorshift32 } from '@meterchain/core';
import { feederBalance, redundantAgree, redundantOutliers } from '@meterchain/edge';

const classOne = { abs: 1, rel: 0.02 };

describe('redundant sensors', () => {
  test('two readings within tolerance agree', () => {
    expect(redundantAgree(1000, 1015, classOne)).toEqual({ ok: true, reason: 'agree', difference: 15, allowed: 21.3 });
  });
  test('two readings beyond tolerance disagree', () => {
    const v = redundantAgree(1000, 1100, classOne);
    expect(v.ok).toBe(false);
    expect(v.reason).toBe('disagree');
  });
  test('a missing reading is a verdict, not an exception', () => {
    expect(redundantAgree(NaN, 1000, classOne)).toMatchObject({ ok: false, reason: 'missing' });
    expect(redundantAgree('1000' as unknown as number, 1000, classOne)).toMatchObject({ ok: false, reason: 'missing' });
  });
  test('a malformed tolerance is a verdict', () => {
    expect(redundantAgree(1, 1, { abs: -1, rel: 0 })).toMatchObject({ ok: false, reason: 'bad-tolerance' });
  });
  test('of three sensors the one off the median is the outlier', () => {
    expect(redundantOutliers([230.1, 230.3, 251], { abs: 0.5, rel: 0.005 })).toEqual([2]);
  });
  test('missing values are outliers', () => {
    expect(redundantOutliers([230.1, NaN, 230.2, 230.0], { abs: 0.5, rel: 0 })).toEqual([1]);
  });
  test('seeded property: a sensor displaced by more than twice the tolerance is always the one found', () => {
    const rand = xorshift32(11);
    for (let i = 0; i < 500; i++) {
      const truth = 100 + 1000 * rand();
      const values = [truth, truth * (1 + 0.004 * (rand() - 0.5)), truth * (1 + 0.004 * (rand() - 0.5))];
      const bad = Math.floor(rand() * 3);
      values[bad] = truth * (1 + (rand() < 0.5 ? -1 : 1) * (0.05 + 0.5 * rand()));
      expect(redundantOutliers(values, { abs: 0.1, rel: 0.01 })).toEqual([bad]);
    }
  });
});

describe('feeder balance', () => {
  const losses = { maxRel: 0.08, accuracyRel: 0.02, abs: 10 };
  test('children summing to the head minus ordinary losses balance', () => {
    expect(feederBalance(10_000, [3000, 3000, 3500], losses)).toMatchObject({ ok: true, reason: 'balanced', difference: 500 });
  });
  test('children exceeding the head beyond accuracy is energy from nowhere', () => {
    expect(feederBalance(10_000, [4000, 4000, 2500], losses)).toMatchObject({ ok: false, reason: 'children-exceed-head' });
  });
  test('more missing than the feeder can lose is flagged', () => {
    expect(feederBalance(10_000, [3000, 3000, 2000], losses)).toMatchObject({ ok: false, reason: 'losses-too-high' });
  });
  test('a missing child gives a verdict, not an exception', () => {
    expect(feederBalance(10_000, [3000, NaN], losses)).toMatchObject({ ok: false, reason: 'missing' });
    expect(feederBalance(10_000, [], losses)).toMatchObject({ ok: false, reason: 'missing' });
  });
});
