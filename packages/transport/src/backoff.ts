// Reconnect delays: exponential backoff with "equal jitter" (half fixed, half random), so a cluster of meters that
// lost its broker at the same instant does not come back in lockstep. Pure: the random number is an argument.

export interface BackoffPolicy {
  /** Delay before the first retry, in ms (default 100). */
  initialMs: number;
  /** Upper bound of the un-jittered delay, in ms (default 10,000). */
  maxMs: number;
  /** Growth factor per failed attempt (default 2). */
  factor: number;
}

export const DEFAULT_BACKOFF: BackoffPolicy = { initialMs: 100, maxMs: 10_000, factor: 2 };

export function checkBackoffPolicy(policy: BackoffPolicy): void {
  const { initialMs, maxMs, factor } = policy;
  if (!(Number.isFinite(initialMs) && initialMs > 0)) throw new RangeError(`backoff: expected initialMs > 0, got ${initialMs}`);
  if (!(Number.isFinite(maxMs) && maxMs >= initialMs)) throw new RangeError(`backoff: expected maxMs >= initialMs (${initialMs}), got ${maxMs}`);
  if (!(Number.isFinite(factor) && factor >= 1)) throw new RangeError(`backoff: expected factor >= 1, got ${factor}`);
}

/**
 * The delay before reconnect attempt `attempt` (0 for the first retry after a loss), in whole ms.
 * `random01` is a number in [0, 1) supplied by the caller. The result lies in [d/2, d) for d = min(maxMs,
 * initialMs * factor^attempt).
 */
export function reconnectDelay(attempt: number, policy: BackoffPolicy, random01: number): number {
  if (!Number.isInteger(attempt) || attempt < 0) throw new RangeError(`backoff: expected attempt >= 0, got ${attempt}`);
  if (!(random01 >= 0 && random01 < 1)) throw new RangeError(`backoff: expected a random number in [0, 1), got ${random01}`);
  // Math.pow overflows to Infinity for large attempts, which min() then caps.
  const ceiling = Math.min(policy.maxMs, policy.initialMs * Math.pow(policy.factor, attempt));
  return Math.floor(ceiling / 2 + (ceiling / 2) * random01);
}
