// Receiver-side sequence tracking: in order, gaps, late arrivals, duplicates, incarnations.
import { describe, expect, test } from '@jest/globals';
import { SequenceTracker } from '../src/index.ts';

describe('SequenceTracker', () => {
  test('the first frame of a stream is delivered with nothing missed, whatever its number', () => {
    expect(new SequenceTracker().observe('s', 1, 57)).toEqual({ deliver: true, missed: 0, late: false, restarted: false });
  });

  test('consecutive numbers are delivered in order with nothing missed', () => {
    const t = new SequenceTracker();
    expect([1, 2, 3].map((n) => t.observe('s', 1, n))).toEqual([1, 2, 3].map(() => ({ deliver: true, missed: 0, late: false, restarted: false })));
  });

  test('a jump reports how many numbers were skipped', () => {
    const t = new SequenceTracker();
    t.observe('s', 1, 1);
    expect(t.observe('s', 1, 5)).toEqual({ deliver: true, missed: 3, late: false, restarted: false });
  });

  test('a number seen before is a duplicate', () => {
    const t = new SequenceTracker();
    t.observe('s', 1, 1);
    t.observe('s', 1, 2);
    expect(t.observe('s', 1, 1)).toEqual({ deliver: false, reason: 'duplicate' });
    expect(t.observe('s', 1, 2)).toEqual({ deliver: false, reason: 'duplicate' });
  });

  test('a number inside a reported gap is delivered once as late, then is a duplicate', () => {
    const t = new SequenceTracker();
    t.observe('s', 1, 1);
    t.observe('s', 1, 6);
    expect(t.observe('s', 1, 3)).toEqual({ deliver: true, missed: 0, late: true, restarted: false });
    expect(t.observe('s', 1, 3)).toEqual({ deliver: false, reason: 'duplicate' });
    expect(t.observe('s', 1, 2)).toMatchObject({ deliver: true, late: true });
    expect(t.observe('s', 1, 5)).toMatchObject({ deliver: true, late: true });
    expect(t.observe('s', 1, 4)).toMatchObject({ deliver: true, late: true });
  });

  test('a newer incarnation restarts at 1: numbers below the first one seen count as missed', () => {
    const t = new SequenceTracker();
    t.observe('s', 1, 40);
    expect(t.observe('s', 2, 1)).toEqual({ deliver: true, missed: 0, late: false, restarted: true });
    const u = new SequenceTracker();
    u.observe('s', 1, 40);
    expect(u.observe('s', 2, 3)).toEqual({ deliver: true, missed: 2, late: false, restarted: true });
  });

  test('frames of an older incarnation are dropped as stale', () => {
    const t = new SequenceTracker();
    t.observe('s', 2, 1);
    expect(t.observe('s', 1, 99)).toEqual({ deliver: false, reason: 'stale-incarnation' });
  });

  test('streams are independent', () => {
    const t = new SequenceTracker();
    t.observe('a', 1, 1);
    expect(t.observe('b', 1, 1)).toMatchObject({ deliver: true, missed: 0 });
    expect(t.streamCount).toBe(2);
  });

  test('only the newest maxGaps gaps are remembered: an older late frame then counts as a duplicate', () => {
    const t = new SequenceTracker({ maxGaps: 2 });
    for (const n of [1, 3, 5, 7]) t.observe('s', 1, n); // gaps at 2, 4, 6
    expect(t.observe('s', 1, 2)).toEqual({ deliver: false, reason: 'duplicate' });
    expect(t.observe('s', 1, 4)).toMatchObject({ deliver: true, late: true });
    expect(t.observe('s', 1, 6)).toMatchObject({ deliver: true, late: true });
  });

  test('forget() makes the next frame of the stream a first frame again', () => {
    const t = new SequenceTracker();
    t.observe('s', 1, 10);
    t.forget('s');
    expect(t.observe('s', 1, 3)).toEqual({ deliver: true, missed: 0, late: false, restarted: false });
  });
});
