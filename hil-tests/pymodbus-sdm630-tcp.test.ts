// pymodbus serves an SDM630 register map over Modbus TCP; meterchain reads exactly the values it serves.
import { afterAll, beforeAll, expect, test } from '@jest/globals';
import { EastronMeter, ModbusBus } from '@meterchain/modbus';
import { SDM630_EXPECTED, SDM630_POINTS, channelTable } from './support/fixtures.ts';
import { freePort } from './support/net.ts';
import type { Peer } from './support/process.ts';
import { requirePymodbus } from './support/programs.ts';
import { tempDir } from './support/pty.ts';
import { startPymodbus } from './support/pymodbus.ts';

const ready = requirePymodbus();
const dir = tempDir('sdm630-tcp');
let peer: Peer | undefined;
let port = 0;

beforeAll(async () => {
  if (!ready) return;
  port = await freePort();
  peer = await startPymodbus(dir.path, SDM630_POINTS, { tcp: port });
}, 30_000);

afterAll(async () => {
  await peer?.stop();
  dir.remove();
});

(ready ? test : test.skip)('an SDM630 served by pymodbus over TCP reads back exactly, as fixed-point channels', async () => {
  const bus = new ModbusBus({ link: { kind: 'tcp', host: '127.0.0.1', port }, timeoutMs: 2000 });
  const meter = new EastronMeter({ bus, unit: 1, model: 'SDM630' });
  try {
    await meter.configure();
    const sample = await meter.sample();
    expect(channelTable(sample.channels, Object.keys(SDM630_EXPECTED))).toEqual(SDM630_EXPECTED);
    expect(sample.quality).toBe(0);
    expect(sample.missing).toEqual([]);
  } finally {
    await meter.close();
    await bus.close();
  }
});
