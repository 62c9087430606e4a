// Continuity of time: gaps, duplicates and time going backwards, in timestamps and in sequence numbers, with the
// clock status honoured (an unsynced clock's timestamps are not judged; its sequence numbers still are).
import { QualityFlag, roundHalfAway } from '@meterchain/core';
import { finding, num, type Check, type Finding, type Sample } from '../types.ts';

export interface TimeConfig {
  /** Expected interval between samples in ms; 0 learns it from the stream (three equal intervals in a row). */
  intervalMs: number;
  /** A step longer than gapFactor × interval is a gap (1.5: one missing sample is caught, jitter is not). */
  gapFactor: number;
  /** Sequence numbers wrap at this value (e.g. 2^32); 0 when they never wrap. */
  seqModulo: number;
}

// Slots of the state array.
const LAST_T = 0; // latest timestamp accepted (the maximum seen while the clock was synced)
const LAST_SEQ = 1; // latest sequence number, -1 before the first
const INTERVAL = 2; // the interval in use (configured or learned), 0 while unknown
const CANDIDATE = 3; // interval being learned
const CONFIRMED = 4; // how many times in a row the candidate was seen
const STARTED = 5; // 1 after the first synced timestamp
const PREV_CLOCK = 6; // clock status of the previous sample
const BAD_SINCE = 7; // backwards samples since LAST_T: they occupied slots, so the next step is not a gap for them
const LEARN = 8; // 1 when the interval is learned
const GAP_FACTOR = 9;
const SEQ_MODULO = 10;
const SIZE = 11;

/** State of the time check: one Float64Array (timestamps need 53 bits). */
export type TimeState = Float64Array;

const CLOCK_TEXT = ['synced', 'unsynced', 'invalid'];

function learn(s: TimeState, dt: number): void {
  // A candidate interval becomes the interval after three equal steps in a row (1% jitter allowed); a shorter one
  // replaces a learned one the same way, so a stream that starts after a gap still learns its true rate.
  const c = s[CANDIDATE]!;
  if (c > 0 && Math.abs(dt - c) <= c * 0.01) s[CONFIRMED] = s[CONFIRMED]! + 1;
  else {
    s[CANDIDATE] = dt;
    s[CONFIRMED] = 1;
  }
  if (s[CONFIRMED]! >= 3 && (s[INTERVAL] === 0 || s[CANDIDATE]! < s[INTERVAL]!)) s[INTERVAL] = s[CANDIDATE]!;
}

function judgeTimestamp(s: TimeState, t: number, out: Finding[]): number {
  // Returns the flag raised (0 if none) so the sequence check does not repeat it.
  const dt = t - s[LAST_T]!;
  if (dt < 0) {
    s[BAD_SINCE] = s[BAD_SINCE]! + 1;
    out.push(finding('time-backwards', 'timestamp', 'error', '*', QualityFlag.TIME_BACKWARDS, t, s[LAST_T]!, `timestamp ${num(-dt)} ms before the previous one`, 0));
    return QualityFlag.TIME_BACKWARDS;
  }
  if (dt === 0) {
    out.push(finding('duplicate', 'timestamp', 'warning', '*', QualityFlag.DUPLICATE, t, s[LAST_T]!, 'same timestamp as the previous sample', 0));
    return QualityFlag.DUPLICATE;
  }
  const interval = s[INTERVAL]!;
  let raised = 0;
  if (interval > 0 && dt > s[GAP_FACTOR]! * interval) {
    const missing = roundHalfAway(dt / interval) - 1 - s[BAD_SINCE]!;
    if (missing >= 1) {
      const what = missing === 1 ? '1 sample' : `${missing} samples`;
      out.push(finding('gap', 'timestamp', 'warning', '*', QualityFlag.GAP, dt, interval, `${what} missing before this one (step ${num(dt)} ms, interval ${num(interval)} ms)`, 0));
      raised = QualityFlag.GAP;
    }
  }
  if (s[LEARN] === 1) learn(s, dt);
  s[LAST_T] = t;
  s[BAD_SINCE] = 0;
  return raised;
}

function judgeSequence(s: TimeState, seq: number, raised: number, out: Finding[]): void {
  const last = s[LAST_SEQ]!;
  s[LAST_SEQ] = seq;
  if (last < 0) return;
  const m = s[SEQ_MODULO]!;
  let d = seq - last;
  if (m > 0) {
    // Modular distance: a step from m-1 to 0 is +1 (rollover recognised), a step back is negative.
    d = (((d % m) + m) % m);
    if (d > m / 2) d -= m;
  }
  if (d === 1) return;
  if (d === 0) {
    if (raised !== QualityFlag.DUPLICATE) out.push(finding('duplicate', 'seq', 'warning', '*', QualityFlag.DUPLICATE, seq, last, `sequence number ${seq} repeated`, 0));
  } else if (d < 0) {
    s[LAST_SEQ] = last; // keep judging against the highest number seen
    if (raised !== QualityFlag.TIME_BACKWARDS) out.push(finding('time-backwards', 'seq', 'error', '*', QualityFlag.TIME_BACKWARDS, seq, last, `sequence number ${seq} after ${last}`, 0));
  } else if (raised !== QualityFlag.GAP) {
    const missing = d - 1;
    out.push(finding('gap', 'seq', 'warning', '*', QualityFlag.GAP, seq, last, `${missing} sequence number${missing === 1 ? '' : 's'} missing before ${seq}`, 0));
  }
}

function timeStep(s: TimeState, sample: Sample, out: Finding[]): TimeState {
  const clock = sample.clock;
  let raised = 0;
  if (clock !== 0) {
    out.push(finding('clock-unsynced', CLOCK_TEXT[clock] ?? 'unknown', 'warning', '*', QualityFlag.CLOCK_UNSYNCED, clock, 0, `clock ${CLOCK_TEXT[clock] ?? 'status ' + clock}: timestamp not judged`, 0));
  } else if (s[STARTED] === 0 || s[PREV_CLOCK] !== 0) {
    // First synced timestamp, or the first after the clock was re-synchronised: a step here is the correction.
    s[LAST_T] = sample.t;
    s[STARTED] = 1;
    s[BAD_SINCE] = 0;
  } else raised = judgeTimestamp(s, sample.t, out);
  s[PREV_CLOCK] = clock;
  if (sample.seq >= 0) judgeSequence(s, sample.seq, raised, out);
  return s;
}

/** Timestamp and sequence continuity. */
export function timeCheck(config: TimeConfig): Check<TimeState> {
  const s = new Float64Array(SIZE);
  s[LAST_SEQ] = -1;
  s[INTERVAL] = config.intervalMs;
  s[LEARN] = config.intervalMs > 0 ? 0 : 1;
  s[GAP_FACTOR] = config.gapFactor;
  s[SEQ_MODULO] = config.seqModulo;
  return { name: 'time', lag: 0, state: s, step: timeStep };
}
