// Judging a submission: the checks every member runs before its vote. Signature, membership, round and the
// timestamp window are checked on arrival (node.ts); these run at vote time: sequence and replay, the meter's clock,
// the edge's quality flags, physical limits, energy registers, and cross-meter checks over the whole round.
import { ClockStatus, QualityFlag, compareQuantities, type Reading } from '@meterchain/core';
import { Reason } from './codes.ts';
import type { Submission } from './submission.ts';

/** What a judge remembers of a member: the last sequence number it saw submitted and the last reading it accepted. */
export interface MemberMemory {
  lastSeq: number;
  lastReading?: Reading;
}

/** Judges one submission; returns a Reason code, or Reason.OK (0). Must be deterministic: every member runs it. */
export type SubmissionJudge = (s: Submission, memory: MemberMemory) => number;

/** Judges the round's submissions together (cross-meter consistency); returns the ones it rejects. */
export type RoundJudge = (subs: Submission[]) => { index: number; reason: number }[];

export interface Judges {
  submission: SubmissionJudge[];
  round: RoundJudge[];
}

/** Quality flags a cluster refuses by default: the edge found the data contradictory or corrupt. Flags that only
 * inform (gap, rollover, filtered, clock unsynced) or mark a value that may be real (limits, spike) are accepted and
 * stay visible in the signed reading. */
export const DEFAULT_REJECT_QUALITY =
  QualityFlag.DUPLICATE | QualityFlag.TIME_BACKWARDS | QualityFlag.ENERGY_ROLLBACK | QualityFlag.PHYSICS | QualityFlag.COMM_ERROR;

/** The checks every member runs whatever the cluster adds: sequence, clock, quality flags. */
export function baseJudge(rejectQuality: number): SubmissionJudge {
  return (s, memory) => {
    if (s.firstSeq <= memory.lastSeq) return Reason.REPLAY;
    if (s.reading) {
      if (s.reading.clock === ClockStatus.INVALID) return Reason.CLOCK;
      if ((s.reading.quality & rejectQuality) !== 0) return Reason.QUALITY;
    }
    return Reason.OK;
  };
}

export interface Limits {
  /** Phase voltage band in volts (OBIS 1-0:32.7.0, 52.7.0, 72.7.0, 12.7.0; SunSpec PhVphA..C). */
  voltage: [number, number];
  /** Frequency band in hertz (OBIS 1-0:14.7.0; SunSpec Hz). */
  frequency: [number, number];
}

/** EN 50160 allows ±10 % around 230 V for 95 % of the week; a reading outside ±30 % is not a low-voltage supply. */
export const DEFAULT_LIMITS: Limits = { voltage: [161, 299], frequency: [45, 65] };

const VOLTAGE_IDS = ['1-0:32.7.0', '1-0:52.7.0', '1-0:72.7.0', '1-0:12.7.0', 'PhVphA', 'PhVphB', 'PhVphC'];
const FREQUENCY_IDS = ['1-0:14.7.0', 'Hz'];
const ENERGY_IDS = ['1-0:1.8.0', 'TotWhImp', '1-0:2.8.0', 'TotWhExp'];

function outside(value: number, scale: number, band: [number, number]): boolean {
  return compareQuantities(value, scale, band[0], 0) < 0 || compareQuantities(value, scale, band[1], 0) > 0;
}

/** Refuses voltages and frequencies outside the limits. */
export function limitsJudge(limits: Limits): SubmissionJudge {
  return (s) => {
    if (!s.reading) return Reason.OK;
    for (const c of s.reading.channels) {
      if (c.unit === 'V' && VOLTAGE_IDS.indexOf(c.id) >= 0) {
        if (outside(c.value, c.scale, limits.voltage)) return Reason.LIMITS;
      } else if (c.unit === 'Hz' && FREQUENCY_IDS.indexOf(c.id) >= 0) {
        if (outside(c.value, c.scale, limits.frequency)) return Reason.LIMITS;
      }
    }
    return Reason.OK;
  };
}

function energyOf(r: Reading, id: number): { value: number; scale: number } | undefined {
  for (const c of r.channels) if (c.unit === 'Wh' && (c.id === ENERGY_IDS[id] || c.id === ENERGY_IDS[id + 1])) return { value: c.value, scale: c.scale };
  return undefined;
}

/** Refuses an energy register that went backwards against the member's last accepted reading, unless the edge
 * flagged a register rollover. */
export const energyJudge: SubmissionJudge = (s, memory) => {
  if (!s.reading || !memory.lastReading) return Reason.OK;
  if ((s.reading.quality & QualityFlag.ENERGY_ROLLOVER) !== 0) return Reason.OK;
  for (let id = 0; id < 4; id += 2) {
    const now = energyOf(s.reading, id);
    const before = energyOf(memory.lastReading, id);
    if (now && before && compareQuantities(now.value, now.scale, before.value, before.scale) < 0) return Reason.ENERGY_BACKWARDS;
  }
  return Reason.OK;
};

/** The judges a cluster gets unless it configures others. */
export function defaultJudges(): Judges {
  return { submission: [limitsJudge(DEFAULT_LIMITS), energyJudge], round: [] };
}
