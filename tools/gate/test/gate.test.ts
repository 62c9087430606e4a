import { describe, expect, test } from '@jest/globals';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readFileSync } from 'node:fs';
import { discoverTargets, firmwareTargets, packageTarget, runGate, type GateReport } from '../src/index.ts';

const here = fileURLToPath(new URL('.', import.meta.url));
const fixtures = join(here, 'fixtures');
const outDir = mkdtempSync(join(tmpdir(), 'gate-test-'));

function gateFixture(name: string): Promise<GateReport> {
  return runGate({ targets: [packageTarget(`fixture ${name}`, join(fixtures, name))], outDir });
}

describe('the workspace', () => {
  test('finds the portable packages by their package.json flag', () => {
    const names = discoverTargets(join(here, '..', '..', '..')).map((t) => t.name);
    expect(names).toEqual(expect.arrayContaining(['@meterchain/core', '@meterchain/edge', '@meterchain/consensus', '@meterchain/meters']));
    expect(names).not.toContain('@meterchain/cli');
  });

  test('finds the Espruino firmware program and its smoke test as targets of their own', () => {
    const targets = discoverTargets(join(here, '..', '..', '..')).filter((t) => t.name.startsWith('@meterchain/firmware-espruino'));
    expect(targets.map((t) => [t.name, t.main !== undefined, t.smoke !== undefined])).toEqual([
      ['@meterchain/firmware-espruino', true, false],
      ['@meterchain/firmware-espruino (smoke)', false, true],
    ]);
    expect(targets[0]!.modules).toEqual(['crypto', 'net', 'Storage']);
  });

  test('every portable package and the Espruino firmware pass the gate: build, lint and smoke', async () => {
    const report = await runGate({ outDir });
    const lines = report.findings.map((f) => `${f.file}:${f.line}: ${f.rule}: ${f.message}`);
    expect(lines).toEqual([]);
    expect(report.ok).toBe(true);
    for (const t of report.targets) if (t.smoke) expect(t.smoke.ok).toBe(true);
  }, 120_000); // the whole gate takes 10-20 s alone, longer on a machine busy with other tests
});

// One deliberately non-portable fixture per rule; each must be rejected with that rule's name, at its source file.
const rejected: [fixture: string, rule: string][] = [
  ['bigint', 'bigint'],
  ['missing-global', 'missing-global'],
  ['missing-method', 'missing-method'],
  ['node-global', 'node-global'],
  ['node-import', 'node-import'],
  ['label', 'label'],
  ['of-name', 'of-name'],
  ['tagged-template', 'tagged-template'],
  ['computed-key', 'computed-key'],
  ['private-member', 'private-member'],
  ['extends-builtin', 'extends-builtin'],
  ['generator', 'generator'],
  ['async', 'async'],
  ['spread-array', 'spread'],
  ['range-error', 'missing-global'],
  ['math-pow', 'math-pow'],
  ['math-round', 'math-round'],
  ['number-text', 'number-text'],
  ['prototype-method', 'prototype-method'],
  ['static-inherit', 'static-inherit'],
  ['array-length', 'array-length'],
  ['destructuring', 'destructuring'],
  ['default-param', 'default-param'],
  ['regexp', 'regexp'],
  ['use-before-define', 'use-before-define'],
  ['use-before-define-transitive', 'use-before-define'],
  ['use-before-define-inner', 'use-before-define'],
  ['loop-closure', 'loop-closure'],
  ['smoke-throws', 'smoke'],
];

describe('the gate can fail', () => {
  test.each(rejected)('fixture %s is rejected with rule %s, at its TypeScript source', async (fixture, rule) => {
    const report = await gateFixture(fixture);
    expect(report.ok).toBe(false);
    const hit = report.findings.find((f) => f.rule === rule);
    expect(hit).toBeDefined();
    expect(hit!.file).toBe(`tools/gate/test/fixtures/${fixture}/smoke.ts`);
    expect(hit!.line).toBeGreaterThan(0);
  });

  test('a smoke test that throws fails the gate, at the line that threw, with its message', async () => {
    const report = await gateFixture('smoke-throws');
    expect(report.findings).toEqual([
      expect.objectContaining({ rule: 'smoke', line: 10, message: expect.stringContaining('checksum: expected 7, got 6') }),
    ]);
  });

  test('a function called before its declaration is reported at the call, naming the declaration line', async () => {
    const report = await gateFixture('use-before-define');
    expect(report.findings).toEqual([
      expect.objectContaining({ rule: 'use-before-define', line: 2, message: expect.stringMatching(/^buildTable is used before its declaration \(line 4\)/) }),
    ]);
  });
});

describe('a firmware program is checked minified, as it ships', () => {
  function gateFirmware(name: string): Promise<GateReport> {
    return runGate({ targets: firmwareTargets(`fixture ${name}`, join(fixtures, name), 'src/main.ts', ['crypto']), outDir });
  }

  test('its bundle is minified, and esbuild\'s helpers in it (require of a module, class fields) are no findings', async () => {
    const report = await gateFirmware('firmware-minified');
    expect(report.findings).toEqual([]);
    const bundle = readFileSync(join(fixtures, '..', '..', '..', '..', report.targets[0]!.bundleFile), 'utf8');
    expect(bundle.split('\n').length).toBeLessThanOrEqual(3);
    expect(bundle).not.toContain('__require');
  });

  test('what Espruino lacks is still found in it, at its source line', async () => {
    const report = await gateFirmware('firmware-minified-map');
    expect(report.findings).toEqual([
      expect.objectContaining({ rule: 'missing-global', file: 'tools/gate/test/fixtures/firmware-minified-map/src/main.ts', line: 5 }),
    ]);
  });
});

describe('the gate lets portable code through', () => {
  test('what esbuild lowers (?., ??=, ||=, class fields, static blocks, catch without binding) builds and runs', async () => {
    const report = await gateFixture('lowered');
    expect(report.findings).toEqual([]);
    expect(report.targets[0]!.smoke?.output).toEqual(['lowered: Wh 1000 none']);
  });

  test('object spread, which esbuild lowers to helpers that run on Espruino, builds and runs', async () => {
    const report = await gateFixture('spread-object');
    expect(report.findings).toEqual([]);
    expect(report.targets[0]!.smoke?.output).toEqual(['spread-object: Wh 0']);
  });

  test('mutual and self recursion, callbacks run within a loop turn and typeof feature tests are not findings', async () => {
    const report = await gateFixture('portable');
    expect(report.findings).toEqual([]);
    expect(report.targets[0]!.smoke?.output).toEqual(['portable: ok']);
  });
});
