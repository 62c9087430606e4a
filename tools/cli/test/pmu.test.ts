// `meterchain pmu sim` and `meterchain pmu read` as a user runs them: the simulator in one process, the reader in
// another, over loopback TCP and TCP+UDP; bad input gives one line and exit 2.
import { afterAll, beforeAll, expect, test } from '@jest/globals';
import { spawn, type ChildProcess } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { join } from 'node:path';
import { isOneLineError, meterchain, repoRoot } from './run.ts';

const bin = join(repoRoot, 'tools', 'cli', 'bin', 'meterchain.js');
const sims: ChildProcess[] = [];

async function startSim(args: string[]): Promise<string> {
  const child = spawn(process.execPath, [bin, 'pmu', 'sim', '--port', '0', '--seconds', '60', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  sims.push(child);
  let out = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`simulator did not start: ${out}`)), 20_000);
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /listening on (\S+) /.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]!);
      }
    });
  });
}

async function freeUdpPort(): Promise<number> {
  const s = createSocket('udp4');
  await new Promise<void>((r) => s.bind(0, '127.0.0.1', () => r()));
  const port = s.address().port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

let tcp = '';
let udpSim = '';
let udpPort = 0;
beforeAll(async () => {
  udpPort = await freeUdpPort();
  [tcp, udpSim] = await Promise.all([startSim(['--stations', '2', '--event', 'step:0:2:30']), startSim(['--udp-data', String(udpPort), '--rate', '60', '--nominal', '60'])]);
}, 40_000);

afterAll(async () => {
  // SIGTERM stops a simulator at once (its --seconds 60 is only a backstop): it says so and exits 0.
  const exits = sims.map((s) => new Promise<number | null>((resolve) => s.once('exit', (code) => resolve(code))));
  for (const s of sims) s.kill('SIGTERM');
  const codes = await Promise.race([Promise.all(exits), new Promise<string>((r) => setTimeout(() => r('still running 10 s after SIGTERM'), 10_000))]);
  expect(codes).toEqual([0, 0]);
}, 20_000);

test('pmu read prints the configuration and the frames asked for, with the stream counts', async () => {
  const r = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
    const child = spawn(process.execPath, [bin, 'pmu', 'read', '--tcp', tcp, '--frames', '5'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  expect(r.stdout).toMatch(/^# stream IDCODE 7: 2 PMU\(s\), 50 frames\/s, TIME_BASE 1000000, CFG-2$/m);
  expect(r.stdout).toMatch(/^# SIM-PMU-2 \(IDCODE 101\): 50 Hz, CFGCNT 0/m);
  // Station 2 sits 4° behind station 1 and its angle stepped by +30°: 26° ahead.
  const lines = r.stdout.split('\n').filter((l) => l.includes(' SIM-PMU-2 f='));
  expect(lines).toHaveLength(5);
  expect(lines[0]).toMatch(/VA=230940\.1 V 26\.00°/);
  expect(r.stdout).toMatch(/^# 5 frames, 0 missing, 0 duplicates, 0 out of order, 0 with time-quality problems, 0 undecodable$/m);
}, 30_000);

test('pmu read --udp receives the data frames as datagrams and --json prints one document', async () => {
  const r = await new Promise<{ code: number | null; stdout: string }>((resolve) => {
    const child = spawn(process.execPath, [bin, 'pmu', 'read', '--tcp', udpSim, '--udp', String(udpPort), '--frames', '12', '--json'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.on('close', (code) => resolve({ code, stdout }));
  });
  expect(r.code).toBe(0);
  const doc = JSON.parse(r.stdout) as { config: { dataRate: number }; frames: { values: { frequency: number }[] }[]; counts: { frames: number; missing: number } };
  expect(doc.config.dataRate).toBe(60);
  expect(doc.frames).toHaveLength(12);
  expect(doc.frames[0]!.values[0]!.frequency).toBeCloseTo(60, 4);
  expect(doc.counts.missing).toBe(0);
}, 30_000);

test('bad input: one line on stderr and exit 2', () => {
  for (const args of [['pmu', 'read'], ['pmu', 'read', '--tcp', 'no-port'], ['pmu', 'read', '--tcp', 'h:70000'], ['pmu', 'read', '--tcp', 'h:1', '--frames', 'x'], ['pmu', 'sim', '--event', 'bogus:1'], ['pmu', 'nope']]) {
    const r = meterchain(args);
    expect(r.code).toBe(2);
    expect(isOneLineError(r)).toBe(true);
  }
});

test('a PMU that is not there: one line and exit 1', () => {
  const r = meterchain(['pmu', 'read', '--tcp', '127.0.0.1:1', '--timeout', '1000']);
  expect(r.code).toBe(1);
  expect(r.stderr.trim()).toMatch(/^meterchain pmu: cannot connect to 127\.0\.0\.1:1/);
  expect(isOneLineError(r)).toBe(true);
});
