// `meterchain pmu read` and `meterchain pmu sim`: read a PMU's IEEE C37.118.2 stream as a PDC does, and serve a
// simulated PMU (a small grid with scripted events) for labs, demos and tests.
import { type ConfigFrame, type DataFrame, type PmuMeasurement, dataErrorText } from '@meterchain/pmu';
import { PdcClient, type PdcEvent } from '@meterchain/pmu/node';
import { PmuSimulator, type GridEvent } from '@meterchain/pmu/sim';
import { InvalidError, UsageError, intOption, parse, required, type Command, type Io } from '../command.ts';

const USAGE = `usage: meterchain pmu read --tcp HOST:PORT [--idcode N] [--frames N] [--udp PORT] [--cfg3] [--timeout MS] [--json]
       meterchain pmu sim [--port N] [--host ADDR] [--idcode N] [--stations N] [--rate N] [--nominal 50|60]
                          [--udp-data PORT] [--event SPEC]... [--seconds N]

read: connects to the PMU over TCP, asks for its header and CFG-2 (CFG-3 with --cfg3), turns data on, prints the
configuration and --frames data frames (default 10), turns data off. With --udp PORT the data frames are received
as UDP datagrams on that local port (the PMU must send them there). Reports lost, repeated and out-of-order
frames, time-quality problems and configuration changes (followed: the new CFG-2 is fetched).
--idcode is the stream IDCODE the commands carry (default 7).

sim: serves a simulated PMU stream until interrupted (or for --seconds). Events, repeatable:
  excursion:AT:DELTA_HZ       frequency moves by DELTA_HZ from AT s (1-s ramps, held 5 s)
  step:AT:STATION:DEGREES     one station's angle steps at AT s (stations count from 1)
  drift:AT:STATION:US_PER_S   one station's clock drifts from AT s, still reporting lock (GPS spoofing)
Exit: 0 done, 1 the PMU did not answer or sent bad frames, 2 bad usage.`;

function hostPort(value: string | undefined): { host: string; port: number } {
  const text = required(value, 'tcp');
  const m = /^(.+):(\d{1,5})$/.exec(text);
  if (!m) throw new UsageError(`--tcp expects HOST:PORT, got '${text}'`);
  const port = Number(m[2]);
  if (port < 1 || port > 65535) throw new UsageError(`--tcp port must be 1..65535, got ${port}`);
  return { host: m[1]!.replace(/^\[(.*)\]$/, '$1'), port };
}

function rangeOption(value: string | undefined, flag: string, fallback: number, min: number, max: number): number {
  const n = intOption(value, flag, fallback);
  if (n < min || n > max) throw new UsageError(`--${flag} must be ${min}..${max}, got ${n}`);
  return n;
}

function isoTime(soc: number, fraction: number, timeBase: number): string {
  const micro = Math.floor((fraction * 1e6) / timeBase);
  return new Date(soc * 1000).toISOString().replace(/\.\d{3}Z$/, `.${String(micro).padStart(6, '0')}Z`);
}

function deg(rad: number): string {
  return `${((rad * 180) / Math.PI).toFixed(2)}°`;
}

function formatText(c: ConfigFrame['pmus'][number]['format']): string {
  return `${c.phasorFloat ? 'float' : '16-bit'} ${c.polar ? 'polar' : 'rectangular'} phasors, ${c.freqFloat ? 'float' : '16-bit'} FREQ, ${c.analogFloat ? 'float' : '16-bit'} analogs`;
}

function printConfig(cfg: ConfigFrame, io: Io): void {
  const rate = cfg.dataRate > 0 ? `${cfg.dataRate} frames/s` : `1 frame per ${-cfg.dataRate} s`;
  io.out(`# stream IDCODE ${cfg.idcode}: ${cfg.pmus.length} PMU(s), ${rate}, TIME_BASE ${cfg.timeBase}, ${cfg.kind.toUpperCase().replace('CFG', 'CFG-')}`);
  for (const p of cfg.pmus) {
    const channels = p.phasors.map((ph) => `${ph.name} (${ph.unit})`).concat(p.analogs.map((a) => a.name)).join(', ');
    io.out(`# ${p.station} (IDCODE ${p.idcode}): ${p.nominalHz} Hz, CFGCNT ${p.changeCount}, ${formatText(p.format)}; ${channels}${p.digitals.length ? `; ${p.digitals.length} digital word(s)` : ''}`);
  }
}

function printFrame(frame: DataFrame, values: PmuMeasurement[], timeBase: number, io: Io): void {
  const time = isoTime(frame.soc, frame.fraction, timeBase);
  for (const v of values) {
    const phasors = v.phasors.map((p) => `${p.name}=${p.magnitude.toFixed(1)} ${p.unit} ${deg(p.angle)}`).join(' ');
    const flags: string[] = [];
    if (v.stat.dataError) flags.push(dataErrorText(v.stat.dataError));
    if (v.stat.notSynchronized) flags.push('not synchronized');
    if (v.stat.configChange) flags.push('configuration change pending');
    io.out(`${time} ${v.station} f=${v.frequency.toFixed(4)} Hz rocof=${v.rocof.toFixed(3)} Hz/s ${phasors}${flags.length ? ` [${flags.join(', ')}]` : ''}`);
  }
}

function eventText(e: PdcEvent): string {
  if (e.kind === 'gap') return `gap: ${e.missing} frame(s) missing before ${e.soc}+${e.fraction}`;
  if (e.kind === 'duplicate') return `duplicate frame ${e.soc}+${e.fraction}`;
  if (e.kind === 'out-of-order') return `out of order: frame ${e.soc}+${e.fraction} is ${e.bySeconds.toFixed(6)} s older than the last`;
  if (e.kind === 'time-quality') return `time quality of PMU ${e.idcode}: ${e.problem}`;
  if (e.kind === 'time-quality-restored') return `time quality of PMU ${e.idcode} restored`;
  if (e.kind === 'data-error') return `PMU ${e.idcode}: ${dataErrorText(e.dataError)}`;
  if (e.kind === 'config-change-announced') return `PMU ${e.idcode} announces a configuration change: fetching the new configuration`;
  if (e.kind === 'config') return `configuration ${e.config.kind.toUpperCase().replace('CFG', 'CFG-')} in force (CFGCNT ${e.config.pmus.map((p) => p.changeCount).join(',')})`;
  return `${e.kind}: ${e.reason}`;
}

async function read(argv: string[], io: Io): Promise<number> {
  const { values } = parse(argv, { tcp: { type: 'string' }, idcode: { type: 'string' }, frames: { type: 'string' }, udp: { type: 'string' }, cfg3: { type: 'boolean' }, timeout: { type: 'string' }, json: { type: 'boolean' } });
  const { host, port } = hostPort(values.tcp);
  const idcode = rangeOption(values.idcode, 'idcode', 7, 0, 65535);
  const count = rangeOption(values.frames, 'frames', 10, 0, 1_000_000);
  const timeoutMs = rangeOption(values.timeout, 'timeout', 5000, 1, 600_000);
  const udpPort = values.udp === undefined ? undefined : rangeOption(values.udp, 'udp', 0, 0, 65535);
  const client = new PdcClient({ host, port, idcode, udpPort, cfg3: values.cfg3 === true, timeoutMs });
  const frames: { time: string; values: PmuMeasurement[] }[] = [];
  const events: string[] = [];
  let done: () => void = () => undefined;
  const enough = new Promise<void>((resolve) => (done = resolve));
  try {
    await client.connect();
    let header = '';
    try {
      header = await client.requestHeader();
    } catch {
      header = ''; // The header frame is optional in practice: many PMUs do not answer it.
    }
    const cfg = await client.requestConfig();
    if (!values.json) {
      if (header) io.out(`# header: ${header}`);
      printConfig(cfg, io);
    }
    client.on({
      data: (frame, v) => {
        if (frames.length >= count) return;
        const timeBase = client.config!.timeBase;
        frames.push({ time: isoTime(frame.soc, frame.fraction, timeBase), values: v });
        if (!values.json) printFrame(frame, v, timeBase, io);
        if (frames.length >= count) done();
      },
      event: (e) => {
        const text = eventText(e);
        events.push(text);
        if (!values.json) io.out(`! ${text}`);
      },
    });
    if (count > 0) {
      client.start();
      let timer: ReturnType<typeof setTimeout> | undefined;
      const late = new Promise<never>((_, reject) => {
        const arm = (seen: number) => {
          timer = setTimeout(() => (frames.length === seen ? reject(new InvalidError(`no data frame for ${timeoutMs} ms (${frames.length} of ${count} received)`)) : arm(frames.length)), timeoutMs);
        };
        arm(0);
      });
      try {
        await Promise.race([enough, late]);
      } finally {
        clearTimeout(timer);
        client.stop();
      }
    }
    const c = client.monitor.counts;
    if (values.json) io.out(JSON.stringify({ header, config: client.config, frames, events, counts: { ...c, undecodable: client.undecodable } }, (_, v) => (typeof v === 'number' && !Number.isFinite(v) ? null : v), 2));
    else io.out(`# ${frames.length} frames, ${c.missing} missing, ${c.duplicates} duplicates, ${c.outOfOrder} out of order, ${c.timeQualityFrames} with time-quality problems, ${client.undecodable} undecodable`);
    return 0;
  } catch (e) {
    if (e instanceof UsageError || e instanceof InvalidError) throw e;
    throw new InvalidError((e as Error).message);
  } finally {
    await client.close();
  }
}

function parseEvent(spec: string): GridEvent {
  const parts = spec.split(':');
  const nums = parts.slice(1).map(Number);
  if (nums.some((n) => !Number.isFinite(n))) throw new UsageError(`--event ${spec}: expected numbers after the kind`);
  if (parts[0] === 'excursion' && nums.length === 2) return { kind: 'frequency-excursion', atSeconds: nums[0]!, deltaHz: nums[1]!, rampSeconds: 1, holdSeconds: 5 };
  if (parts[0] === 'step' && nums.length === 3 && nums[1]! >= 1) return { kind: 'angle-step', atSeconds: nums[0]!, station: nums[1]! - 1, degrees: nums[2]! };
  if (parts[0] === 'drift' && nums.length === 3 && nums[1]! >= 1) return { kind: 'clock-drift', atSeconds: nums[0]!, station: nums[1]! - 1, microsecondsPerSecond: nums[2]! };
  throw new UsageError(`--event ${spec}: expected excursion:AT:DELTA_HZ, step:AT:STATION:DEGREES or drift:AT:STATION:US_PER_S`);
}

async function sim(argv: string[], io: Io): Promise<number> {
  const { values } = parse(argv, { port: { type: 'string' }, host: { type: 'string' }, idcode: { type: 'string' }, stations: { type: 'string' }, rate: { type: 'string' }, nominal: { type: 'string' }, 'udp-data': { type: 'string' }, event: { type: 'string', multiple: true }, seconds: { type: 'string' } });
  const nominal = rangeOption(values.nominal, 'nominal', 50, 50, 60);
  if (nominal !== 50 && nominal !== 60) throw new UsageError(`--nominal must be 50 or 60, got ${nominal}`);
  const events = (values.event ?? []).map(parseEvent);
  const simulator = new PmuSimulator({
    idcode: rangeOption(values.idcode, 'idcode', 7, 0, 65535),
    stations: rangeOption(values.stations, 'stations', 1, 1, 64),
    dataRate: rangeOption(values.rate, 'rate', 50, 1, 240),
    nominalHz: nominal,
    events,
    udpDataPort: values['udp-data'] === undefined ? undefined : rangeOption(values['udp-data'], 'udp-data', 0, 1, 65535),
  });
  const host = values.host ?? '127.0.0.1';
  const port = await simulator.listen(rangeOption(values.port, 'port', 4712, 0, 65535), host).catch((e: Error) => {
    throw new InvalidError(`cannot listen on ${host}:${values.port ?? 4712}: ${e.message}`);
  });
  io.out(`PMU simulator listening on ${host}:${port} (IDCODE ${simulator.grid.idcode}, ${simulator.grid.stations} station(s), ${simulator.grid.dataRate} frames/s)`);
  const seconds = values.seconds === undefined ? undefined : rangeOption(values.seconds, 'seconds', 0, 1, 86_400);
  let timer: ReturnType<typeof setTimeout> | undefined;
  let stop: () => void = () => undefined;
  await new Promise<void>((resolve) => {
    stop = resolve;
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
    if (seconds !== undefined) timer = setTimeout(stop, seconds * 1000);
  });
  // Nothing may keep the process alive once stopped: the --seconds timer, the other signal's listener.
  clearTimeout(timer);
  process.removeListener('SIGINT', stop);
  process.removeListener('SIGTERM', stop);
  await simulator.close();
  io.out(`PMU simulator stopped: ${simulator.sent} data frames sent`);
  return 0;
}

export const command: Command = {
  name: 'pmu',
  summary: 'read a PMU over IEEE C37.118.2 (TCP, TCP+UDP), or serve a simulated one',
  usage: USAGE,
  async run(argv, io) {
    const [sub, ...rest] = argv;
    if (sub === 'read') return read(rest, io);
    if (sub === 'sim') return sim(rest, io);
    throw new UsageError(`expected the subcommand read or sim, got '${sub ?? ''}'`);
  },
};
