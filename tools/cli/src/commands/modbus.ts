// `meterchain modbus read|scan`: read a meter's channels over Modbus RTU, TCP or RTU-over-TCP; find the units
// and SunSpec models on a bus.
import { qualityNames } from '@meterchain/core';
import { formatChannel } from '@meterchain/meters';
import {
  EastronMeter, ModbusBus, ModbusError, ModbusExceptionError, RegisterMapMeter, SunSpecMeter, loadRegisterMap, loadSunSpecModels,
  type Link, type MeterDriver, type Parity,
} from '@meterchain/modbus';
import { InputError, InvalidError, UsageError, intOption, parse, type Command, type Io } from '../command.ts';

const USAGE = `usage: meterchain modbus read --profile NAME LINK --unit ID [--map FILE] [--word-order big|little]
                              [--timeout MS] [--retries N] [--sunspec-dir DIR] [--json]
       meterchain modbus scan LINK [--units FROM-TO] [--timeout MS] [--sunspec-dir DIR] [--json]

LINK is one of
  --tcp HOST:PORT                          Modbus TCP
  --rtu PATH --baud B --parity none|even|odd  Modbus RTU on a serial port (8 data bits, 1 stop bit;
                                           --stop-bits 2 for no-parity lines that need it)
  --rtu-tcp HOST:PORT                      raw RTU frames over TCP (RS-485 gateway, ser2net)

Profiles: sdm630, sdm120 (Eastron, input registers, float32), sunspec (discovers 'SunS' at 40000, 50000, 0 and
reads the first meter model 201-204 or 211-214), map (a YAML register map given with --map FILE). Channels are
named by OBIS code (SunSpec points OBIS has no code for keep their point name). The SunSpec models are built in;
--sunspec-dir reads other definitions from SunSpec's JSON model files (model_N.json) instead.

read prints one channel per line (id, value, unit); --json prints the sample with quality flags and bus counters.
scan probes each unit id (default 1-247) and lists those that answer and their SunSpec models.
Exit: 0 every channel of the profile read; 1 the device did not answer, answered with an error, or some channels
are missing (each named with why: a register the device lacks, a read that failed); 2 bad usage or unreadable map file.`;

export function hostPort(text: string, flag: string): { host: string; port: number } {
  const match = /^(\[[^\]]+\]|[^:]+):(\d{1,5})$/.exec(text);
  if (match === null || Number(match[2]) > 65535) throw new UsageError(`--${flag} expects HOST:PORT, got '${text}'`);
  return { host: match[1]!.replace(/^\[|\]$/g, ''), port: Number(match[2]) };
}

/** The rates a serial port takes (the node schema's list): anything else is a typo, not a line speed. */
export const BAUD_RATES = [300, 600, 1200, 2400, 4800, 9600, 19200, 38400, 57600, 115200];

/** Parses --baud (or another rate option) and refuses a rate no serial line runs at. */
export function baudOption(value: string | undefined, flag: string, fallback?: number): number {
  const baud = intOption(value, flag, fallback);
  if (!BAUD_RATES.includes(baud)) throw new UsageError(`--${flag} expects one of ${BAUD_RATES.join(', ')}, got ${baud}`);
  return baud;
}

const LINK_OPTIONS = {
  tcp: { type: 'string' },
  rtu: { type: 'string' },
  'rtu-tcp': { type: 'string' },
  baud: { type: 'string' },
  parity: { type: 'string' },
  'stop-bits': { type: 'string' },
  timeout: { type: 'string' },
  retries: { type: 'string' },
  'sunspec-dir': { type: 'string' },
  json: { type: 'boolean' },
} as const;

function linkFrom(values: { tcp?: string; rtu?: string; 'rtu-tcp'?: string; baud?: string; parity?: string; 'stop-bits'?: string }): Link {
  const given = [values.tcp, values.rtu, values['rtu-tcp']].filter((v) => v !== undefined).length;
  if (given !== 1) throw new UsageError('give exactly one of --tcp HOST:PORT, --rtu PATH, --rtu-tcp HOST:PORT');
  if (values.tcp !== undefined) return { kind: 'tcp', ...hostPort(values.tcp, 'tcp') };
  if (values['rtu-tcp'] !== undefined) return { kind: 'rtu-over-tcp', ...hostPort(values['rtu-tcp'], 'rtu-tcp') };
  const baudRate = baudOption(values.baud, 'baud');
  const parity = values.parity;
  if (parity !== 'none' && parity !== 'even' && parity !== 'odd') throw new UsageError(`--parity expects none, even or odd, got '${parity ?? ''}'`);
  const stopBits = intOption(values['stop-bits'], 'stop-bits', 1);
  if (stopBits !== 1 && stopBits !== 2) throw new UsageError(`--stop-bits expects 1 or 2, got ${stopBits}`);
  return { kind: 'rtu', path: values.rtu!, baudRate, parity: parity as Parity, stopBits };
}

function busFrom(values: Parameters<typeof linkFrom>[0] & { timeout?: string; retries?: string }, defaultTimeout: number, defaultRetries: number): ModbusBus {
  return new ModbusBus({ link: linkFrom(values), timeoutMs: intOption(values.timeout, 'timeout', defaultTimeout), retries: intOption(values.retries, 'retries', defaultRetries) });
}

function unitOption(text: string | undefined): number {
  const unit = intOption(text, 'unit');
  if (unit < 1 || unit > 247) throw new UsageError(`--unit expects 1-247, got ${unit}`);
  return unit;
}

async function read(argv: string[], io: Io): Promise<number> {
  const { values } = parse(argv, { ...LINK_OPTIONS, profile: { type: 'string' }, unit: { type: 'string' }, map: { type: 'string' }, 'word-order': { type: 'string' } });
  const profile = values.profile;
  if (profile === undefined) throw new UsageError('missing required option --profile (sdm630, sdm120, sunspec, map)');
  const unit = unitOption(values.unit);
  const wordOrder = values['word-order'] ?? 'big';
  if (wordOrder !== 'big' && wordOrder !== 'little') throw new UsageError(`--word-order expects big or little, got '${wordOrder}'`);
  let driverFor: (bus: ModbusBus) => MeterDriver;
  if (profile === 'sdm630' || profile === 'sdm120') {
    driverFor = (bus) => new EastronMeter({ bus, unit, model: profile === 'sdm630' ? 'SDM630' : 'SDM120', wordOrder });
  } else if (profile === 'sunspec') {
    let models;
    try {
      models = loadSunSpecModels(values['sunspec-dir']);
    } catch (e) {
      throw new InputError(`cannot load SunSpec models: ${(e as Error).message}`);
    }
    driverFor = (bus) => new SunSpecMeter({ bus, unit, models });
  } else if (profile === 'map') {
    if (values.map === undefined) throw new UsageError('--profile map needs --map FILE');
    const loaded = loadRegisterMap(values.map);
    if (!loaded.ok) throw new InputError(loaded.reason);
    driverFor = (bus) => new RegisterMapMeter({ bus, unit, map: loaded.map });
  } else throw new UsageError(`unknown profile '${profile}' (expected sdm630, sdm120, sunspec, map)`);
  const bus = busFrom(values, 1000, 2);
  const driver = driverFor(bus);
  try {
    await driver.configure();
    const sample = await driver.sample();
    if (values.json) {
      io.out(JSON.stringify({
        device: driver.device, link: bus.description, unit, quality: sample.quality, qualityFlags: qualityNames(sample.quality),
        channels: sample.channels, missing: sample.missing, ...(sample.absent ? { absent: sample.absent } : {}), comm: sample.comm,
      }, null, 2));
    } else {
      io.out(`# ${driver.device}, unit ${unit} on ${bus.description}${sample.quality ? `; quality: ${qualityNames(sample.quality).join(' ')}` : ''}`);
      const width = Math.max(...sample.channels.map((c) => c.id.length));
      for (const channel of sample.channels) io.out(`${channel.id.padEnd(width)}  ${formatChannel(channel).padStart(14)} ${channel.unit}`);
      for (const id of sample.missing) io.out(`${id.padEnd(width)}  ${'missing'.padStart(14)}`);
    }
    // Every channel of a profile is one it requires: a reading without some of them is no full reading.
    if (sample.missing.length > 0) {
      const why = (id: string) => sample.absent?.[id] ?? (sample.error ? sample.error.message : 'not read');
      const total = sample.channels.length + sample.missing.length;
      throw new InvalidError(`${sample.missing.length} of ${total} channels of ${profile} missing: ${sample.missing.map((id) => `${id} (${why(id)})`).join('; ')}`);
    }
    return 0;
  } catch (e) {
    if (e instanceof ModbusError) throw new InvalidError(e.message);
    throw e;
  } finally {
    await driver.close();
    await bus.close();
  }
}

async function scan(argv: string[], io: Io): Promise<number> {
  const { values } = parse(argv, { ...LINK_OPTIONS, units: { type: 'string' } });
  const range = /^(\d+)-(\d+)$/.exec(values.units ?? '1-247');
  if (range === null) throw new UsageError(`--units expects FROM-TO, got '${values.units}'`);
  const from = Number(range[1]);
  const to = Number(range[2]);
  if (from < 1 || to > 247 || from > to) throw new UsageError(`--units expects a range within 1-247, got '${values.units}'`);
  let models: ReturnType<typeof loadSunSpecModels> = [];
  try {
    models = loadSunSpecModels(values['sunspec-dir']);
  } catch {
    // Without model files scan still finds units; it just cannot name meter models.
  }
  const bus = busFrom(values, 300, 0);
  const found: { unit: number; answers: string; sunspec?: { base: number; models: number[]; manufacturer: string; model: string } }[] = [];
  try {
    for (let unit = from; unit <= to; unit++) {
      let answers: string | null = null;
      try {
        await bus.read({ device: `unit ${unit}`, unit, fn: 3, address: 40000, count: 2 });
        answers = 'holding registers';
      } catch (e) {
        // Any answer but "gateway target absent" means a device is there.
        if (e instanceof ModbusExceptionError && e.exceptionCode !== 10 && e.exceptionCode !== 11) answers = `exception ${e.exceptionCode}`;
        else if (e instanceof ModbusError && e.code === 'BUS_CLOSED') throw new InvalidError(e.message);
      }
      if (answers === null) {
        try {
          await bus.read({ device: `unit ${unit}`, unit, fn: 4, address: 0, count: 2 });
          answers = 'input registers';
        } catch (e) {
          if (e instanceof ModbusExceptionError && e.exceptionCode !== 10 && e.exceptionCode !== 11) answers = `exception ${e.exceptionCode}`;
        }
      }
      if (answers === null) continue;
      const entry: (typeof found)[number] = { unit, answers };
      const meter = new SunSpecMeter({ bus, unit, models, device: `unit ${unit}` });
      try {
        await meter.configure();
        const d = meter.discovered!;
        entry.sunspec = { base: d.base, models: d.models.map((m) => m.id), manufacturer: d.common?.manufacturer ?? '', model: d.common?.model ?? '' };
      } catch {
        // Not SunSpec (or no meter model): reported as a plain unit.
      }
      found.push(entry);
      if (!values.json) {
        io.out(`unit ${unit}: answers (${answers})` + (entry.sunspec ? `; SunSpec at ${entry.sunspec.base}: models ${entry.sunspec.models.join(', ')} (${entry.sunspec.manufacturer} ${entry.sunspec.model})` : ''));
      }
    }
  } finally {
    await bus.close();
  }
  if (values.json) io.out(JSON.stringify({ link: bus.description, units: found }, null, 2));
  else io.out(`# ${found.length} unit(s) found on ${bus.description} in ${from}-${to}`);
  return 0;
}

export const command: Command = {
  name: 'modbus',
  summary: 'read meters over Modbus RTU/TCP, scan a bus for units and SunSpec models',
  usage: USAGE,
  async run(argv, io) {
    const [sub, ...rest] = argv;
    if (sub === 'read') return read(rest, io);
    if (sub === 'scan') return scan(rest, io);
    throw new UsageError(`expected a subcommand read or scan, got '${sub ?? ''}'`);
  },
};
