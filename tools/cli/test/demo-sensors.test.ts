// `npm start -- --sensors 2`: two sensor nodes run the Espruino firmware in the portability gate's stripped context
// (what CI has instead of the interpreter), each reading a simulated SDM630 over Modbus RTU on a socat pty and sending
// its HMAC-authenticated frames over a second pty to a full node, which submits them in the sensor's own membership.
// Their readings reach the chain under the sensors' addresses, with the meter's values.
import { expect, test } from '@jest/globals';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { meterchain } from './run.ts';

test('a 4-meter demo with 2 sensor nodes: the sensors\' readings are in the verified chain under their addresses', () => {
  const out = join(mkdtempSync(join(tmpdir(), 'mc-demo-sensors-')), 'run');
  const r = meterchain(['demo', '--meters', '4', '--sensors', '2', '--rounds', '25', '--out', out], { timeoutMs: 200_000 });
  expect(r.stderr).not.toMatch(/does NOT verify|unreadable|no reading of sensor node/);
  expect(r.code).toBe(0);
  expect(r.stdout).toMatch(/^sensor nodes: s01 mc[0-9a-f]{40} -> m01, s02 mc[0-9a-f]{40} -> m02 \(firmware in the stripped context\)$/m);
  const counted = [...r.stdout.matchAll(/^sensor node (s0\d) \((mc[0-9a-f]{40}), wired to (m0\d)\): (\d+) readings in the chain$/gm)];
  expect(counted.map((m) => m[1])).toEqual(['s01', 's02']);
  for (const m of counted) expect(Number(m[4])).toBeGreaterThan(0);
  // The chain as exported: the sensors' rows carry their addresses, increasing sequence numbers, and SDM630 values
  // (three phase voltages around 230 V at 0.01 V), and their count is what the demo printed.
  const printed = /export it:\s+npx meterchain (.+)$/m.exec(r.stdout)![1]!.split(' ');
  const exported = meterchain(printed);
  expect(exported.code).toBe(0);
  const [head, ...rows] = exported.stdout.trim().split('\n');
  const columns = head!.split(',');
  const at = (name: string) => columns.indexOf(name);
  for (const m of counted) {
    const mine = rows.map((row) => row.split(',')).filter((cells) => cells[at('meter')] === m[2]);
    expect(mine.length).toBe(Number(m[4]));
    const seqs = mine.map((cells) => Number(cells[at('seq')]));
    expect([...seqs].sort((a, b) => a - b)).toEqual(seqs);
    expect(new Set(seqs).size).toBe(seqs.length);
    for (const cells of mine) {
      const volts = Number(cells[at('1-0:32.7.0 [V]')]);
      expect(volts).toBeGreaterThan(200);
      expect(volts).toBeLessThan(260);
    }
  }
}, 210_000);

test('sensor provision writes the member entry that cluster init takes, and the board\'s flash files', () => {
  const dir = mkdtempSync(join(tmpdir(), 'mc-sensor-provision-'));
  const p = meterchain(['sensor', 'provision', '--name', 's01', '--cluster', 'lab', '--out', dir]);
  expect(p.code).toBe(0);
  const address = /sensor s01: (mc[0-9a-f]{40}), cluster lab, a reading every 10000 ms/.exec(p.stdout)![1]!;
  const init = meterchain(['cluster', 'init', '--name', 'lab', '--members', '4', '--rule', 'bft', '--out', join(dir, 'cluster'), '--sensor', join(dir, 's01', 'member.json')]);
  expect(init.code).toBe(0);
  const shown = meterchain(['cluster', 'show', '--manifest', join(dir, 'cluster', 'manifest.cbor')]);
  expect(shown.stdout).toMatch(new RegExp(`s01\\s+${address}\\s+sensor`));
  expect(shown.stdout).toMatch(/5 members/);
  const again = meterchain(['sensor', 'provision', '--name', 's01', '--cluster', 'lab', '--out', dir]);
  expect(again.code).toBe(2);
  expect(again.stderr).toMatch(/already exists; refusing to overwrite it/);
  const unprovisioned = meterchain(['sensor', 'run', '--flash', dir, '--meter-port', '/dev/null', '--link-port', '/dev/null']);
  expect(unprovisioned.code).toBe(2);
  expect(unprovisioned.stderr.trim()).toMatch(/^meterchain sensor: --flash: .+mc\.key is missing: provision the board first/);
});
