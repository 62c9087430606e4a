// RTU through a gateway: meterchain sends raw RTU frames over TCP to ser2net, which puts them on a pty where
// pymodbus answers as an RTU slave. meterchain reads exactly what pymodbus serves.
import { afterAll, beforeAll, expect, test } from '@jest/globals';
import { EastronMeter, ModbusBus } from '@meterchain/modbus';
import { SDM630_EXPECTED, SDM630_POINTS, channelTable } from './support/fixtures.ts';
import { freePort } from './support/net.ts';
import type { Peer } from './support/process.ts';
import { requirePrograms, requirePymodbus } from './support/programs.ts';
import { ptyPair, tempDir, type PtyPair } from './support/pty.ts';
import { startPymodbus } from './support/pymodbus.ts';
import { startSer2net } from './support/ser2net.ts';

const ready = requirePrograms('socat', 'ser2net') && requirePymodbus(true);
const dir = tempDir('ser2net');
let pty: PtyPair | undefined;
let peer: Peer | undefined;
let gateway: Peer | undefined;
let port = 0;

beforeAll(async () => {
  if (!ready) return;
  pty = await ptyPair(dir.path);
  peer = await startPymodbus(dir.path, SDM630_POINTS, { rtu: pty.b });
  port = await freePort();
  gateway = await startSer2net(dir.path, port, pty.a);
}, 30_000);

afterAll(async () => {
  await gateway?.stop();
  await peer?.stop();
  await pty?.stop();
  dir.remove();
});

(ready ? test : test.skip)('an SDM630 behind ser2net (raw RTU over TCP) reads back exactly', async () => {
  const bus = new ModbusBus({ link: { kind: 'rtu-over-tcp', host: '127.0.0.1', port }, timeoutMs: 2000 });
  const meter = new EastronMeter({ bus, unit: 1, model: 'SDM630' });
  try {
    const first = await meter.sample();
    expect(channelTable(first.channels, Object.keys(SDM630_EXPECTED))).toEqual(SDM630_EXPECTED);
    // A second cycle through the same gateway connection: no byte of the first is left to shift it.
    const second = await meter.sample();
    expect(channelTable(second.channels, Object.keys(SDM630_EXPECTED))).toEqual(SDM630_EXPECTED);
    expect(bus.counters.lateReplies).toBe(0);
  } finally {
    await meter.close();
    await bus.close();
  }
});
