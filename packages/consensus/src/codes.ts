// Protocol constants: signing domains added by consensus, verdicts and reason codes of judgments. Numbers on the wire
// never change meaning; new reasons take new numbers (docs/protocol.md, "Judgments").

import { Domain } from '@meterchain/core';

/** Signing domains of consensus messages beyond READING, BATCH, VOTE and BLOCK; all live in core's `Domain`. */
export const ConsensusDomain = {
  /** A member's signed statement that it gives up a view at a height (view change). */
  TIMEOUT: Domain.TIMEOUT,
} as const;

/** What a voter says about one member's submission of a round. */
export const Verdict = {
  ABSENT: 0,
  ACCEPT: 1,
  REJECT: 2,
} as const;
export type Verdict = (typeof Verdict)[keyof typeof Verdict];

/** Why a submission was rejected (or 0 when accepted or absent). One byte in the judgment record. */
export const Reason = {
  OK: 0,
  /** Not a well-formed envelope, reading or batch. */
  MALFORMED: 1,
  /** Signed for another cluster. */
  WRONG_CLUSTER: 2,
  /** The signer is not a member of the epoch. */
  NOT_MEMBER: 3,
  /** The signature does not verify under the member's key. */
  BAD_SIGNATURE: 4,
  /** The timestamp (or the batch's round) is before genesis or belongs to another round. */
  WRONG_ROUND: 5,
  /** The timestamp is further ahead of the judge's clock than the skew allows. */
  FUTURE: 6,
  /** The sequence number does not increase over what the member already submitted. */
  REPLAY: 7,
  /** The edge's quality flags include one the cluster refuses. */
  QUALITY: 8,
  /** The meter says its clock is invalid. */
  CLOCK: 9,
  /** A value is outside physical limits (voltage band, frequency band). */
  LIMITS: 10,
  /** Cross-meter consistency failed (redundant sensors disagree; feeder head vs children). */
  CROSS_CHECK: 11,
  /** The member signed two different submissions for the round. */
  EQUIVOCATION: 12,
  /** A batch whose count and sequence range disagree or overlap the last one. */
  BATCH: 13,
  /** An energy register went backwards against the member's previous submission. */
  ENERGY_BACKWARDS: 14,
  /** A PMU's angle walks linearly against the others of its island: its clock drifts (a spoofed GPS receiver). */
  ANGLE_DRIFT: 15,
  /** A wide-area batch whose items are not anchors (or regional manifests) that verify, or do not hash to its root. */
  ANCHOR: 16,
} as const;
export type Reason = (typeof Reason)[keyof typeof Reason];

const REASON_NAMES = [
  'ok',
  'malformed',
  'wrong-cluster',
  'not-member',
  'bad-signature',
  'wrong-round',
  'future',
  'replay',
  'quality',
  'clock',
  'limits',
  'cross-check',
  'equivocation',
  'batch',
  'energy-backwards',
  'angle-drift',
  'anchor',
];

/** The name of a reason code, `reason-N` for a code this version does not know. */
export function reasonName(code: number): string {
  return code >= 0 && code < REASON_NAMES.length ? REASON_NAMES[code]! : `reason-${code}`;
}

/** An Error with a `code`, the portable way (no subclasses of Error on Espruino). */
export function consensusError(code: string, message: string): Error {
  const e = new Error(message) as Error & { code: string };
  e.code = code;
  return e;
}
