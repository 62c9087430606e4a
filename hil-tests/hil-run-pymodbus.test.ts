// `meterchain hil run` against a third-party Modbus device (pymodbus serving an SDM630 register map over TCP), with
// the lab's scenario of stated values and tolerances: it passes; it passes again with bus noise at a byte error
// rate of 1e-2 with no wrong value accepted unflagged; and it fails, naming the channel, when the device serves a
// value outside its stated tolerance.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { SDM630_POINTS } from './support/fixtures.ts';
import { freePort } from './support/net.ts';
import { meterchainBin, repoRoot } from './support/paths.ts';
import { runProgram, type Peer } from './support/process.ts';
import { requirePymodbus } from './support/programs.ts';
import { tempDir } from './support/pty.ts';
import { startPymodbus } from './support/pymodbus.ts';

const ready = requirePymodbus();
const scenario = join(repoRoot, 'hil-tests', 'lab', 'sdm630-stated-values.yaml');
const dir = tempDir('hil-pymodbus');
let good: Peer | undefined;
let bad: Peer | undefined;
let goodPort = 0;
let badPort = 0;

beforeAll(async () => {
  if (!ready) return;
  goodPort = await freePort();
  good = await startPymodbus(dir.path, SDM630_POINTS, { tcp: goodPort });
  // The same meter, but its L1 voltage reads 240 V where 230.5 ± 0.5 V is stated.
  badPort = await freePort();
  bad = await startPymodbus(dir.path, SDM630_POINTS.map((p) => (p.address === 0 ? { ...p, value: 240 } : p)), { tcp: badPort });
}, 40_000);

afterAll(async () => {
  await good?.stop();
  await bad?.stop();
  dir.remove();
});

async function hilRun(port: number, out: string, ...extra: string[]) {
  const run = await runProgram(process.execPath, [meterchainBin, 'hil', 'run', '--scenario', scenario, '--profile', 'sdm630', '--modbus-tcp', `127.0.0.1:${port}`, '--out', join(dir.path, out), ...extra], 60_000);
  return { ...run, junit: readFileSync(join(dir.path, out, 'junit.xml'), 'utf8'), html: readFileSync(join(dir.path, out, 'report.html'), 'utf8') };
}

/** "N readings: E exact, F flagged" from the run's output. */
function counts(output: string): { readings: number; exact: number; flagged: number } {
  const m = /no wrong value accepted unflagged: (\d+) readings: (\d+) exact, (\d+) flagged/.exec(output);
  if (!m) throw new Error(`no reading count in:\n${output}`);
  return { readings: Number(m[1]), exact: Number(m[2]), flagged: Number(m[3]) };
}

(ready ? describe : describe.skip)('meterchain hil run --modbus-tcp against pymodbus', () => {
  test('passes: every reading gives the stated values', async () => {
    const run = await hilRun(goodPort, 'clean');
    expect(run.code).toBe(0);
    expect(counts(run.output)).toEqual({ readings: 10, exact: 10, flagged: 0 });
    expect(run.junit).toContain('failures="0"');
  }, 70_000);

  test('with noise at a byte error rate of 1e-2: passes, garbled replies refused, no wrong value accepted unflagged', async () => {
    const run = await hilRun(goodPort, 'noise', '--noise', '1e-2');
    expect(run.code).toBe(0);
    expect(run.output).toContain('ok   no wrong value accepted unflagged');
    const c = counts(run.output);
    expect(c.exact).toBeGreaterThanOrEqual(2);
    // The noise was real: the proxy garbled bytes and the node saw replies that disagreed.
    const corrupted = Number(/<td>proxy \(line\)<\/td><td>corruptedBytes<\/td><td>(\d+)/.exec(run.html)?.[1]);
    const disagreements = Number(/<td>node \(bus\)<\/td><td>disagreements<\/td><td>(\d+)/.exec(run.html)?.[1]);
    expect(corrupted).toBeGreaterThan(20);
    expect(disagreements).toBeGreaterThan(0);
  }, 70_000);

  test('fails with exit 1 when the device serves a value outside its stated tolerance, naming it in the report', async () => {
    const run = await hilRun(badPort, 'out-of-tolerance');
    expect(run.code).toBe(1);
    expect(run.output).toContain('FAIL sdm630-stated-values');
    expect(run.junit).toContain('failures="1"');
    expect(run.junit).toMatch(/<failure message="no wrong value accepted unflagged[^"]*">[^<]*1-0:32\.7\.0 = 240 V, expected 230\.5 V ± 0\.5/);
    expect(run.html).toContain('1-0:32.7.0 = 240 V, expected 230.5 V ± 0.5');
    expect(run.html).toMatch(/<span class="fail">FAIL<\/span>/);
  }, 70_000);
});
