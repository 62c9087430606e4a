// `meterchain sim-device`: a simulated meter for tests and labs, serving realistic changing values with faults.
import { SIM_PROFILES, parseFaults, startSimulator, type Faults, type SimLink, type SimProfile } from '@meterchain/modbus/sim';
import { UsageError, intOption, parse, type Command } from '../command.ts';
import { baudOption, hostPort } from './modbus.ts';

const USAGE = `usage: meterchain sim-device --profile sdm630|sunspec-203|sunspec-213|iec62056 LINK [--unit ID] [--seed N]
                             [--faults LIST] [--tick MS] [--duration S] [--sunspec-dir DIR]

LINK is one of --tcp HOST:PORT (Modbus TCP; port 0 picks a free one), --rtu PATH [--baud B] [--parity P]
(a serial port or one end of a pty pair), --rtu-tcp HOST:PORT (raw RTU frames over TCP, like an RS-485 gateway).
The iec62056 profile needs --rtu PATH (300 baud 7E1 sign-on, offers 9600).

Values change every --tick milliseconds (default 1000; 0 freezes them) and are deterministic for a --seed.
--faults injects faults per request, drawn from the seed:
  timeout:P          no answer with probability P
  crc:P              reply with a corrupted CRC (RTU) / BCC (iec62056)
  exception:P[:CODE] Modbus exception CODE (default 4)
  delay:P[:MS]       reply MS late (default 1500, past a typical timeout)
  exception@ADDR:CODE  every read covering register ADDR gets exception CODE
  stuck              values stop changing
e.g. --faults timeout:0.05,crc:0.02,exception@70:2
Prints "serving PROFILE unit ID on LINK" when ready; stops on SIGINT/SIGTERM or after --duration seconds.`;

export const command: Command = {
  name: 'sim-device',
  summary: 'simulate an SDM630, SunSpec 203/213 or IEC 62056-21 meter, with faults',
  usage: USAGE,
  async run(argv, io) {
    const { values } = parse(argv, {
      profile: { type: 'string' }, tcp: { type: 'string' }, rtu: { type: 'string' }, 'rtu-tcp': { type: 'string' }, baud: { type: 'string' },
      parity: { type: 'string' }, unit: { type: 'string' }, seed: { type: 'string' }, faults: { type: 'string' }, tick: { type: 'string' },
      duration: { type: 'string' }, 'sunspec-dir': { type: 'string' },
    });
    const profile = values.profile as SimProfile | undefined;
    if (profile === undefined || !SIM_PROFILES.includes(profile)) throw new UsageError(`--profile expects one of ${SIM_PROFILES.join(', ')}, got '${profile ?? ''}'`);
    const given = [values.tcp, values.rtu, values['rtu-tcp']].filter((v) => v !== undefined).length;
    if (given !== 1) throw new UsageError('give exactly one of --tcp HOST:PORT, --rtu PATH, --rtu-tcp HOST:PORT');
    let link: SimLink;
    if (values.tcp !== undefined) link = { kind: 'tcp', ...hostPort(values.tcp, 'tcp') };
    else if (values['rtu-tcp'] !== undefined) link = { kind: 'rtu-over-tcp', ...hostPort(values['rtu-tcp'], 'rtu-tcp') };
    else {
      const parity = values.parity ?? 'none';
      if (parity !== 'none' && parity !== 'even' && parity !== 'odd') throw new UsageError(`--parity expects none, even or odd, got '${parity}'`);
      link = { kind: 'rtu', path: values.rtu!, baudRate: baudOption(values.baud, 'baud', 9600), parity };
    }
    const unit = intOption(values.unit, 'unit', 1);
    if (unit < 1 || unit > 247) throw new UsageError(`--unit expects 1-247, got ${unit}`);
    let faults: Faults = {};
    try {
      if (values.faults !== undefined) faults = parseFaults(values.faults);
    } catch (e) {
      throw new UsageError(`--faults: ${(e as Error).message}`);
    }
    const options = { profile, link, unit, seed: intOption(values.seed, 'seed', 1), faults, tickMs: intOption(values.tick, 'tick', 1000) } as Parameters<typeof startSimulator>[0];
    if (values['sunspec-dir'] !== undefined) options.sunspecDir = values['sunspec-dir'];
    // Every option is checked before anything is served: an error after the start would leave the server running.
    const duration = values.duration === undefined ? 0 : intOption(values.duration, 'duration');
    const sim = await startSimulator(options);
    io.out(`serving ${profile} unit ${unit} on ${sim.where}`);
    await new Promise<void>((resolve) => {
      const stop = () => resolve();
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
      if (duration > 0) setTimeout(stop, duration * 1000);
    });
    await sim.close();
    if (sim.slave) {
      const c = sim.slave.counters;
      io.err(`sim-device: ${c.requests} requests, ${c.replies} replies, ${c.exceptions} exceptions, ${c.dropped} dropped, ${c.corrupted} corrupted, ${c.delayed} delayed`);
    }
    return 0;
  },
};
