// Portability smoke test: builds the default residential pipeline, feeds a few minutes including a voltage spike and
// a missing sample, and throws if the findings or quality bits are not the expected ones. Run by the gate.
import { QualityFlag } from '@meterchain/core';
import { createPipeline, redundantAgree, residentialProfile, runInjection, emptyRecording } from './src/index.ts';

function expectEqual(what: string, got: unknown, want: unknown): void {
  const g = JSON.stringify(got);
  const w = JSON.stringify(want);
  if (g !== w) throw new Error(`edge smoke: ${what}: expected ${w}, got ${g}`);
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
  // Injection runs on the device too (xorshift, typed arrays): a short recording, gaps only.
  const rec = emptyRecording(['voltage'], 200);
  for (let i = 0; i < 200; i++) {
    rec.t[i] = 1166289840000 + i * 60000;
    rec.values[i] = 240 + (i % 7) * 0.1;
  }
  const report = runInjection(residentialProfile, rec, 1, { eventsPerClass: 4, only: ['gap'] });
  expectEqual('injected gaps found', report.classes[0]!.detected, report.classes[0]!.events);
}
