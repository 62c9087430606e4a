// PMU batches in the vote (docs/protocol.md, "PMU batches"; tolerances in docs/edge.md): each PMU member submits one
// signed batch a round, submitted just after the round ends, judged by its summary and against the other PMUs of
// its island. Four PMUs at 50 frames/s on one island, 1° apart; one of them may drift or disagree.
import { describe, expect, test } from '@jest/globals';
import { effectsOf, Reason, batchSummaryJudge, pmuIslandJudge, type Batch, type Effect } from '../src/index.ts';
import { Cluster, GENESIS, PARAMS, contents } from './helpers/cluster.ts';

const FPS = 50;
const CONFIG = new Uint8Array(32).fill(7);

interface Pmu {
  /** Clock drift from round `from` on, µs/s. */
  driftUsPerS?: number;
  from?: number;
  /** Frequency offset, Hz. */
  offsetHz?: number;
}

function pmuCluster(): Cluster {
  return new Cluster({
    n: 4,
    params: { skewMs: 300 },
    node: (m) => ({
      judges: {
        submission: [batchSummaryJudge({ fps: FPS, roundMs: PARAMS.roundMs, genesisMs: GENESIS, frequency: [45, 65] })],
        round: [pmuIslandJudge({ roundMs: PARAMS.roundMs, nominalHz: 50, islands: [m.members.map((x) => x.address)] })],
      },
    }),
  });
}

/** Member i's batch of round r: 50 frames in the round, 50.002 Hz, angle i degrees apart, plus what `pmu` says. */
function batch(c: Cluster, i: number, r: number, pmu: Pmu = {}): Batch {
  const start = (GENESIS + r * PARAMS.roundMs) * 1000;
  const drift = pmu.driftUsPerS && r >= (pmu.from ?? 0) ? 2 * Math.PI * 50 * pmu.driftUsPerS * 1e-6 * (r - (pmu.from ?? 0)) : 0;
  const f = 50.002 + (pmu.offsetHz ?? 0);
  return {
    v: 1,
    cluster: 'feeder-7',
    meter: c.address(i),
    round: r,
    count: FPS,
    first: r * FPS,
    last: r * FPS + FPS - 1,
    root: new Uint8Array(32).fill(i + 1),
    summary: {
      from: start,
      to: start + 980_000,
      fmin: Math.round(f * 1000) - 1,
      fmax: Math.round(f * 1000) + 1,
      fmean: Math.round(f * 1000),
      angle: Math.round((0.3 - (i * Math.PI) / 180 + drift) * 1e6),
      slope: 12_566,
      residual: 3,
      config: CONFIG,
    },
  };
}

/** Every member submits its batch of round r 60 ms after the round ends (the last frames have arrived). */
function batchRound(c: Cluster, r: number, pmus: Pmu[] = [], over?: (i: number) => Partial<Batch>): void {
  c.runUntil(GENESIS + (r + 1) * PARAMS.roundMs + 60);
  for (let i = 0; i < 4; i++) c.record(i, effectsOf(c.nodes[i]!.step({ type: 'batch', now: c.now, batch: { ...batch(c, i, r, pmus[i]), ...(over ? over(i) : {}) } })));
  c.deliverAll();
}

const outcomes = (c: Cluster, round: number, member = 0) =>
  c
    .of('accepted', member)
    .filter((e) => e.round === round)
    .map((e) => `${c.indexOf(e.member)}:accepted`)
    .concat(c.of('rejected', member).filter((e) => e.round === round).map((e) => `${c.indexOf(e.member)}:${e.reason}`))
    .sort();

describe('PMU batches in the vote', () => {
  test('four agreeing PMUs: every batch of every round is accepted and the blocks hold them', () => {
    const c = pmuCluster();
    for (let r = 0; r < 6; r++) batchRound(c, r);
    c.runUntil(GENESIS + 8 * PARAMS.roundMs);
    for (let r = 0; r < 6; r++) expect(outcomes(c, r)).toEqual(['0:accepted', '1:accepted', '2:accepted', '3:accepted']);
    const blocks = c.of('committed', 0) as Extract<Effect, { type: 'committed' }>[];
    expect(blocks.length).toBeGreaterThanOrEqual(2);
    expect(contents(c, blocks[0]!.block).length).toBe(8);
  });

  test('a PMU whose clock drifts 20 µs/s is refused for angle drift once the drift passes 26 µs; the others stay accepted', () => {
    const c = pmuCluster();
    const pmus: Pmu[] = [{}, {}, { driftUsPerS: 20, from: 2 }, {}];
    for (let r = 0; r < 8; r++) batchRound(c, r, pmus);
    // Rounds 0-3: at most 20 µs of clock error (0.36° at 50 Hz, inside 1 % TVE): still accepted.
    for (const r of [0, 1, 2, 3]) expect(outcomes(c, r)).toEqual(['0:accepted', '1:accepted', '2:accepted', '3:accepted']);
    for (const r of [5, 6, 7]) expect(outcomes(c, r)).toEqual(['0:accepted', '1:accepted', `2:${Reason.ANGLE_DRIFT}`, '3:accepted']);
  });

  test('an angle step of 5° (a switching operation) is not taken for a drifting clock', () => {
    const c = pmuCluster();
    for (let r = 0; r < 8; r++) batchRound(c, r, [], (i) => (i === 1 && r >= 4 ? { summary: { ...batch(c, 1, r).summary!, angle: batch(c, 1, r).summary!.angle + Math.round((5 * Math.PI * 1e6) / 180) } } : {}));
    for (let r = 0; r < 8; r++) expect(outcomes(c, r)).toEqual(['0:accepted', '1:accepted', '2:accepted', '3:accepted']);
  });

  test('a PMU whose frequency is 0.05 Hz off its island is refused by the cross-check', () => {
    const c = pmuCluster();
    batchRound(c, 0, [{}, {}, {}, { offsetHz: 0.05 }]);
    expect(outcomes(c, 0)).toEqual(['0:accepted', '1:accepted', '2:accepted', `3:${Reason.CROSS_CHECK}`]);
  });

  test('batches without a summary, with frames outside their round, or with more frames than the rate allows are refused', () => {
    const c = pmuCluster();
    batchRound(c, 0, [], (i) => {
      const b = batch(c, i, 0);
      if (i === 0) return { summary: undefined };
      if (i === 1) return { summary: { ...b.summary!, to: b.summary!.from + 1_000_000 } };
      if (i === 2) return { count: FPS + 1, last: b.first + FPS };
      return {};
    });
    expect(outcomes(c, 0)).toEqual([`0:${Reason.BATCH}`, `1:${Reason.WRONG_ROUND}`, `2:${Reason.BATCH}`, '3:accepted']);
  });
});
