// Judges of PMU batches (docs/edge.md, "PMU batches in the vote"): each batch's summary on its own (frames inside
// the round, no more frames than the PMU's rate allows, frequencies in band), then the round's batches together:
// frequency agreement within one electrical island, and one PMU's angle drifting linearly against the others over the
// last rounds, the signature of a spoofed or drifting clock. Every member of a cluster configures the same options,
// or honest votes split.
import { equalBytes } from '@meterchain/core';
import { ANGLE_DRIFT, angleDrift, islandFrequencyAgreement, wrapAngle } from '@meterchain/edge/pmu';
import { Reason } from './codes.ts';
import type { RoundJudge, SubmissionJudge } from './judge.ts';
import type { Submission } from './submission.ts';

export interface PmuJudgeOptions {
  /** Frames a second the PMUs send (C37.118.2 DATA_RATE: 50 or 60 at their nominal frequency). */
  fps: number;
  roundMs: number;
  genesisMs: number;
  nominalHz: number;
  /** Frequency band, Hz (as the meters' limits: 45-65). */
  frequency: [number, number];
  /** Members on one electrical island each; PMUs not listed form one island together. */
  islands: Uint8Array[][];
  /** Largest difference between a PMU's mean frequency and its island's median, Hz (edge.md: 0.01). */
  frequencyTolerance: number;
  /** Rounds the angle-drift check looks back over (at least 3 with data before it judges). */
  window: number;
  /** Accumulated clock error over the window that counts as drift, s (edge.md: 26 µs, 1 % TVE at 60 Hz). */
  maxClockError: number;
  /** The drift must look like a line: RMS residual at most this fraction of the drift over the window. A step (a
   * switching operation) leaves a residual of at least 0.19 of the excursion its line shows (docs/edge.md) and is not taken
   * for a drifting clock. */
  linearity: number;
}

export const PMU_JUDGE_DEFAULTS = {
  nominalHz: 50,
  frequency: [45, 65] as [number, number],
  islands: [] as Uint8Array[][],
  frequencyTolerance: 1 / 100,
  window: 10,
  maxClockError: ANGLE_DRIFT.maxClockError,
  linearity: 15 / 100,
};

/** Checks one batch's summary against its round and the PMUs' rate. */
export function batchSummaryJudge(o: Pick<PmuJudgeOptions, 'fps' | 'roundMs' | 'genesisMs' | 'frequency'>): SubmissionJudge {
  const maxFrames = Math.ceil((o.fps * o.roundMs) / 1000);
  return (s) => {
    if (s.kind !== 'batch') return Reason.OK;
    const b = s.batch!;
    const m = b.summary;
    if (!m || b.count > maxFrames || m.from > m.to || m.fmin > m.fmax || m.fmean < m.fmin || m.fmean > m.fmax) return Reason.BATCH;
    const start = (o.genesisMs + b.round * o.roundMs) * 1000;
    if (m.from < start || m.to >= start + o.roundMs * 1000) return Reason.WRONG_ROUND;
    if (m.fmin < o.frequency[0] * 1000 || m.fmax > o.frequency[1] * 1000) return Reason.LIMITS;
    return Reason.OK;
  };
}

/**
 * The cross-PMU judge. It remembers the fitted angle of each PMU's batches over the last `window` rounds it judged
 * (n × window numbers), so its verdict on a round depends on the rounds this node judged before: a node that missed
 * a PMU's batches judges that PMU on the rounds it has. Batches without a summary are left to batchSummaryJudge.
 */
export function pmuIslandJudge(given: Partial<PmuJudgeOptions> & Pick<PmuJudgeOptions, 'roundMs'>): RoundJudge {
  const d = PMU_JUDGE_DEFAULTS;
  const o = {
    roundMs: given.roundMs,
    nominalHz: given.nominalHz ?? d.nominalHz,
    islands: given.islands ?? d.islands,
    frequencyTolerance: given.frequencyTolerance ?? d.frequencyTolerance,
    window: given.window ?? d.window,
    maxClockError: given.maxClockError ?? d.maxClockError,
    linearity: given.linearity ?? d.linearity,
  };
  // history[member index] = [round, angle (rad)] pairs, oldest first.
  const history: { [index: number]: number[][] } = {};
  const islandOf = (s: Submission): number => {
    for (let k = 0; k < o.islands.length; k++) for (const a of o.islands[k]!) if (equalBytes(a, s.member.address)) return k;
    return -1;
  };
  return (subs) => {
    const out: { index: number; reason: number }[] = [];
    const batches: Submission[] = [];
    for (const s of subs) if (s.kind === 'batch' && s.batch!.summary) batches.push(s);
    if (batches.length === 0) return out;
    const round = batches[0]!.round;
    for (const s of batches) {
      const h = history[s.index] ?? (history[s.index] = []);
      h.push([round, s.batch!.summary!.angle / 1_000_000]);
      while (h.length > 0 && h[0]![0]! <= round - o.window) h.shift();
    }
    const islands: number[] = [];
    for (const s of batches) {
      const k = islandOf(s);
      if (islands.indexOf(k) < 0) islands.push(k);
    }
    for (const k of islands) {
      const members: Submission[] = [];
      for (const s of batches) if (islandOf(s) === k) members.push(s);
      // Frequency: one island, one frequency.
      const means: number[] = [];
      for (const s of members) means.push(s.batch!.summary!.fmean / 1000);
      const f = islandFrequencyAgreement(means, o.frequencyTolerance);
      const refused: boolean[] = [];
      for (const i of f.outliers) {
        refused[i] = true;
        out.push({ index: members[i]!.index, reason: Reason.CROSS_CHECK });
      }
      // Angles: the rounds of the window in which every PMU still judged here has a batch.
      const rounds: number[] = [];
      for (let r = round - o.window + 1; r <= round; r++) {
        let all = true;
        for (const s of members) if (!angleAt(history[s.index]!, r).found) all = false;
        if (all) rounds.push(r);
      }
      if (members.length < 3 || rounds.length < 3) continue;
      const times: number[] = [];
      for (const r of rounds) times.push((r * o.roundMs) / 1000);
      const angles: number[][] = [];
      for (const s of members) {
        const series: number[] = [];
        for (const r of rounds) series.push(wrapAngle(angleAt(history[s.index]!, r).angle));
        angles.push(series);
      }
      const v = angleDrift(times, angles, { maxClockError: o.maxClockError, linearity: o.linearity, nominalHz: o.nominalHz });
      for (let i = 0; i < v.pmus.length; i++) if (v.pmus[i]!.drifting && !refused[i]) out.push({ index: members[i]!.index, reason: Reason.ANGLE_DRIFT });
    }
    return out;
  };
}

function angleAt(h: number[][], round: number): { found: boolean; angle: number } {
  for (const p of h) if (p[0] === round) return { found: true, angle: p[1]! };
  return { found: false, angle: 0 };
}
