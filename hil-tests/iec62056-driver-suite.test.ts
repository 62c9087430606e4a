// The IEC 62056-21 readout passes the shared meter driver suite, as the Modbus drivers do: over a pty pair against
// the simulated mode C meter.
import { Iec62056Reader } from '@meterchain/modbus';
import { meterDriverSuite } from '@meterchain/modbus/compliance';
import { startSimulator } from '@meterchain/modbus/sim';
import { ptyPair, tempDir } from './support/pty.ts';

meterDriverSuite('IEC 62056-21 readout', async () => {
  const dir = tempDir('iec62056-suite');
  const pty = await ptyPair(dir.path);
  const sim = await startSimulator({ profile: 'iec62056', link: { kind: 'rtu', path: pty.b, baudRate: 300 }, seed: 8, tickMs: 0 });
  let simRunning = true;
  return {
    driver: new Iec62056Reader({ path: pty.a, timeoutMs: 1500 }),
    channels: ['1.8.0', '32.7.0'],
    silence: async () => {
      simRunning = false;
      await sim.close();
    },
    teardown: async () => {
      if (simRunning) await sim.close();
      await pty.stop();
      dir.remove();
    },
  };
});
