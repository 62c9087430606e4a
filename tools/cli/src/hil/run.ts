// Runs one lab scenario: the device (the lab's, or the project's simulator), a fault proxy in front of it, and the
// node's acquisition chain (the same bus, drivers and poller `meterchain node` uses) sampling through the proxy on a
// clock the scenario may make jump. Returns what happened and the verdict.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { mulberry32 } from '@meterchain/core';
import { EastronMeter, Iec62056Reader, ModbusBus, SunSpecMeter, loadSunSpecModels, poll, zeroCounters, type BusCounters, type Link, type MeterDriver, type Parity } from '@meterchain/modbus';
import { startSimulator, type RunningSimulator, type SimProfile, type SlaveCounters } from '@meterchain/modbus/sim';
import { faultWindow, type ProxyCounters } from './faults.ts';
import { judge, type Criterion, type RecordedGap, type RecordedReading, type Verdict } from './judge.ts';
import type { LinkKind, Profile, Scenario } from './scenario.ts';
import { startSerialFaultProxy, ptyPair, type PtyPair } from './serial-proxy.ts';
import { startTcpFaultProxy, type FaultProxy } from './tcp-proxy.ts';

/** The device under test as the lab gives it on the command line; none means the project's simulator. */
export type DeviceSpec =
  | { kind: 'simulator' }
  | { kind: 'modbus-tcp'; host: string; port: number }
  | { kind: 'modbus-rtu'; path: string; baudRate: number; parity: Parity }
  | { kind: 'iec62056'; path: string };

export interface RunOptions {
  scenario: Scenario;
  profile: Profile;
  device: DeviceSpec;
  unit: number;
  /** Seeds the proxy's noise (and the simulator): the same seed, the same faults. */
  seed?: number;
  /** Progress lines (fault injected, gap). */
  log?: (line: string) => void;
}

export interface TimelineEvent {
  t: number;
  what: string;
}

export interface ScenarioResult {
  scenario: Scenario;
  profile: Profile;
  link: LinkKind;
  device: string;
  verdict: Verdict;
  gaps: RecordedGap[];
  timeline: TimelineEvent[];
  counters: { node: BusCounters; proxy: ProxyCounters | null; device: SlaveCounters | null };
  durationMs: number;
  endMs: number;
}

const SIM_FOR: { [p in Profile]?: SimProfile } = { sdm630: 'sdm630', sunspec: 'sunspec-213', iec62056: 'iec62056' };

/** The link a scenario runs on with this device. */
export function linkOf(device: DeviceSpec, profile: Profile, scenario: Scenario): LinkKind {
  if (device.kind === 'modbus-tcp') return 'tcp';
  if (device.kind === 'modbus-rtu') return 'rtu';
  if (device.kind === 'iec62056' || profile === 'iec62056') return 'iec62056';
  return scenario.simulator?.link ?? 'tcp';
}

/** Why a scenario does not fit this profile and link, or null when it does. */
export function misfit(scenario: Scenario, profile: Profile, link: LinkKind): string | null {
  if (!scenario.profiles.includes(profile)) return `is for ${scenario.profiles.join(', ')}, not ${profile}`;
  if (scenario.links && !scenario.links.includes(link)) return `runs on ${scenario.links.join(', ')} links, not ${link}`;
  if (link !== 'tcp' && scenario.faults.some((f) => f.kind === 'reset')) return 'resets a TCP connection: it needs a Modbus TCP device';
  return null;
}

function driverFor(profile: Profile, bus: ModbusBus, unit: number): MeterDriver {
  if (profile === 'sdm630' || profile === 'sdm120') return new EastronMeter({ bus, unit, model: profile === 'sdm630' ? 'SDM630' : 'SDM120' });
  return new SunSpecMeter({ bus, unit, models: loadSunSpecModels() });
}

/** An IEC 62056-21 readout presented as a meter driver (its bus counters stay zero: the readout has its own checks). */
function readoutDriver(reader: Iec62056Reader): MeterDriver {
  return {
    get device() {
      return reader.device;
    },
    configure: async () => undefined,
    async sample() {
      const s = await reader.sample();
      return { device: reader.device, channels: s.channels, quality: s.quality, missing: [], comm: zeroCounters() };
    },
    close: () => reader.close(),
  };
}

export async function runScenario(options: RunOptions): Promise<ScenarioResult> {
  const { scenario, profile, device, unit } = options;
  const log = options.log ?? (() => undefined);
  const link = linkOf(device, profile, scenario);
  const endMs = scenario.periodMs * scenario.samples;
  const seed = options.seed ?? scenario.simulator?.seed ?? 1;
  const dir = mkdtempSync(join(tmpdir(), 'mc-hil-'));
  const timeline: TimelineEvent[] = [];
  const started = Date.now();
  const elapsed = () => Date.now() - started;
  let sim: RunningSimulator | null = null;
  let devicePair: PtyPair | null = null;
  let proxy: FaultProxy | null = null;
  let bus: ModbusBus | null = null;
  let driver: MeterDriver | null = null;
  const timers: NodeJS.Timeout[] = [];
  let deviceName: string;
  try {
    // The device: the lab's, or a simulator holding still (tick 0) so that every exact reading is known.
    let target: { host: string; port: number } | { path: string };
    if (device.kind === 'simulator') {
      const simProfile = SIM_FOR[profile];
      if (simProfile === undefined) throw new Error(`no simulator for the ${profile} profile: give the device (--modbus-tcp, --modbus-rtu or --iec62056)`);
      // A sparse register map: a read spanning a register the device lacks is refused with exception 2.
      const missing = scenario.simulator?.missingRegisters ?? [];
      const faults = missing.length > 0 ? { exceptionAt: missing.map((address) => ({ address, code: 2 })) } : undefined;
      if (link === 'tcp') {
        sim = await startSimulator({ profile: simProfile, link: { kind: 'tcp', host: '127.0.0.1', port: 0 }, unit, seed, tickMs: 0, faults });
        target = { host: '127.0.0.1', port: sim.port };
      } else {
        devicePair = await ptyPair(dir, 'device-line');
        sim = await startSimulator({ profile: simProfile, link: { kind: 'rtu', path: devicePair.b, baudRate: 9600 }, unit, seed, tickMs: 0, faults });
        target = { path: devicePair.a };
      }
      deviceName = `simulator ${simProfile} (seed ${seed}) on ${sim.where}`;
    } else if (device.kind === 'modbus-tcp') {
      target = { host: device.host, port: device.port };
      deviceName = `Modbus TCP device ${device.host}:${device.port} unit ${unit}`;
    } else {
      target = { path: device.path };
      deviceName = device.kind === 'modbus-rtu' ? `Modbus RTU device on ${device.path} unit ${unit}` : `IEC 62056-21 meter on ${device.path}`;
    }

    // The proxy in the middle, on the lab's clock (faults are scheduled from the start of the run).
    const random = mulberry32(seed ^ 0xfa017);
    if ('host' in target) {
      proxy = await startTcpFaultProxy({ target, faults: scenario.faults, framing: 'mbap', random, clock: elapsed, endMs });
    } else {
      const settings = device.kind === 'modbus-rtu'
        ? { baudRate: device.baudRate, dataBits: 8 as const, parity: device.parity, stopBits: 1 as const }
        : link === 'iec62056' ? { baudRate: 300, dataBits: 7 as const, parity: 'even' as const, stopBits: 1 as const } : { baudRate: 9600, dataBits: 8 as const, parity: 'none' as const, stopBits: 1 as const };
      proxy = await startSerialFaultProxy({ devicePath: target.path, settings, dir, faults: scenario.faults, framing: link === 'rtu' ? 'rtu' : 'bytes', random, clock: elapsed, endMs });
    }

    // The node: the same bus and drivers as `meterchain node`, through the proxy.
    const timeoutMs = scenario.node?.timeoutMs ?? (link === 'iec62056' ? 1500 : 500);
    if (link === 'iec62056') {
      // The data message gets twice the reply timeout (the reader's own default, 10 s, would outlast a short run).
      driver = readoutDriver(new Iec62056Reader({ path: proxy.where, timeoutMs, dataTimeoutMs: 2 * timeoutMs, maxBaudRate: 9600 }));
    } else {
      const nodeLink: Link = link === 'tcp'
        ? { kind: 'tcp', host: '127.0.0.1', port: Number(proxy.where.split(':')[1]) }
        : { kind: 'rtu', path: proxy.where, baudRate: device.kind === 'modbus-rtu' ? device.baudRate : 9600, parity: device.kind === 'modbus-rtu' ? device.parity : 'none' };
      bus = new ModbusBus({ link: nodeLink, timeoutMs, retries: scenario.node?.retries ?? 2, backoffMs: 20, reopenAfterFailures: 2, confirmReads: scenario.node?.confirmReads ?? false });
      driver = driverFor(profile, bus, unit);
    }

    // The node's clock: the machine's, plus the jumps the scenario makes.
    let offset = 0;
    const nodeClock = () => Date.now() + offset;
    for (const f of scenario.faults) {
      const w = faultWindow(f, endMs);
      timeline.push({ t: w.from, what: `${f.kind} starts` });
      if (w.to !== w.from) timeline.push({ t: w.to, what: `${f.kind} ends` });
      if (f.kind === 'clock-jump') {
        timers.push(setTimeout(() => {
          offset += f.by!;
          log(`  ${elapsed()} ms: node clock jumps ${f.by} ms`);
        }, w.from));
      }
    }
    const nodeStart = nodeClock();
    const readings: RecordedReading[] = [];
    const gaps: RecordedGap[] = [];
    await poll(driver, {
      periodMs: scenario.periodMs,
      slots: scenario.samples,
      now: nodeClock,
      onEvent(event) {
        if (event.kind === 'sample') {
          readings.push({ slot: event.slot, t: elapsed(), stamp: event.at - nodeStart, channels: event.sample.channels, quality: event.sample.quality });
        } else {
          gaps.push({ fromSlot: event.fromSlot, toSlot: event.toSlot, reason: event.reason });
          timeline.push({ t: elapsed(), what: `gap reported: slots ${event.fromSlot}-${event.toSlot}` });
          log(`  ${elapsed()} ms: gap, slots ${event.fromSlot}-${event.toSlot} (${event.reason.split('\n')[0]})`);
        }
      },
    });
    timeline.sort((a, b) => a.t - b.t);
    const counters = { node: bus ? { ...bus.counters } : zeroCounters(), proxy: { ...proxy.counters }, device: sim?.slave ? { ...sim.slave.counters } : null };
    const verdict = judge(scenario, readings, gaps, scenario.samples);
    return { scenario, profile, link, device: deviceName, verdict, gaps, timeline, counters, durationMs: elapsed(), endMs };
  } catch (e) {
    const failed: Criterion = { name: 'ran', ok: false, detail: (e as Error).message.split('\n')[0]! };
    const verdict: Verdict = { pass: false, criteria: [failed], readings: [], truth: '' };
    return { scenario, profile, link, device: device.kind, verdict, gaps: [], timeline, counters: { node: bus ? { ...bus.counters } : zeroCounters(), proxy: proxy ? { ...proxy.counters } : null, device: null }, durationMs: elapsed(), endMs };
  } finally {
    for (const timer of timers) clearTimeout(timer);
    await driver?.close().catch(() => undefined);
    await bus?.close().catch(() => undefined);
    await proxy?.close().catch(() => undefined);
    await sim?.close().catch(() => undefined);
    await devicePair?.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

