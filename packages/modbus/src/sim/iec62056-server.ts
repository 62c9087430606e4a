// IEC 62056-21 mode C meter simulator on a serial port: answers the request message with an identification,
// switches baud rate on the option select, sends the data message (repeats it on NAK), with injected faults.
import { dataMessage, identificationMessage, parseOptionSelect, MODE_C_BAUD, SIGN_ON_BAUD, NAK } from '@meterchain/meters';
import { SerialLine, lineEnd } from '../serial-line.ts';
import { mulberry32 } from '@meterchain/core';
import { phaseQuantities, type MeterSimulation } from './physics.ts';
import type { Faults } from './slave.ts';
import type { RunningServer } from './servers.ts';

function fixed(value: number, width: number, decimals: number): string {
  const text = Math.abs(value).toFixed(decimals);
  return (value < 0 ? '-' : '') + text.padStart(width, '0');
}

/** The data lines a simulated meter reads out (OBIS reduced codes, values with units). */
export function readoutLines(simulation: MeterSimulation, serial: string): string[] {
  const s = simulation.state;
  const q = s.phases.map(phaseQuantities);
  const lines = [`0.0.0(${serial})`, 'F.F(00000000)', `1.8.0(${fixed(s.importWh / 1000, 11, 3)}*kWh)`, `2.8.0(${fixed(s.exportWh / 1000, 11, 3)}*kWh)`];
  const codes = [[32, 31, 21], [52, 51, 41], [72, 71, 61]];
  for (let i = 0; i < 3; i++) {
    lines.push(`${codes[i]![0]}.7.0(${fixed(q[i]!.voltage, 5, 1)}*V)`);
    lines.push(`${codes[i]![1]}.7.0(${fixed(q[i]!.current, 6, 2)}*A)`);
  }
  lines.push(`14.7.0(${fixed(s.frequency, 5, 2)}*Hz)`);
  lines.push(`16.7.0(${fixed((q[0]!.activePower + q[1]!.activePower + q[2]!.activePower) / 1000, 6, 3)}*kW)`);
  return lines;
}

export interface Iec62056SimOptions {
  path: string;
  simulation: MeterSimulation;
  /** Baud character offered in the identification ('5' = 9600). */
  baudChar?: string;
  serial?: string;
  faults?: Faults;
  seed?: number;
}

/** Runs the meter side of mode C on `path` until closed. */
export async function serveIec62056(options: Iec62056SimOptions): Promise<RunningServer & { readouts: () => number }> {
  const line = new SerialLine(options.path);
  await line.open({ path: options.path, baudRate: SIGN_ON_BAUD, dataBits: 7, parity: 'even', stopBits: 1 });
  const random = mulberry32((options.seed ?? 1) ^ 0x62056);
  const faults = options.faults ?? {};
  const baudChar = options.baudChar ?? '5';
  let running = true;
  let readouts = 0;
  // Reaction time tr: 200 ms to 1500 ms before an answer (the manufacturer code is upper case: no 20 ms mode).
  const reaction = () => new Promise<void>((resolve) => setTimeout(resolve, 300));
  const session = async () => {
    await line.receive((b) => lineEnd(b, '/?'), 3_600_000, 'request');
    if (faults.timeout !== undefined && random() < faults.timeout) return;
    await reaction();
    await line.write(identificationMessage('MCS', baudChar, 'meterchain-sim'));
    const select = await line.receive((b) => lineEnd(b, '\x06'), 3000, 'option select').catch(() => null);
    if (select === null) return;
    const option = parseOptionSelect(select.toString('latin1').slice(select.indexOf(0x06)));
    if (option === null || MODE_C_BAUD[option.baudChar] === undefined) return;
    const rate = MODE_C_BAUD[option.baudChar]!;
    if (rate !== SIGN_ON_BAUD) await line.setBaudRate(rate);
    try {
      // On a pty the option select arrives at once; on a wire its last character comes 200 ms later at 300
      // baud, and only then does the reaction time start. Emulate both so the reader has switched its rate.
      await new Promise<void>((resolve) => setTimeout(resolve, 200));
      await reaction();
      const message = dataMessage(readoutLines(options.simulation, options.serial ?? '12345678'));
      const first = Uint8Array.from(message);
      if (faults.crc !== undefined && random() < faults.crc) first[first.length - 1] ^= 0x01;
      await line.write(first);
      readouts++;
      // The reader may ask for a repeat with NAK (§6.3.5).
      // Anything else (the next sign-on) stays buffered for the next session.
      const answer = await line.receive((b) => (b.length > 0 && b[0] === NAK ? 1 : 0), 300, 'NAK').catch(() => null);
      if (answer !== null) await line.write(message);
      // serialport's update() flushes the output queue: let the message leave before going back to 300 baud.
      await new Promise<void>((resolve) => setTimeout(resolve, Math.ceil((message.length * 10 * 1000) / rate) + 50));
    } finally {
      if (line.isOpen) await line.setBaudRate(SIGN_ON_BAUD);
    }
  };
  const loop = async () => {
    for (let i = 0; running && i < 1_000_000; i++) {
      try {
        await session();
      } catch {
        if (!line.isOpen) return;
      }
    }
  };
  void loop();
  return {
    where: `iec62056 ${options.path}`,
    port: 0,
    readouts: () => readouts,
    close: async () => {
      running = false;
      await line.close();
    },
  };
}
