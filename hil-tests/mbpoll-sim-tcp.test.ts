// mbpoll (a third-party master) reads meterchain's SDM630 simulator, started as `meterchain sim-device`, over
// Modbus TCP: it gets the registers the simulator serves for its seed.
import { afterAll, beforeAll, expect, test } from '@jest/globals';
import { MeterSimulation, Sdm630Image } from '@meterchain/modbus/sim';
import { freePort } from './support/net.ts';
import { mbpollOnce } from './support/mbpoll.ts';
import { meterchainBin } from './support/paths.ts';
import { startProcess, type Peer } from './support/process.ts';
import { requirePrograms } from './support/programs.ts';

const ready = requirePrograms('mbpoll');
let sim: Peer | undefined;
let port = 0;

beforeAll(async () => {
  if (!ready) return;
  port = await freePort();
  sim = startProcess(process.execPath, [meterchainBin, 'sim-device', '--profile', 'sdm630', '--tcp', `127.0.0.1:${port}`, '--seed', '5', '--tick', '0', '--unit', '3']);
  await sim.waitFor(/serving sdm630 unit 3 on tcp/, 30_000);
}, 40_000);

afterAll(async () => {
  await sim?.stop();
});

(ready ? test : test.skip)('mbpoll reads over TCP the input registers the simulator serves for its seed', async () => {
  const image = new Sdm630Image();
  image.update(new MeterSimulation(5));
  // References are 1-based in mbpoll: 1 is register 0 (L1 voltage), 0x47 + 1 is frequency.
  const words = await mbpollOnce(['-m', 'tcp', '-p', String(port), '-a', '3', '-r', '1', '-c', '12', '-t', '3:hex', '-o', '2', '127.0.0.1']);
  expect(words.code).toBe(0);
  for (let i = 0; i < 12; i++) expect(Number(words.values.get(i + 1))).toBe(image.input[i]);
  const frequency = await mbpollOnce(['-m', 'tcp', '-p', String(port), '-a', '3', '-r', String(0x46 + 1), '-c', '1', '-t', '3:float', '-B', '-o', '2', '127.0.0.1']);
  const view = new DataView(new ArrayBuffer(4));
  view.setUint16(0, image.input[0x46]!);
  view.setUint16(2, image.input[0x47]!);
  expect(Number(frequency.values.get(0x46 + 1))).toBeCloseTo(view.getFloat32(0), 3);
}, 30_000);
