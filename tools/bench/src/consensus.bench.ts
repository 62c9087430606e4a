// Simulated consensus rounds per second for N = 7, 64 and 256 members in both vote modes, and Ed25519 verifications
// per member per round, next to the raw limit measured in the same run: raw node:crypto verifications per second
// (KeyObject cached) and the 2(N − 1) of DESIGN §4's arithmetic. Verifications must grow linearly with N. The
// simulator's own restart work (a member's persisted records kept, the member restored from them and catching up
// from the others' stores) is measured apart, in the rows of one member restarted: the other rows have no restart, as before it.
import { performance } from 'node:perf_hooks';
import { simulate } from '@meterchain/testkit';
import { rawVerifyRate, type BenchOptions, type BenchRow } from './harness.ts';

interface Case {
  n: number;
  rounds: number;
  mode: 'broadcast' | 'leader';
  /** Member 1 goes down for 1.5 rounds a third of the way in and restarts from what it persisted. */
  restart?: boolean;
}

export async function run(opts: BenchOptions): Promise<BenchRow[]> {
  const raw = rawVerifyRate(opts.quick ? 200 : 500);
  // One block per case (blockRounds = rounds), so every case pays for one block agreement. N = 256 simulates every
  // member in this one process: 256 members each judging 256 submissions and tallying 256 votes per round.
  const cases: Case[] = [];
  for (const mode of ['broadcast', 'leader'] as const) {
    cases.push({ n: 7, rounds: opts.quick ? 10 : 30, mode });
    cases.push({ n: 64, rounds: opts.quick ? 1 : 3, mode });
    if (!opts.quick) cases.push({ n: 256, rounds: 1, mode });
  }
  // After the others, so that these run in the same order and conditions as before the restart rows came.
  for (const mode of ['broadcast', 'leader'] as const) {
    cases.push({ n: 7, rounds: opts.quick ? 10 : 30, mode, restart: true });
    cases.push({ n: 64, rounds: 3, mode, restart: true });
  }
  const rows: BenchRow[] = [];
  const perMember: { [key: string]: number } = {};
  for (const c of cases) {
    const t0 = performance.now();
    const restarts = c.restart ? { restarts: [{ member: 1, at: Math.floor((c.rounds * 1000) / 3), downMs: 1500 }] } : {};
    const { report } = simulate({ meters: c.n, rounds: c.rounds, rule: 'bft', voteMode: c.mode, seed: 1, params: { blockRounds: c.rounds }, verifyChains: 'longest', ...restarts });
    const seconds = (performance.now() - t0) / 1000;
    if (report.honestAcceptedRatio < 1 || report.blocksCommitted < report.blocksExpected) {
      throw new Error(`consensus bench: N=${c.n} ${c.mode} did not accept every reading or commit its block`);
    }
    if (c.restart) {
      rows.push({
        name: `simulated rounds/s, N=${c.n}, ${c.mode}, one member restarted`,
        value: c.rounds / seconds,
        unit: 'rounds/s',
        note: `${c.rounds} rounds and 1 block in ${seconds.toFixed(1)} s; ${report.messages.delivered} deliveries`,
      });
      continue;
    }
    const v = report.verificationsPerMemberPerRound;
    perMember[`${c.n}:${c.mode}`] = v;
    // If all N members on this one core verified everything themselves and did nothing else. The simulator shares
    // verdicts between members (a verdict is the same wherever it is computed), so the ratio can pass 1.
    const limit = raw / (c.n * v);
    rows.push({
      name: `simulated rounds/s, N=${c.n}, ${c.mode}`,
      value: c.rounds / seconds,
      unit: 'rounds/s',
      limit: { name: 'raw verify/s ÷ (N × verifications per member per round)', value: limit },
      ratio: c.rounds / seconds / limit,
      note: `${c.rounds} rounds and 1 block in ${seconds.toFixed(1)} s; ${report.messages.delivered} deliveries`,
    });
    rows.push({
      name: `verifications per member per round, N=${c.n}, ${c.mode}`,
      value: v,
      unit: 'verifications',
      limit: { name: '2(N − 1)', value: 2 * (c.n - 1) },
      ratio: v / (2 * (c.n - 1)),
      note: `one member alone on one core: ${Math.round(raw / v)} rounds/s of verification`,
    });
  }
  for (const mode of ['broadcast', 'leader'] as const) {
    const big = opts.quick ? 64 : 256;
    const growth = perMember[`${big}:${mode}`]! / big / (perMember[`7:${mode}`]! / 7);
    rows.push({
      name: `growth of verifications per member per round, N=7 to N=${big}, ${mode}, per member of N`,
      value: growth,
      unit: 'x',
      target: { text: '<= 1.5 (linear in N; quadratic would be about N/7)', met: growth <= 1.5 },
    });
  }
  rows.push({ name: 'raw node:crypto Ed25519 verify (KeyObject cached)', value: raw, unit: 'verify/s' });
  return rows;
}
