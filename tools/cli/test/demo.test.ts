// `meterchain demo` (what `npm start` runs), small: five meter processes, one of them forging its voltages, over the
// embedded broker, to a chain every meter holds and that verifies against the manifest.
import { expect, test } from '@jest/globals';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { meterchain } from './run.ts';

test('a 5-meter demo with one forging meter ends with a verified chain that holds no forged reading', () => {
  const out = join(mkdtempSync(join(tmpdir(), 'mc-demo-')), 'run');
  const r = meterchain(['demo', '--meters', '5', '--rounds', '10', '--byzantine', '1', '--behaviour', 'forge', '--out', out], { timeoutMs: 150_000 });
  expect(r.stderr).not.toMatch(/does NOT verify|unreadable/);
  expect(r.code).toBe(0);
  const verified = /chain of (.+): (\d+) blocks verified against the manifest/.exec(r.stdout);
  expect(verified).not.toBeNull();
  expect(Number(verified![2])).toBeGreaterThanOrEqual(1);
  // The forger (m01) is refused every round: the honest meters report rejections and the chain holds only their readings.
  const last = r.stdout.split('\n').filter((l) => l.startsWith('round ')).pop()!;
  expect(Number(/rejected (\d+)/.exec(last)![1])).toBeGreaterThan(0);
  // Before round 0 it says what it is doing; it ends at the last round, with the counts the chain holds.
  expect(r.stdout).toMatch(/^starting 5 meters: \d connected to the broker, rounds begin in \d+ s$/m);
  expect(last).toMatch(/^round 10\/10 /);
  const inspectArgs = /inspect it:\s+npx meterchain (.+)$/m.exec(r.stdout)![1]!.split(' ');
  const inspected = JSON.parse(meterchain([...inspectArgs, '--json']).stdout) as { accepted: number; rejected: number; blocks: number };
  expect(/accepted (\d+)/.exec(last)![1]).toBe(String(inspected.accepted));
  expect(/blocks (\d+)/.exec(last)![1]).toBe(String(inspected.blocks));
  const forger = /members: m01 (mc[0-9a-f]{40})/.exec(r.stdout)![1]!;
  // The export command the demo prints, run as printed.
  const printed = /export it:\s+npx meterchain (.+)$/m.exec(r.stdout)![1]!.split(' ');
  const exported = meterchain(printed);
  expect(exported.code).toBe(0);
  const rows = exported.stdout.trim().split('\n').slice(1);
  expect(rows.length).toBe(Number(/readings in the chain: (\d+)/.exec(r.stdout)![1]));
  expect(rows.length).toBeGreaterThan(0);
  expect(rows.filter((row) => row.includes(forger))).toEqual([]);
  expect(existsSync(join(out, 'manifest.cbor'))).toBe(true);
  expect(r.stdout).toMatch(/npx meterchain chain verify .+ --manifest /);
}, 180_000);
