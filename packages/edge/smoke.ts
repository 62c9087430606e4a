// Portability smoke test: builds the default residential pipeline, feeds a few minutes including a voltage spike and
// a missing sample, and throws if the findings or quality bits are not the expected ones. Run by the gate.
import { QualityFlag } from '@meterchain/core';
import { createPipeline, emptyRecording, feederBalance, pmuProfile, redundantAgree, redundantOutliers, residentialProfile, type Profile } from './src/index.ts';
import { runInjection } from './src/inject.ts';
import { angleDrift, checkPmuFrame, islandFrequencyAgreement } from './src/pmu.ts';

function expectEqual(what: string, got: unknown, want: unknown): void {
  const g = JSON.stringify(got);
  const w = JSON.stringify(want);
  if (g !== w) throw new Error(`edge smoke: ${what}: expected ${w}, got ${g}`);
}

/** Every filter kind on one channel, and an energy register that rolls over then goes back. */
function filtersAndRegisters(): void {
  const profile: Profile = {
    name: 'smoke',
    channels: ['voltage', 'current', 'activePower', 'frequency', 'energyImport'],
    filters: {
      voltage: [{ median: 3 }, { hampel: { window: 5, k: 3, min_deviation: 0.1 } }],
      current: [{ ema: 0.5 }, { moving_average: 2 }],
      activePower: [{ deadband: 10 }],
    },
    energy: { energyImport: { modulus: 100000, max_power: 25300, resolution: 1 } },
  };
  const p = createPipeline(profile, ['voltage', 'current', 'activePower', 'energyImport']);
  const rows = [
    [230, 4, 900, 99900],
    [231, 6, 905, 99950],
    [290, 6, 930, 20],
    [231, 6, 931, 10],
  ];
  const sample = { t: 0, seq: 0, clock: 0, values: new Float64Array(4) };
  const seen: string[] = [];
  let last = { v: 0, i: 0, p: 0, q: 0 };
  for (let k = 0; k < rows.length; k++) {
    sample.t = 1700000000000 + k * 60000;
    sample.seq = k;
    sample.values.set(rows[k]!);
    const out = p.step(sample);
    if (out === null) continue;
    for (const f of out.findings) seen.push(`${out.n}:${f.check}`);
    last = { v: out.filtered![0]!, i: out.filtered![1]!, p: out.filtered![2]!, q: out.quality };
  }
  expectEqual('register findings', seen, ['2:energy-rollover', '3:energy-rollback']);
  expectEqual('filtered values of the last sample', [last.v, last.i, last.p], [231, 45 / 8, 930]);
  expectEqual('quality of the last sample', last.q, QualityFlag.FILTERED | QualityFlag.ENERGY_ROLLBACK);
}

/** PMU frames: a frequency ramp the reported ROCOF follows, then a ROCOF the frequency does not. */
function pmuFrames(): void {
  const p = createPipeline(pmuProfile, ['frequency', 'rocof']);
  const sample = { t: 0, seq: -1, clock: 0, values: new Float64Array(2) };
  let mismatches = 0;
  let other = 0;
  for (let k = 0; k < 40; k++) {
    sample.t = 1700000000000 + k * 20;
    sample.values[0] = 50 + 0.2 * k * 0.02;
    sample.values[1] = k < 25 ? 0.2 : 1.5;
    const out = p.step(sample);
    if (out === null) continue;
    for (const f of out.findings) {
      if (f.check === 'rocof' && f.code === 'mismatch') mismatches++;
      else other++;
    }
  }
  expectEqual('ROCOF mismatches once the reported ROCOF departs', mismatches > 5 && mismatches < 20, true);
  expectEqual('other PMU findings', other, 0);
}

export function smoke(): void {
  const channels = ['voltage', 'current', 'activePower', 'reactivePower'];
  const pipeline = createPipeline(residentialProfile, channels);
  // One row per minute: V, I, P, Q. Row 3 is a 40 V spike; row 6 has no values (a gap, as '?' rows in meter logs).
  const rows = [
    [240.1, 5, 1180, 150],
    [240.3, 5, 1181, 151],
    [240.2, 5, 1179, 150],
    [280.2, 5, 1180, 150],
    [240.4, 5, 1182, 151],
    [240.0, 5, 1180, 150],
    [NaN, NaN, NaN, NaN],
    [240.1, 5, 1181, 150],
  ];
  const sample = { t: 0, seq: -1, clock: 0, values: new Float64Array(channels.length) };
  const seen: string[] = [];
  const quality: number[] = [];
  const keep = (out: { n: number; quality: number; findings: { check: string; channel: string }[] } | null): void => {
    if (out === null) return;
    quality[out.n] = out.quality;
    for (const f of out.findings) seen.push(`${out.n}:${f.check}:${f.channel}`);
  };
  for (let i = 0; i < rows.length; i++) {
    sample.t = 1166289840000 + i * 60000;
    sample.values.set(rows[i]!);
    keep(pipeline.step(sample));
  }
  for (let out = pipeline.flush(); out !== null; out = pipeline.flush()) keep(out);
  // The spike is above the EN 50160 band, a step of more than 23 V (the step back is not counted twice), and
  // isolated. Physics stays quiet: V·I only grows, and √(P²+Q²) stays within its band.
  expectEqual('findings', seen.sort(), ['3:limits:voltage', '3:rate-of-change:voltage', '3:spike:voltage', '6:gap:*']);
  expectEqual('quality of the spike row', quality[3], QualityFlag.OUT_OF_LIMITS | QualityFlag.RATE_OF_CHANGE | QualityFlag.SPIKE);
  expectEqual('quality of the gap row', quality[6], QualityFlag.GAP);
  expectEqual('quality of a clean row', quality[1], 0);
  expectEqual('redundant sensors', redundantAgree(1000, 1015, { abs: 1, rel: 0.02 }).ok, true);
  expectEqual('redundant outliers', redundantOutliers([230.1, 230.3, 251], { abs: 0.5, rel: 0.005 }), [2]);
  expectEqual('feeder balance', feederBalance(10000, [3000, 3000, 2000], { maxRel: 0.08, accuracyRel: 0.02, abs: 10 }).reason, 'losses-too-high');
  filtersAndRegisters();
  pmuFrames();
  // PMU checks (their own entry): an unsynchronized frame, an island outlier, a drifting clock among four PMUs.
  const pmu = { time: 10, dataError: 0, notSynchronized: true, unlockedTime: 0, timeQuality: 0, nominalHz: 50, frequency: 50, phasors: [] };
  expectEqual('PMU unsynced', checkPmuFrame(pmu, undefined).length, 1);
  expectEqual('island frequency', islandFrequencyAgreement([50, 50, 50.1]).outliers, [2]);
  const times: number[] = [];
  const angles: number[][] = [[], [], [], []];
  for (let t = 0; t < 100; t++) {
    times.push(t);
    for (let p = 0; p < 4; p++) angles[p]!.push(p === 1 ? t / 1000 : 0);
  }
  expectEqual('clock drift', angleDrift(times, angles).pmus[1]!.drifting, true);
  // Injection runs on the device too (xorshift, typed arrays): a short recording with an energy register.
  const rec = emptyRecording(['voltage', 'energyImport'], 240);
  for (let i = 0; i < 240; i++) {
    rec.t[i] = 1166289840000 + i * 60000;
    rec.values[i * 2] = 240 + (i % 7) * 0.1;
    rec.values[i * 2 + 1] = 5000 + i * 20;
  }
  const report = runInjection(residentialProfile, rec, 1, { eventsPerClass: 3, only: ['gap', 'spike', 'energy-rollover'] });
  for (const c of report.classes) expectEqual(`injected ${c.fault} found`, c.detected, c.events);
}
