// A meter that refuses a block read spanning registers it lacks (pymodbus with a sparse map answers exception 2, as
// many real meters do): the driver splits the refused read once, reads every register the device has with its exact
// value, names the registers it lacks, and keeps the learned plan (later samples send no refused read).
import { afterAll, beforeAll, expect, test } from '@jest/globals';
import { QualityFlag } from '@meterchain/core';
import { EastronMeter, ModbusBus } from '@meterchain/modbus';
import { SDM630_EXPECTED, SDM630_POINTS, channelTable } from './support/fixtures.ts';
import { freePort } from './support/net.ts';
import type { Peer } from './support/process.ts';
import { requirePymodbus } from './support/programs.ts';
import { tempDir } from './support/pty.ts';
import { startPymodbus } from './support/pymodbus.ts';

const ready = requirePymodbus();
const dir = tempDir('sparse');
let peer: Peer | undefined;
let port = 0;

beforeAll(async () => {
  if (!ready) return;
  port = await freePort();
  peer = await startPymodbus(dir.path, SDM630_POINTS, { tcp: port }, 1, { sparse: true });
}, 30_000);

afterAll(async () => {
  await peer?.stop();
  dir.remove();
});

(ready ? test : test.skip)('block reads refused across holes are split once; every present register reads exactly', async () => {
  const bus = new ModbusBus({ link: { kind: 'tcp', host: '127.0.0.1', port }, timeoutMs: 2000, retries: 0 });
  const meter = new EastronMeter({ bus, unit: 1, model: 'SDM630' });
  try {
    const first = await meter.sample();
    expect(channelTable(first.channels, Object.keys(SDM630_EXPECTED))).toEqual(SDM630_EXPECTED);
    expect(first.channels).toHaveLength(Object.keys(SDM630_EXPECTED).length);
    // The 16 channels the device lacks are named, each with its register and the exception.
    expect(first.missing).toHaveLength(32 - 16);
    expect(first.absent!['1-0:29.7.0']).toBe('the device lacks 18 (0x0012, 30019) (illegal data address, exception 2)');
    expect(first.learned!.join('\n')).toMatch(/read of 80 registers at 0 \(0x0000, 30001\) refused \(illegal data address, exception 2\): split into \d+ reads/);
    // The refusals taught the plan: they are no trouble on the bus.
    expect(first.quality).toBe(QualityFlag.PARTIAL);
    expect(first.error).toBeUndefined();

    const second = await meter.sample();
    expect(second.comm.exceptions).toBe(0);
    expect(second.learned).toBeUndefined();
    expect(channelTable(second.channels, Object.keys(SDM630_EXPECTED))).toEqual(SDM630_EXPECTED);
    expect(second.quality).toBe(QualityFlag.PARTIAL);
    expect(Object.keys(second.absent!).sort()).toEqual([...first.missing].sort());
  } finally {
    await meter.close();
    await bus.close();
  }
}, 60_000);
