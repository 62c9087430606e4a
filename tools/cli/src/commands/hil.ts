// `meterchain hil run`: lab scenarios against a device the lab gives (or the project's simulators), with faults
// injected between the node and the device, and a report a lab can file (JUnit XML and a self-contained HTML page).
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Parity } from '@meterchain/modbus';
import { InputError, UsageError, intOption, parse, type Command, type Io } from '../command.ts';
import { runClusterScenario } from '../hil/cluster.ts';
import { htmlReport, junitXml } from '../hil/report.ts';
import { linkOf, misfit, runScenario, type DeviceSpec, type ScenarioResult } from '../hil/run.ts';
import { ScenarioError, loadScenario, shippedScenarioFiles, type Profile, type Scenario } from '../hil/scenario.ts';
import { baudOption, hostPort } from './modbus.ts';

const PROFILES: Profile[] = ['sdm630', 'sdm120', 'sunspec', 'iec62056'];

const USAGE = `usage: meterchain hil run [--scenario FILE ...] --profile sdm630|sdm120|sunspec|iec62056 [DEVICE] [--unit ID]
                          [--expect FILE] [--noise RATE] [--seed N] --out DIR

DEVICE is one of
  --modbus-tcp HOST:PORT                     a Modbus TCP device or gateway
  --modbus-rtu PORT --baud B --parity P      a Modbus RTU device on a serial port (USB-RS485 adapter)
  --iec62056 PORT                            an IEC 62056-21 meter on an optical probe or RS-485 port
With no DEVICE the scenarios run against the project's simulator of the profile (sdm630, sunspec, iec62056).

Each scenario (a YAML file: see hil-tests/README.md) puts a fault proxy between the node and the device (TCP: a
proxy; serial: a socat pty pair in the middle), samples the device as the node does, and judges every reading
against the truth: exact, or flagged; gaps reported as gaps; never a wrong value accepted unflagged.
Without --scenario the shipped scenarios that fit the profile and link run. --expect FILE gives the device's
expected values with tolerances (channel id: {value, tolerance}) in place of the scenario's. --noise RATE adds
bus noise at that byte error rate (e.g. 1e-2) to every scenario, for the whole run.
Writes DIR/junit.xml and DIR/report.html. Exit: 0 every scenario passed, 1 one failed, 2 bad usage or a bad file.`;

function deviceFrom(values: { 'modbus-tcp'?: string; 'modbus-rtu'?: string; iec62056?: string; baud?: string; parity?: string }): DeviceSpec {
  const given = [values['modbus-tcp'], values['modbus-rtu'], values.iec62056].filter((v) => v !== undefined).length;
  if (given > 1) throw new UsageError('give at most one of --modbus-tcp HOST:PORT, --modbus-rtu PORT, --iec62056 PORT');
  if (values['modbus-tcp'] !== undefined) return { kind: 'modbus-tcp', ...hostPort(values['modbus-tcp'], 'modbus-tcp') };
  if (values.iec62056 !== undefined) return { kind: 'iec62056', path: values.iec62056 };
  if (values['modbus-rtu'] !== undefined) {
    const parity = values.parity;
    if (parity !== 'none' && parity !== 'even' && parity !== 'odd') throw new UsageError(`--parity expects none, even or odd, got '${parity ?? ''}'`);
    return { kind: 'modbus-rtu', path: values['modbus-rtu'], baudRate: baudOption(values.baud, 'baud'), parity: parity as Parity };
  }
  return { kind: 'simulator' };
}

async function run(argv: string[], io: Io): Promise<number> {
  const { values } = parse(argv, {
    scenario: { type: 'string', multiple: true }, profile: { type: 'string' }, 'modbus-tcp': { type: 'string' }, 'modbus-rtu': { type: 'string' },
    iec62056: { type: 'string' }, baud: { type: 'string' }, parity: { type: 'string' }, unit: { type: 'string' }, expect: { type: 'string' },
    seed: { type: 'string' }, out: { type: 'string' }, noise: { type: 'string' },
  });
  const noise = values.noise === undefined ? undefined : Number(values.noise);
  if (noise !== undefined && !(noise > 0 && noise <= 1)) throw new UsageError(`--noise expects a byte error rate in (0, 1], e.g. 1e-2, got '${values.noise}'`);
  const profile = values.profile as Profile | undefined;
  if (profile === undefined || !PROFILES.includes(profile)) throw new UsageError(`--profile expects one of ${PROFILES.join(', ')}, got '${profile ?? ''}'`);
  if (values.out === undefined) throw new UsageError('missing required option --out DIR (where junit.xml and report.html go)');
  const device = deviceFrom(values);
  if (profile === 'iec62056' && (device.kind === 'modbus-tcp' || device.kind === 'modbus-rtu')) throw new UsageError('--profile iec62056 reads a meter given with --iec62056 PORT');
  if (device.kind === 'iec62056' && profile !== 'iec62056') throw new UsageError(`--iec62056 PORT needs --profile iec62056, got ${profile}`);
  const unit = intOption(values.unit, 'unit', 1);
  if (unit < 1 || unit > 247) throw new UsageError(`--unit expects 1-247, got ${unit}`);
  const seed = values.seed === undefined ? undefined : intOption(values.seed, 'seed');
  const explicit = values.scenario !== undefined;
  let scenarios: Scenario[];
  try {
    scenarios = (values.scenario ?? shippedScenarioFiles()).map((file) => loadScenario(file, values.expect));
  } catch (e) {
    if (e instanceof ScenarioError) throw new InputError(e.message);
    throw e;
  }
  if (noise !== undefined) for (const s of scenarios) s.faults.push({ kind: 'noise', rate: noise });
  const chosen: Scenario[] = [];
  for (const s of scenarios) {
    const why = s.cluster && device.kind !== 'simulator' ? 'runs a cluster of simulated devices' : misfit(s, profile, linkOf(device, profile, s));
    if (why === null) chosen.push(s);
    else if (explicit) throw new UsageError(`scenario ${s.name} (${s.file}) ${why}`);
  }
  if (chosen.length === 0) throw new UsageError(`no shipped scenario fits profile ${profile} on this link`);
  const results: ScenarioResult[] = [];
  for (const scenario of chosen) {
    io.out(`${scenario.name}: ${scenario.summary}`);
    const options: Parameters<typeof runScenario>[0] = { scenario, profile, device, unit, log: io.out };
    if (seed !== undefined) options.seed = seed;
    const result = scenario.cluster ? await runClusterScenario(options) : await runScenario(options);
    results.push(result);
    for (const c of result.verdict.criteria) io.out(`  ${c.ok ? 'ok  ' : 'FAIL'} ${c.name}: ${c.detail}`);
    io.out(`  ${result.verdict.pass ? 'PASS' : 'FAIL'} ${scenario.name} (${(result.durationMs / 1000).toFixed(1)} s)`);
  }
  mkdirSync(values.out, { recursive: true });
  writeFileSync(join(values.out, 'junit.xml'), junitXml(results));
  writeFileSync(join(values.out, 'report.html'), htmlReport(results, `meterchain lab report: ${profile}`, new Date().toISOString()));
  const failed = results.filter((r) => !r.verdict.pass);
  io.out(`${results.length - failed.length} of ${results.length} scenarios passed${failed.length ? `; failed: ${failed.map((r) => r.scenario.name).join(', ')}` : ''}; report in ${join(values.out, 'report.html')}`);
  return failed.length === 0 ? 0 : 1;
}

export const command: Command = {
  name: 'hil',
  summary: 'run lab scenarios against a device with faults injected; JUnit and HTML reports',
  usage: USAGE,
  async run(argv, io) {
    const [sub, ...rest] = argv;
    if (sub === 'run') return run(rest, io);
    throw new UsageError(`expected the subcommand run, got '${sub ?? ''}'`);
  },
};
