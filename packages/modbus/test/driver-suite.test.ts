// Every Modbus meter driver passes the shared meter driver suite against the simulators over TCP.
import { parseRegisterMap, EastronMeter, ModbusBus, RegisterMapMeter, SunSpecMeter, type MeterDriver, type MeterSample } from '../src/index.ts';
import { startSimulator, type SimProfile } from '../src/sim/index.ts';
import { meterDriverSuite, type DriverHarness } from '../compliance/index.ts';

const MAP = parseRegisterMap(`
device: SDM630 via generic map
registers:
  - { channel: "1-0:32.7.0", address: 0, function: input, type: float32, scale: -1, unit: V }
  - { channel: "1-0:14.7.0", address: 70, function: input, type: float32, scale: -3, unit: Hz }
  - { channel: "1-0:31.7.0", address: 6, function: input, type: float32, scale: -3, unit: A }
`);

/** A driver on a fresh simulator of `profile`, on a bus that gives up after one 300 ms attempt. */
function harness(profile: SimProfile, channels: string[], make: (bus: ModbusBus) => MeterDriver<MeterSample>): () => Promise<DriverHarness> {
  return async () => {
    const sim = await startSimulator({ profile, link: { kind: 'tcp', host: '127.0.0.1', port: 0 }, unit: 1, seed: 5, tickMs: 0 });
    const bus = new ModbusBus({ link: { kind: 'tcp', host: '127.0.0.1', port: sim.port }, timeoutMs: 300, retries: 0 });
    let simRunning = true;
    return {
      driver: make(bus),
      channels,
      silence: async () => {
        simRunning = false;
        await sim.close();
      },
      teardown: async () => {
        await bus.close();
        if (simRunning) await sim.close();
      },
    };
  };
}

meterDriverSuite('Eastron SDM630', harness('sdm630', ['1-0:32.7.0', '1-0:31.7.0', '1-0:1.8.0'], (bus) => new EastronMeter({ bus, unit: 1, model: 'SDM630' })));
meterDriverSuite('Eastron SDM120 profile on an SDM630', harness('sdm630', ['1-0:32.7.0'], (bus) => new EastronMeter({ bus, unit: 1, model: 'SDM120' })));
meterDriverSuite('SunSpec 203', harness('sunspec-203', [], (bus) => new SunSpecMeter({ bus, unit: 1 })));
meterDriverSuite('SunSpec 213', harness('sunspec-213', [], (bus) => new SunSpecMeter({ bus, unit: 1 })));
if (!MAP.ok) throw new Error(`driver suite: the test map does not parse: ${MAP.reason}`);
meterDriverSuite('register map', harness('sdm630', ['1-0:32.7.0', '1-0:14.7.0', '1-0:31.7.0'], (bus) => new RegisterMapMeter({ bus, unit: 1, map: MAP.map })));
