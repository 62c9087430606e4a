// `meterchain hil run` refuses bad input with one line and exit 2 before anything is started: a scenario file that
// is not YAML, breaks the schema, misses a fault's parameter or does not fit the device; bad options.
import { afterAll, expect, test } from '@jest/globals';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isOneLineError, meterchain, repoRoot } from './run.ts';

const dir = mkdtempSync(join(tmpdir(), 'mc-hil-usage-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function scenario(name: string, lines: string[]): string {
  const file = join(dir, name);
  writeFileSync(file, lines.join('\n') + '\n');
  return file;
}

const base = ['summary: a test', 'profiles: [sdm630]', 'periodMs: 300', 'samples: 4', 'expect:', '  reference: first-clean'];
const shipped = (name: string) => join(repoRoot, 'hil-tests', 'scenarios', name);

test.each([
  ['not YAML', () => scenario('bad.yaml', ['summary: [unclosed']), /bad\.yaml: not valid YAML/],
  ['an unknown key', () => scenario('typo.yaml', [...base, 'faults:', '  - kind: noise', '    rat: 0.01']), /typo\.yaml: faults\.0\.rat: unknown key/],
  ['an unknown fault', () => scenario('kind.yaml', [...base, 'faults:', '  - kind: lightning']), /kind\.yaml: faults\.0\.kind: must be one of "noise", "drop"/],
  ['a fault without its parameter', () => scenario('rate.yaml', [...base, 'faults:', '  - kind: noise']), /rate\.yaml: faults\.0\.rate: missing \(required for a noise fault\)/],
  ['an exception fault without its code', () => scenario('code.yaml', [...base, 'faults:', '  - kind: exception']), /code\.yaml: faults\.0\.code: missing \(required for an exception fault\)/],
  ['a missing register out of range', () => scenario('sparse.yaml', [...base, 'simulator: { missingRegisters: [70000] }']), /sparse\.yaml: simulator\.missingRegisters\.0: /],
  ['a fault after the end of the run', () => scenario('late.yaml', [...base, 'faults:', '  - kind: pull', '    from: 9000']), /late\.yaml: faults\.0\.from: 9000 ms is after the end of the run \(1200 ms\)/],
  ['a missing file', () => join(dir, 'nowhere.yaml'), /nowhere\.yaml: cannot read the scenario \(ENOENT\)/],
])('a scenario with %s: one line naming the file, exit 2', (_what, file, message) => {
  const r = meterchain(['hil', 'run', '--profile', 'sdm630', '--scenario', file(), '--out', join(dir, 'out')]);
  expect(r.code).toBe(2);
  expect(isOneLineError(r)).toBe(true);
  expect(r.stderr).toMatch(message);
});

test.each([
  ['no --profile', ['--scenario', shipped('clean-baseline.yaml'), '--out', 'x'], /--profile expects one of sdm630, sdm120, sunspec, iec62056/],
  ['no --out', ['--profile', 'sdm630', '--scenario', shipped('clean-baseline.yaml')], /missing required option --out/],
  ['a noise rate above 1', ['--profile', 'sdm630', '--noise', '2', '--out', 'x'], /--noise expects a byte error rate in \(0, 1\]/],
  ['a TCP device without a port', ['--profile', 'sdm630', '--modbus-tcp', 'meter', '--out', 'x'], /--modbus-tcp expects HOST:PORT, got 'meter'/],
  ['a baud rate no line runs at', ['--profile', 'sdm630', '--modbus-rtu', '/dev/ttyUSB0', '--baud', '9601', '--parity', 'none', '--out', 'x'], /--baud expects one of 300/],
  ['a scenario for another profile', ['--profile', 'iec62056', '--scenario', shipped('noise-1e-2.yaml'), '--out', 'x'], /scenario noise-1e-2 .* is for sdm630, sdm120, sunspec, not iec62056/],
  ['a TCP scenario on an RTU line', ['--profile', 'sdm630', '--modbus-rtu', '/dev/ttyUSB0', '--baud', '9600', '--parity', 'none', '--scenario', shipped('tcp-stall-reset-fragment.yaml'), '--out', 'x'], /runs on tcp links, not rtu/],
] as [string, string[], RegExp][])('%s: one line, exit 2', (_what, args, message) => {
  const r = meterchain(['hil', 'run', ...args]);
  expect(r.code).toBe(2);
  expect(isOneLineError(r)).toBe(true);
  expect(r.stderr).toMatch(message);
});

test('--expect with a file that breaks its schema is named', () => {
  const expected = join(dir, 'expected.yaml');
  writeFileSync(expected, 'channels:\n  1-0:32.7.0: { value: 230 }\n');
  const r = meterchain(['hil', 'run', '--profile', 'sdm630', '--scenario', shipped('clean-baseline.yaml'), '--expect', expected, '--out', join(dir, 'out')]);
  expect(r.code).toBe(2);
  expect(isOneLineError(r)).toBe(true);
  expect(r.stderr).toMatch(/expected\.yaml: channels\.1-0:32\.7\.0\.tolerance: missing \(required\)/);
});
