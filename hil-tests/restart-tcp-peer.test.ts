// A Modbus TCP device restarting during a polling run (peer killed, then started again on the same port): only the
// samples of the outage are lost, reported as one gap; the bus reconnects by itself and polling resumes.
import { afterAll, expect, test } from '@jest/globals';
import { EastronMeter, ModbusBus } from '@meterchain/modbus';
import { QualityFlag } from '@meterchain/core';
import { SDM630_EXPECTED, SDM630_POINTS, channelTable } from './support/fixtures.ts';
import { freePort } from './support/net.ts';
import { outageGap, pollThroughOutage } from './support/outage.ts';
import type { Peer } from './support/process.ts';
import { requirePymodbus } from './support/programs.ts';
import { tempDir } from './support/pty.ts';
import { startPymodbus } from './support/pymodbus.ts';

const ready = requirePymodbus();
const dir = tempDir('restart-tcp');
let peer: Peer | undefined;

afterAll(async () => {
  await peer?.stop();
  dir.remove();
});

(ready ? test : test.skip)('killing and restarting the TCP peer loses only the outage samples, reported as a gap, then polling resumes', async () => {
  const port = await freePort();
  peer = await startPymodbus(dir.path, SDM630_POINTS, { tcp: port });
  const bus = new ModbusBus({ link: { kind: 'tcp', host: '127.0.0.1', port }, timeoutMs: 600, retries: 1, backoffMs: 50, reopenAfterFailures: 2 });
  const meter = new EastronMeter({ bus, unit: 1, model: 'SDM630' });
  const run = await pollThroughOutage({
    driver: meter,
    periodMs: 500,
    slots: 24,
    unplugAtMs: 2600,
    replugAtMs: 5000,
    unplug: async () => {
      peer!.child.kill('SIGKILL');
      await peer!.exited;
    },
    replug: async () => {
      peer = await startPymodbus(dir.path, SDM630_POINTS, { tcp: port });
    },
  });
  await bus.close();
  // One gap for the outage; a poll cycle that overran its period on a busy machine may add one of its own.
  const gap = outageGap(run);
  expect(gap.toSlot - gap.fromSlot + 1).toBeGreaterThan(0);
  expect(gap.toSlot - gap.fromSlot + 1).toBeLessThanOrEqual(run.outageSlots + 1);
  const after = run.samples.filter((s) => s.slot > gap.toSlot);
  expect(run.samples.filter((s) => s.slot < gap.fromSlot).length).toBeGreaterThanOrEqual(3);
  expect(after.length).toBeGreaterThanOrEqual(3);
  expect(after[0]!.sample.quality & QualityFlag.GAP).toBe(QualityFlag.GAP);
  expect(channelTable(after[after.length - 1]!.sample.channels, Object.keys(SDM630_EXPECTED))).toEqual(SDM630_EXPECTED);
  expect(bus.counters.reopens).toBeGreaterThanOrEqual(1);
}, 60_000);
