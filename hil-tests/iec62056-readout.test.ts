// IEC 62056-21 mode C over a pty pair: sign-on at 300 baud 7E1, identification, baud switch to 9600, data message
// with a good BCC; the channels are the simulated meter's values, exact to the digits it printed.
import { afterAll, beforeAll, expect, test } from '@jest/globals';
import { Iec62056Reader } from '@meterchain/modbus';
import { startSimulator, type RunningSimulator } from '@meterchain/modbus/sim';
import { requirePrograms } from './support/programs.ts';
import { ptyPair, tempDir, type PtyPair } from './support/pty.ts';

const ready = requirePrograms('socat');
const dir = tempDir('iec62056');
let pty: PtyPair | undefined;
let sim: RunningSimulator | undefined;

beforeAll(async () => {
  if (!ready) return;
  pty = await ptyPair(dir.path);
  sim = await startSimulator({ profile: 'iec62056', link: { kind: 'rtu', path: pty.b, baudRate: 300 }, seed: 8, tickMs: 0 });
}, 30_000);

afterAll(async () => {
  await sim?.close();
  await pty?.stop();
  dir.remove();
});

(ready ? test : test.skip)('a mode C readout switches to 9600 baud and returns OBIS channels with exact values', async () => {
  const reader = new Iec62056Reader({ path: pty!.a, timeoutMs: 5000 });
  try {
    const sample = await reader.sample();
    expect(sample.identification).toMatchObject({ manufacturer: 'MCS', baudChar: '5', baudRate: 9600, identification: 'meterchain-sim' });
    expect(sample.baudRate).toBe(9600);
    expect(sample.bccErrors).toBe(0);
    expect(sample.quality).toBe(0);
    const state = sim!.simulation.state;
    const energy = sample.channels.find((c) => c.id === '1.8.0')!;
    // kWh with 3 decimals is Wh exactly.
    expect(energy).toEqual({ id: '1.8.0', value: Math.round(state.importWh), scale: 0, unit: 'Wh' });
    const volts = sample.channels.find((c) => c.id === '32.7.0')!;
    expect(volts).toEqual({ id: '32.7.0', value: Math.round(state.phases[0].voltage * 10), scale: -1, unit: 'V' });
    expect(sample.dataSets[0]).toEqual({ address: '0.0.0', values: [{ value: '12345678', unit: '' }] });
    // A second readout on the same port starts again at 300 baud.
    expect((await reader.sample()).channels.length).toBe(sample.channels.length);
  } finally {
    await reader.close();
  }
}, 60_000);
