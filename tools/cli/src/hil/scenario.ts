// Lab scenarios: YAML files checked by a JSON Schema (scenario.schema.json), and expected-values files. A file that
// cannot be used gives one line naming the file, the key and the problem.
import { readFileSync, readdirSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Ajv } from 'ajv';
import { parse as parseYaml } from 'yaml';
import { describeError } from '@meterchain/firmware-linux';
import { faultWindow, type Fault } from './faults.ts';

const here = dirname(fileURLToPath(import.meta.url));
const ajv = new Ajv({ allErrors: false, strict: true });
const validateScenario = ajv.compile(JSON.parse(readFileSync(join(here, 'scenario.schema.json'), 'utf8')) as object);
const validateExpected = ajv.compile(JSON.parse(readFileSync(join(here, 'expected.schema.json'), 'utf8')) as object);

/** The scenarios the project ships, each run in CI against the simulators. */
export const SHIPPED_DIR = resolve(here, '../../../../hil-tests/scenarios');

export type Profile = 'sdm630' | 'sdm120' | 'sunspec' | 'iec62056';
export type LinkKind = 'tcp' | 'rtu' | 'iec62056';

export interface ExpectedValues {
  device?: string;
  channels: { [id: string]: { value: number; tolerance: number; unit?: string } };
}

export interface Scenario {
  name: string;
  file: string;
  summary: string;
  profiles: Profile[];
  links?: LinkKind[];
  simulator?: { link?: 'tcp' | 'rtu'; seed?: number; missingRegisters?: number[] };
  periodMs: number;
  samples: number;
  node?: { timeoutMs?: number; retries?: number; confirmReads?: boolean };
  expect: { values?: string; reference?: 'first-clean'; invariants?: ('energy-monotonic' | 'power-within-apparent')[] };
  /** The expected-values file, read. */
  expected?: ExpectedValues;
  faults: Fault[];
  pass: { minExact?: number; minGaps?: number; maxGaps?: number; recovers?: boolean; minFlagged?: number };
  plot?: string;
  cluster?: { members: number; faultyMember: number; roundMs?: number };
}

/** A scenario or expected-values file that cannot be used (exit 2, one line). */
export class ScenarioError extends Error {
  override name = 'ScenarioError';
}

function readYaml(file: string, what: string): unknown {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new ScenarioError(`${file}: cannot read the ${what} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  try {
    return parseYaml(text);
  } catch (e) {
    throw new ScenarioError(`${file}: not valid YAML (${(e as Error).message.split('\n')[0]})`);
  }
}

export function loadExpected(file: string): ExpectedValues {
  const doc = readYaml(file, 'expected-values file');
  if (!validateExpected(doc)) throw new ScenarioError(`${file}: ${describeError(validateExpected.errors![0]!)}`);
  return doc as ExpectedValues;
}

/** Reads and checks a scenario; `expectFile` (the lab's own expected values) replaces the scenario's. */
export function loadScenario(file: string, expectFile?: string): Scenario {
  const doc = readYaml(file, 'scenario');
  if (!validateScenario(doc)) throw new ScenarioError(`${file}: ${describeError(validateScenario.errors![0]!)}`);
  const raw = doc as Omit<Scenario, 'name' | 'file' | 'faults' | 'pass'> & { name?: string; faults?: Fault[]; pass?: Scenario['pass'] };
  const scenario: Scenario = { ...raw, name: raw.name ?? basename(file).replace(/\.ya?ml$/i, ''), file, faults: raw.faults ?? [], pass: raw.pass ?? {} };
  const endMs = scenario.periodMs * scenario.samples;
  scenario.faults.forEach((f, i) => {
    const w = faultWindow(f, endMs);
    if (w.from > endMs) throw new ScenarioError(`${file}: faults.${i}.from: ${w.from} ms is after the end of the run (${endMs} ms)`);
    if (f.to !== undefined && f.to < (f.from ?? 0)) throw new ScenarioError(`${file}: faults.${i}.to: ends before it starts`);
    const needs: { [kind: string]: keyof Fault } = { noise: 'rate', drop: 'rate', delay: 'ms', 'wrong-unit': 'unit', 'clock-jump': 'by', exception: 'code' };
    const key = needs[f.kind];
    if (key !== undefined && f[key] === undefined) throw new ScenarioError(`${file}: faults.${i}.${key}: missing (required for a${/^[aeiou]/.test(f.kind) ? 'n' : ''} ${f.kind} fault)`);
  });
  if (scenario.cluster && scenario.cluster.faultyMember >= scenario.cluster.members) {
    throw new ScenarioError(`${file}: cluster.faultyMember: ${scenario.cluster.faultyMember} is not one of the ${scenario.cluster.members} members (0-based)`);
  }
  const values = expectFile ?? (scenario.expect.values === undefined ? undefined : resolve(dirname(file), scenario.expect.values));
  if (values !== undefined) scenario.expected = loadExpected(values);
  if (expectFile !== undefined) delete scenario.expect.reference;
  return scenario;
}

/** The shipped scenario files, sorted. */
export function shippedScenarioFiles(): string[] {
  return readdirSync(SHIPPED_DIR)
    .filter((f) => /\.ya?ml$/.test(f))
    .sort()
    .map((f) => join(SHIPPED_DIR, f));
}
