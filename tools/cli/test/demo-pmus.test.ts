// `meterchain demo --pmus 4 --spoof 1` (`npm start -- --pmus 4 --spoof 1`): four PMU member processes fed by the PMU
// simulator at 60 frames/s commit blocks of batches; the station whose clock drifts (a spoofed GPS receiver) has its
// batches refused for angle drift while the others' are accepted; the demo proves one frame and the proof verifies.
import { expect, test } from '@jest/globals';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { meterchain } from './run.ts';

test('a 4-PMU demo with one spoofed clock commits blocks, refuses the spoofed batches for angle drift, and proves a frame', () => {
  const out = join(mkdtempSync(join(tmpdir(), 'mc-demo-pmus-')), 'run');
  const r = meterchain(['demo', '--pmus', '4', '--spoof', '1', '--rounds', '15', '--out', out], { timeoutMs: 150_000 });
  expect(r.stderr).not.toMatch(/does NOT verify|unreadable/);
  expect(r.code).toBe(0);
  const chains = [...r.stdout.matchAll(/chain of (m\d+): (\d+) blocks verified against the manifest, (\d+) batches, tip ([0-9a-f]+)/g)];
  expect(chains.length).toBe(4);
  expect(new Set(chains.map((c) => c[4])).size).toBe(1);
  expect(Number(chains[0]![2])).toBeGreaterThanOrEqual(2);
  // m01 is the spoofed station: refused for angle drift. No judge refuses an honest member's batch (on a loaded
  // machine some rounds end without enough votes in time: not a refusal, and not judged here).
  const members = [...r.stdout.matchAll(/^ {2}(m\d+) station (\d+)( \[spoofed clock\])?\s+height\s+\d+\s+batches\s+(\d+)\s+accepted\s+(\d+)\s+refused (.*?)(?:\s{2}|$)/gm)];
  expect(members.map((m) => [m[1], m[3] !== undefined])).toEqual([['m01', true], ['m02', false], ['m03', false], ['m04', false]]);
  expect(Number(/angle-drift (\d+)/.exec(members[0]![6]!)?.[1] ?? 0)).toBeGreaterThanOrEqual(1);
  for (const m of members.slice(1)) {
    expect(m[6]).not.toMatch(/angle-drift|cross-check|batch|wrong-round|limits/);
    expect(Number(m[5])).toBeGreaterThan(0);
  }
  expect(r.stdout).toMatch(/^proof of mc[0-9a-f]{40} frame \d+: height \d+, round \d+, \d+ bytes -> /m);
  expect(r.stdout).toMatch(/^proof holds: frame \d+ of PMU mc[0-9a-f]{40} \(batch of round \d+, frames to \d+\), committed at height \d+/m);
  expect(r.stdout).toMatch(/^ {2}SIM-PMU-\d \(IDCODE 10\d\) at \d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z: 60 Hz/m);
  // The proof the demo wrote verifies on its own, with the manifest alone.
  const v = meterchain(['proof', 'verify', join(out, 'frame-proof.cbor'), '--manifest', join(out, 'manifest.cbor'), '--json']);
  expect(v.code).toBe(0);
  expect(JSON.parse(v.stdout)).toMatchObject({ ok: true, frame: { frequency: 60 } });
}, 180_000);

test('--spoof needs fewer spoofed stations than a third of the PMUs, and --pmus takes no meter options', () => {
  expect(meterchain(['demo', '--pmus', '4', '--spoof', '2'])).toMatchObject({ code: 2, stderr: expect.stringMatching(/^meterchain demo: --spoof must be below a third of --pmus \(4\), got 2\n$/) });
  expect(meterchain(['demo', '--pmus', '4', '--meters', '5']).stderr).toMatch(/--meters is for meter clusters, not with --pmus/);
});
