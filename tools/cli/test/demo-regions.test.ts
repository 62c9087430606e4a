// `meterchain demo --regions R` (`npm start -- --regions 3`), small: two regions of four meter processes, each on its
// own Mosquitto (started by the demo on free loopback ports) bridged to the wide-area broker, four substation
// processes keeping the wide-area chain, the control centre on its embedded database. It ends with every regional
// block anchored, the control centre's totals equal to the regional chains' readings and a cross-tier proof that
// verifies; the test checks those end conditions again itself, from the files the demo leaves.
import { expect, test } from '@jest/globals';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { requireMosquitto } from '@meterchain/testkit/mosquitto';
import { meterchain } from './run.ts';

const haveMosquitto = requireMosquitto('the two-tier demo test');

(haveMosquitto ? test : test.skip)('a 2-region demo anchors every regional block, its control centre totals match the chains, and its cross-tier proof verifies', () => {
  const out = join(mkdtempSync(join(tmpdir(), 'mc-demo-regions-')), 'run');
  try {
    const r = meterchain(['demo', '--regions', '2', '--meters', '4', '--substations', '4', '--rounds', '15', '--brokers', 'mosquitto', '--out', out], { timeoutMs: 400_000 });
    if (r.code !== 0) console.log(r.stdout, r.stderr);
    expect(r.code).toBe(0);
    // Its own Mosquitto processes on loopback, one per region and one for the wide-area chain, bridged.
    expect(r.stdout).toMatch(/^brokers \(Mosquitto\): north mqtt:\/\/127\.0\.0\.1:\d+, south mqtt:\/\/127\.0\.0\.1:\d+, bridged to grid-wide mqtt:\/\/127\.0\.0\.1:\d+$/m);
    expect(r.stdout).toMatch(/^control centre: dashboard http:\/\/127\.0\.0\.1:\d+\/ /m);
    expect(r.stdout).toMatch(/^check: every regional block anchored by the wide-area chain: yes$/m);
    expect(r.stdout).toMatch(/^check: control centre total \d+ readings = sum of the regional chains' readings \d+: yes$/m);
    expect(r.stdout).toMatch(/^check: cross-tier proof verified with the two manifests: yes$/m);
    const regions = [...r.stdout.matchAll(/^(north|south): chain (\d+) blocks, (\d+) readings .*; control centre (\d+) blocks, (\d+) readings; anchored (\d+) of (\d+)$/gm)];
    expect(regions.map((x) => x[1])).toEqual(['north', 'south']);
    for (const x of regions) {
      expect(Number(x[2])).toBeGreaterThanOrEqual(2);
      expect(x[4]).toBe(x[2]);
      expect(x[5]).toBe(x[3]);
      expect(x[6]).toBe(x[2]);
    }
    const total = /check: control centre total (\d+) readings/.exec(r.stdout)![1];
    expect(Number(total)).toBe(regions.reduce((a, x) => a + Number(x[3]), 0));

    // Again, from the files: a fresh control centre follows the chains the demo names and finds every block anchored.
    const again = /^follow it again: npx meterchain control-centre (.+)$/m.exec(r.stdout)![1]!.split(' ');
    const once = meterchain(['control-centre', ...again, '--once'], { timeoutMs: 120_000 });
    expect(once.code).toBe(0);
    const loaded = [...once.stdout.matchAll(/^(north|south): (\d+) blocks? verified and loaded, height \d+, (\d+) readings/gm)];
    expect(loaded.map((x) => [x[1], x[2], x[3]])).toEqual(regions.map((x) => [x[1], x[2], x[3]]));
    const blocks = regions.reduce((a, x) => a + Number(x[2]), 0);
    expect(once.stdout).toMatch(new RegExp(`^wide-area chain: height \\d+, ${blocks} loaded blocks anchored, 0 split views$`, 'm'));
    // The proof the demo wrote verifies with the two manifests alone.
    const proven = /^proof holds: reading of mc[0-9a-f]{40} seq \d+, round \d+, committed at height \d+ of (north|south) /m.exec(r.stdout)![1]!;
    const v = meterchain(['proof', 'verify', join(out, 'cross-tier-proof.cbor'), '--manifest', join(out, proven, 'manifest.cbor'), '--widearea-manifest', join(out, 'grid-wide', 'manifest.cbor')]);
    expect(v.code).toBe(0);
  } finally {
    rmSync(dirname(out), { recursive: true, force: true });
  }
}, 480_000);

test('--regions refuses what does not go with it, in one line', () => {
  expect(meterchain(['demo', '--regions', '9'])).toMatchObject({ code: 2, stderr: expect.stringMatching(/^meterchain demo: --regions must be 1\.\.8 on one machine, got 9\n$/) });
  expect(meterchain(['demo', '--regions', '2', '--meters', '3']).stderr).toMatch(/^meterchain demo: --meters must be 4\.\.16 with --regions \(rule bft\), got 3\n$/);
  expect(meterchain(['demo', '--regions', '2', '--pmus', '4']).stderr).toMatch(/--pmus does not go with --regions/);
  expect(meterchain(['demo', '--regions', '2', '--brokers', 'x']).stderr).toMatch(/--brokers must be auto, mosquitto or embedded/);
});
