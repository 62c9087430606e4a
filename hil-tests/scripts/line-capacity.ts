// How many SDM630 meters one RS-485 line carries per round: a socat pty line with the simulator pacing each reply
// by the wire time of request and reply at the baud rate (a pty has no line speed of its own), one meter read as a
// node reads it (EastronMeter on a ModbusBus). A node samples twice a round (its reading and the look-ahead that
// releases it) and its submission should leave half the round for the votes: a line carries
// floor(roundMs / 2 / (2 × sample time)) meters.
//
//   npx tsx hil-tests/scripts/line-capacity.ts [--samples 20]
import { parseArgs } from 'node:util';
import { EastronMeter, ModbusBus } from '@meterchain/modbus';
import { startSimulator } from '@meterchain/modbus/sim';
import { ptyPair, tempDir } from '../support/pty.ts';

const { values } = parseArgs({ options: { samples: { type: 'string' } } });
const samples = Number(values.samples ?? 20);
const dir = tempDir('line-capacity');
const rows: string[] = [];
try {
  for (const baudRate of [9600, 19200, 115200]) {
    const pty = await ptyPair(dir.path, [`a${baudRate}`, `b${baudRate}`]);
    const sim = await startSimulator({ profile: 'sdm630', link: { kind: 'rtu', path: pty.b, baudRate, parity: 'even', paceLine: true }, unit: 1, tickMs: 0 });
    const bus = new ModbusBus({ link: { kind: 'rtu', path: pty.a, baudRate, parity: 'even' }, timeoutMs: 2000, retries: 0 });
    const meter = new EastronMeter({ bus, unit: 1, model: 'SDM630' });
    try {
      for (let i = 0; i < 2; i++) await meter.sample();
      const times: number[] = [];
      for (let i = 0; i < samples; i++) {
        const t = performance.now();
        const s = await meter.sample();
        times.push(performance.now() - t);
        if (s.missing.length > 0) throw new Error(`sample ${i} at ${baudRate} missed ${s.missing.length} channels`);
      }
      times.sort((a, b) => a - b);
      const mean = times.reduce((a, b) => a + b, 0) / times.length;
      const worst = times[times.length - 1]!;
      const perRound = (roundMs: number) => Math.floor(roundMs / 2 / (2 * worst));
      rows.push(`| ${baudRate} 8E1 | ${mean.toFixed(1)} ms | ${worst.toFixed(1)} ms | ${perRound(1000)} | ${perRound(5000)} | ${perRound(15000)} |`);
    } finally {
      await bus.close();
      await sim.close();
      await pty.stop();
    }
  }
} finally {
  dir.remove();
}
console.log(`SDM630 sample on a paced pty line, ${samples} samples per baud rate; meters per line = floor(round / 2 / (2 × slowest sample))`);
console.log('| line | mean sample | slowest | meters per line, 1 s round | 5 s round | 15 s round |');
console.log('| --- | --- | --- | --- | --- | --- |');
for (const row of rows) console.log(row);
