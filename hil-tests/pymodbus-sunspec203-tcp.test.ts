// pymodbus serves a SunSpec 203 meter over TCP; meterchain discovers it at 40000 and reads integers with their
// scale factors exactly, "not implemented" values as null.
import { afterAll, beforeAll, expect, test } from '@jest/globals';
import { ModbusBus, SunSpecMeter } from '@meterchain/modbus';
import { SUNSPEC_203_EXPECTED, channelTable, sunspec203Points } from './support/fixtures.ts';
import { freePort } from './support/net.ts';
import type { Peer } from './support/process.ts';
import { requirePymodbus } from './support/programs.ts';
import { tempDir } from './support/pty.ts';
import { startPymodbus } from './support/pymodbus.ts';

const ready = requirePymodbus();
const dir = tempDir('sunspec203');
let peer: Peer | undefined;
let port = 0;

beforeAll(async () => {
  if (!ready) return;
  port = await freePort();
  peer = await startPymodbus(dir.path, sunspec203Points(), { tcp: port });
}, 30_000);

afterAll(async () => {
  await peer?.stop();
  dir.remove();
});

(ready ? test : test.skip)('a SunSpec 203 meter served by pymodbus over TCP is discovered and read exactly', async () => {
  const bus = new ModbusBus({ link: { kind: 'tcp', host: '127.0.0.1', port }, timeoutMs: 2000 });
  const meter = new SunSpecMeter({ bus, unit: 1 });
  try {
    await meter.configure();
    expect(meter.discovered!.base).toBe(40000);
    expect(meter.discovered!.models.map((m) => [m.id, m.address])).toEqual([[1, 40002], [203, 40070]]);
    expect(meter.discovered!.common).toMatchObject({ manufacturer: 'ACME', model: 'PM-2x', serialNumber: 'SN-42' });
    const sample = await meter.sample();
    expect(channelTable(sample.channels, Object.keys(SUNSPEC_203_EXPECTED))).toEqual(SUNSPEC_203_EXPECTED);
  } finally {
    await meter.close();
    await bus.close();
  }
});
