// The node's sensors are meter drivers and pass the shared meter driver suite: the simulated three-phase meter (no
// line to lose) and a Modbus meter behind the node's retrying device sensor.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EastronMeter, ModbusBus } from '@meterchain/modbus';
import { meterDriverSuite } from '@meterchain/modbus/compliance';
import { startSimulator } from '@meterchain/modbus/sim';
import { SimulatedThreePhase, modbusSensor } from '../src/sensor.ts';

const THREE_PHASE = ['1-0:32.7.0', '1-0:31.7.0', '1-0:16.7.0', '1-0:14.7.0', '1-0:1.8.0'];

meterDriverSuite('simulated three-phase sensor', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'mc-sensor-suite-'));
  return {
    driver: new SimulatedThreePhase(3, join(dir, 'registers.json')),
    channels: THREE_PHASE,
    teardown: async () => rmSync(dir, { recursive: true, force: true }),
  };
}, { line: false });

meterDriverSuite('device sensor on an SDM630 over TCP', async () => {
  const sim = await startSimulator({ profile: 'sdm630', link: { kind: 'tcp', host: '127.0.0.1', port: 0 }, unit: 1, seed: 5, tickMs: 0 });
  const bus = new ModbusBus({ link: { kind: 'tcp', host: '127.0.0.1', port: sim.port }, timeoutMs: 300, retries: 0 });
  let simRunning = true;
  return {
    driver: modbusSensor(bus, new EastronMeter({ bus, unit: 1, model: 'SDM630' }), undefined, () => bus.close()),
    channels: ['1-0:32.7.0', '1-0:31.7.0', '1-0:1.8.0'],
    silence: async () => {
      simRunning = false;
      await sim.close();
    },
    teardown: async () => {
      if (simRunning) await sim.close();
    },
  };
});
