// Reconnect delays: exponential, capped, jittered by an injected random number.
import { describe, expect, test } from '@jest/globals';
import { DEFAULT_BACKOFF, reconnectDelay } from '../src/index.ts';

const policy = { initialMs: 100, maxMs: 2000, factor: 2 };

describe('reconnectDelay', () => {
  test('doubles per attempt, between half and all of the un-jittered delay', () => {
    expect([0, 1, 2, 3].map((a) => reconnectDelay(a, policy, 0))).toEqual([50, 100, 200, 400]);
    expect([0, 1, 2, 3].map((a) => reconnectDelay(a, policy, 0.999999))).toEqual([99, 199, 399, 799]);
  });

  test('is capped at maxMs however many attempts failed', () => {
    expect(reconnectDelay(10, policy, 0)).toBe(1000);
    expect(reconnectDelay(5000, policy, 0.5)).toBe(1500);
  });

  test('the same random number gives the same delay; different ones spread the delays', () => {
    expect(reconnectDelay(3, policy, 0.25)).toBe(reconnectDelay(3, policy, 0.25));
    const delays = new Set([0, 0.2, 0.4, 0.6, 0.8].map((r) => reconnectDelay(3, policy, r)));
    expect(delays.size).toBe(5);
  });

  test('defaults start at 100 ms and stop growing at 10 s', () => {
    expect(DEFAULT_BACKOFF).toEqual({ initialMs: 100, maxMs: 10_000, factor: 2 });
  });

  test('a random number outside [0, 1) or a negative attempt is a programmer mistake', () => {
    expect(() => reconnectDelay(0, policy, 1)).toThrow(/\[0, 1\)/);
    expect(() => reconnectDelay(-1, policy, 0)).toThrow(/attempt/);
  });
});
