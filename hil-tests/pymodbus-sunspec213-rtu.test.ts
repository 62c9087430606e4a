// pymodbus serves a SunSpec 213 (float) meter over RTU on a pty pair with its map at 50000; meterchain finds the
// marker at the second base, reads the 126-register model in two requests, and turns NaN into null.
import { afterAll, beforeAll, expect, test } from '@jest/globals';
import { ModbusBus, SunSpecMeter } from '@meterchain/modbus';
import { SUNSPEC_213_EXPECTED, channelTable, sunspec213Points } from './support/fixtures.ts';
import type { Peer } from './support/process.ts';
import { requirePrograms, requirePymodbus } from './support/programs.ts';
import { ptyPair, tempDir, type PtyPair } from './support/pty.ts';
import { startPymodbus } from './support/pymodbus.ts';

const ready = requirePrograms('socat') && requirePymodbus(true);
const dir = tempDir('sunspec213');
let pty: PtyPair | undefined;
let peer: Peer | undefined;

beforeAll(async () => {
  if (!ready) return;
  pty = await ptyPair(dir.path);
  peer = await startPymodbus(dir.path, sunspec213Points(), { rtu: pty.b });
}, 30_000);

afterAll(async () => {
  await peer?.stop();
  await pty?.stop();
  dir.remove();
});

(ready ? test : test.skip)('a SunSpec 213 meter served by pymodbus over RTU is discovered at 50000 and read exactly', async () => {
  const bus = new ModbusBus({ link: { kind: 'rtu', path: pty!.a, baudRate: 9600, parity: 'none' }, timeoutMs: 2000 });
  const meter = new SunSpecMeter({ bus, unit: 1 });
  try {
    await meter.configure();
    expect(meter.discovered!.base).toBe(50000);
    expect(meter.discovered!.meter).toEqual({ id: 213, length: 124, address: 50070 });
    const sample = await meter.sample();
    expect(channelTable(sample.channels, Object.keys(SUNSPEC_213_EXPECTED))).toEqual(SUNSPEC_213_EXPECTED);
  } finally {
    await meter.close();
    await bus.close();
  }
});
