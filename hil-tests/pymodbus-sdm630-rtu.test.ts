// pymodbus serves an SDM630 register map over Modbus RTU on a socat pty pair; meterchain reads exactly its values.
import { afterAll, beforeAll, expect, test } from '@jest/globals';
import { EastronMeter, ModbusBus } from '@meterchain/modbus';
import { SDM630_EXPECTED, SDM630_POINTS, channelTable } from './support/fixtures.ts';
import type { Peer } from './support/process.ts';
import { requirePrograms, requirePymodbus } from './support/programs.ts';
import { ptyPair, tempDir, type PtyPair } from './support/pty.ts';
import { startPymodbus } from './support/pymodbus.ts';

const ready = requirePrograms('socat') && requirePymodbus(true);
const dir = tempDir('sdm630-rtu');
let pty: PtyPair | undefined;
let peer: Peer | undefined;

beforeAll(async () => {
  if (!ready) return;
  pty = await ptyPair(dir.path);
  peer = await startPymodbus(dir.path, SDM630_POINTS, { rtu: pty.b });
}, 30_000);

afterAll(async () => {
  await peer?.stop();
  await pty?.stop();
  dir.remove();
});

(ready ? test : test.skip)('an SDM630 served by pymodbus over RTU (9600 8N1) reads back exactly', async () => {
  const bus = new ModbusBus({ link: { kind: 'rtu', path: pty!.a, baudRate: 9600, parity: 'none' }, timeoutMs: 2000 });
  const meter = new EastronMeter({ bus, unit: 1, model: 'SDM630' });
  try {
    const sample = await meter.sample();
    expect(channelTable(sample.channels, Object.keys(SDM630_EXPECTED))).toEqual(SDM630_EXPECTED);
    expect(sample.quality).toBe(0);
  } finally {
    await meter.close();
    await bus.close();
  }
});
