// The shapes every edge step shares: a sample in, findings out. Steps are deterministic functions of their state and
// the sample; time comes in the sample, never from a clock.
import { roundHalfAway } from '@meterchain/core';

/** One timestamped frame of all of a device's channels, as the acquisition hands it to the edge. */
export interface Sample {
  /** Milliseconds since the Unix epoch (integer), as stamped by the meter's clock. */
  t: number;
  /** The meter's sequence number, or -1 when the device has none. */
  seq: number;
  /** ClockStatus of the stamping clock (0 synced, 1 unsynced, 2 invalid); 0 when the device does not say. */
  clock: number;
  /** One value per pipeline channel, in the pipeline's channel order, in SI units (V, A, W, var, VA, Hz, Hz/s, Wh).
   * NaN marks a missing value. */
  values: Float64Array;
}

export type Severity = 'info' | 'warning' | 'error';

/** What a check saw, machine-readable. `check` and `code` are stable names (docs/quality-flags.md lists them). */
export interface Finding {
  /** The check that raised it: `gap`, `limits`, `physics`, ... One check name maps to one quality flag. */
  check: string;
  /** Which rule inside the check, e.g. `above`, `s-exceeds-vi`, `seq-gap`. */
  code: string;
  severity: Severity;
  /** The channel judged (for cross-channel checks, the channel the rule is about); `*` for the whole sample. */
  channel: string;
  /** The QualityFlag bit this finding sets. */
  flag: number;
  /** The value judged and the bound it broke (NaN when not applicable). */
  value: number;
  bound: number;
  /** One human-readable line. */
  detail: string;
  /** 0 when the finding is about the sample just stepped, 1 when about the sample before (checks that need the next
   * sample to judge one, such as isolated spikes). */
  lag: number;
}

/** A check: `step(state, sample, out)` judges `sample` against `state`, pushes findings onto `out` and returns the
 * next state. The state lives in typed arrays and is updated in place, so a step allocates nothing unless it finds
 * something (Espruino's memory is small; Node's target is 10^6 samples/s). Same state and sample, same findings. */
export interface Check<S> {
  /** The check's name (also the `check` of its findings). */
  name: string;
  /** How many samples after the judged one this check reports (0 or 1). */
  lag: number;
  state: S;
  step(state: S, sample: Sample, out: Finding[]): S;
}

/** A noise filter on one channel: `step(state, x)` returns the filtered value and updates `state` in place. NaN in
 * (a missing value) gives NaN out and leaves the state as it was. */
export interface Filter<S> {
  name: string;
  state: S;
  step(state: S, x: number): number;
}

/** Makes a finding. Kept in one place so every finding has every field. */
export function finding(
  check: string,
  code: string,
  severity: Severity,
  channel: string,
  flag: number,
  value: number,
  bound: number,
  detail: string,
  lag: number,
): Finding {
  return { check, code, severity, channel, flag, value, bound, detail, lag };
}

/** An Error with a `code`, the portable way (no subclasses of Error). */
export function edgeError(code: string, message: string): Error {
  const e = new Error(message) as Error & { code: string };
  e.code = code;
  return e;
}

/** Short text of a number for finding details: three decimals at most (no toExponential: Espruino lacks it). */
export function num(x: number): string {
  if (x !== x) return 'NaN';
  const a = Math.abs(x);
  if (a >= 1e6) return String(roundHalfAway(x));
  if (a > 0 && a < 1e-3) return String(x);
  return String(roundHalfAway(x * 1000) / 1000);
}

/** Copies of typed arrays. Not `slice()`: on Espruino a typed array's slice() returns a plain Array. */
export function copyFloat64(a: Float64Array): Float64Array {
  const b = new Float64Array(a.length);
  b.set(a);
  return b;
}

export function copyInt32(a: Int32Array): Int32Array {
  const b = new Int32Array(a.length);
  b.set(a);
  return b;
}

export function copyUint8(a: Uint8Array): Uint8Array {
  const b = new Uint8Array(a.length);
  b.set(a);
  return b;
}
