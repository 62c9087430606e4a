// Unplugging a serial adapter during a polling run: the pty pair is closed (the device end vanishes) and later
// recreated at the same path with the peer restarted. Only the samples of the outage are lost, they are reported
// as one gap, the bus reopens the port by itself, and polling resumes with exact values.
import { afterAll, expect, test } from '@jest/globals';
import { EastronMeter, ModbusBus } from '@meterchain/modbus';
import { QualityFlag } from '@meterchain/core';
import { SDM630_EXPECTED, SDM630_POINTS, channelTable } from './support/fixtures.ts';
import { outageGap, pollThroughOutage } from './support/outage.ts';
import type { Peer } from './support/process.ts';
import { requirePrograms, requirePymodbus } from './support/programs.ts';
import { ptyPair, tempDir, type PtyPair } from './support/pty.ts';
import { startPymodbus } from './support/pymodbus.ts';

const ready = requirePrograms('socat') && requirePymodbus(true);
const dir = tempDir('replug-pty');
let pty: PtyPair | undefined;
let peer: Peer | undefined;

afterAll(async () => {
  await peer?.stop();
  await pty?.stop();
  dir.remove();
});

(ready ? test : test.skip)('closing and recreating the pty loses only the outage samples, reported as a gap, then polling resumes', async () => {
  pty = await ptyPair(dir.path);
  peer = await startPymodbus(dir.path, SDM630_POINTS, { rtu: pty.b });
  const bus = new ModbusBus({ link: { kind: 'rtu', path: pty.a, baudRate: 9600, parity: 'none' }, timeoutMs: 600, retries: 1, backoffMs: 50, reopenAfterFailures: 2 });
  const meter = new EastronMeter({ bus, unit: 1, model: 'SDM630' });
  const run = await pollThroughOutage({
    driver: meter,
    // A poll cycle of the SDM630 at 9600 baud takes about 280 ms; a period of a second leaves room for a machine busy
    // with other tests, where a cycle that overran a shorter period would be reported (rightly) as a second gap.
    periodMs: 1000,
    slots: 20,
    unplugAtMs: 5200,
    replugAtMs: 9000,
    unplug: async () => {
      await peer!.stop();
      await pty!.stop();
    },
    replug: async () => {
      pty = await ptyPair(dir.path);
      peer = await startPymodbus(dir.path, SDM630_POINTS, { rtu: pty.b });
    },
  });
  await bus.close();
  // One gap for the outage; a poll cycle that overran its period on a busy machine may add one of its own.
  const gap = outageGap(run);
  const width = (g: { fromSlot: number; toSlot: number }) => g.toSlot - g.fromSlot + 1;
  // Lost in the outage: the slots that fell due while the adapter was away, plus at most one being sampled when it
  // went.
  expect(width(gap)).toBeGreaterThan(0);
  expect(width(gap)).toBeLessThanOrEqual(run.outageSlots + 1);
  const before = run.samples.filter((s) => s.slot < gap.fromSlot);
  const after = run.samples.filter((s) => s.slot > gap.toSlot);
  expect(before.length).toBeGreaterThanOrEqual(3);
  expect(after.length).toBeGreaterThanOrEqual(3);
  expect(after[0]!.sample.quality & QualityFlag.GAP).toBe(QualityFlag.GAP);
  expect(channelTable(after[after.length - 1]!.sample.channels, Object.keys(SDM630_EXPECTED))).toEqual(SDM630_EXPECTED);
  expect(bus.counters.reopens).toBeGreaterThanOrEqual(1);
}, 60_000);
