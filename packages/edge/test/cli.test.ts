// `meterchain edge replay` as a user runs it: the real command in a child process, on the real CSV and on
// malformed files.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const repoRoot = resolve(fileURLToPath(new URL('.', import.meta.url)), '..', '..', '..');
const UCI = join('..', 'shared', 'data', 'uci-household-2006-12.csv');
const MAP = 'voltage=Voltage:V,current=Global_intensity:A,activePower=Global_active_power:kW,reactivePower=Global_reactive_power:kvar';

function meterchain(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((done) => {
    execFile(process.execPath, ['tools/cli/bin/meterchain.js', ...args], { cwd: repoRoot, timeout: 25_000, maxBuffer: 1 << 24 }, (error, stdout, stderr) => {
      done({ code: error ? Number((error as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

async function command(args: string[]): Promise<{ code: number; out: string[]; err: string[] }> {
  const run = await meterchain(args);
  const lines = (text: string) => text.split('\n').filter((l) => l !== '');
  return { code: run.code, out: lines(run.stdout), err: lines(run.stderr) };
}

describe('meterchain edge replay on the real household CSV', () => {
  test('--json --inject 1 prints the findings by file line and the injection rates', async () => {
    const run = await meterchain(['edge', 'replay', '--csv', UCI, '--time', 'Date,Time', '--map', MAP, '--profile', 'residential', '--json', '--inject', '1']);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const doc = JSON.parse(run.stdout) as {
      rows: number;
      counts: Record<string, number>;
      findings: { line: number; time: string; check: string; channel: string; detail: string }[];
      inject: { classes: { fault: string; rate: number }[]; false_rate: number };
    };
    expect(doc.rows).toBe(15921);
    expect(doc.findings.filter((f) => f.check === 'gap').map((f) => [f.line, f.time])).toEqual([
      [6841, '21/12/2006 11:23:00'],
      [6842, '21/12/2006 11:24:00'],
    ]);
    expect(Object.keys(doc.findings[0]!)).toEqual(['line', 'time', 'check', 'channel', 'detail']);
    expect(new Set(doc.findings.map((f) => f.line)).size - 2).toBeLessThanOrEqual(15);
    expect(doc.counts.gap).toBe(2);
    expect(doc.inject.classes.length).toBeGreaterThanOrEqual(12);
    for (const c of doc.inject.classes) expect({ fault: c.fault, ok: c.rate >= 0.95 }).toEqual({ fault: c.fault, ok: true });
    expect(doc.inject.false_rate).toBeLessThanOrEqual(0.001);
  }, 30_000);
});

describe('malformed input files', () => {
  let dir: string;
  const file = (name: string, text: string) => {
    const path = join(dir, name);
    writeFileSync(path, text);
    return path;
  };
  const replayArgs = (path: string, map = 'voltage=Voltage,current=Current') => ['edge', 'replay', '--csv', path, '--time', 'Date,Time', '--map', map];
  const header = 'Date;Time;Voltage;Current\n';
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'edge-replay-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  test('a bad number: one line naming the line and the column, exit 2', async () => {
    const r = await command(replayArgs(file('num.csv', header + '16/12/2006;17:24:00;234.8;18.4\n16/12/2006;17:25:00;23x.5;18\n')));
    expect(r).toEqual({ code: 2, out: [], err: ["meterchain edge: line 3: column 'Voltage': '23x.5' is not a number"] });
  });
  test('a ragged row: one line naming the line, exit 2', async () => {
    const r = await command(replayArgs(file('ragged.csv', header + '16/12/2006;17:24:00;234.8;18.4\n16/12/2006;17:25:00;234\n')));
    expect(r).toEqual({ code: 2, out: [], err: ['meterchain edge: line 3: 3 fields, the header has 4'] });
  });
  test('a wrong column name: names the header line and its columns, exit 2', async () => {
    const r = await command(replayArgs(file('cols.csv', header + '16/12/2006;17:24:00;234.8;18.4\n'), 'voltage=Volts'));
    expect(r).toEqual({ code: 2, out: [], err: ["meterchain edge: line 1: no column 'Volts' for --map voltage; the header has: Date, Time, Voltage, Current"] });
  });
  test('an unreadable time: names the line, exit 2', async () => {
    const r = await command(replayArgs(file('time.csv', header + '16/12/2006;17:24:00;234.8;18.4\n31/02/2006;17:25:00;234.8;18.4\n')));
    expect(r.code).toBe(2);
    expect(r.err).toEqual(["meterchain edge: line 3: cannot read the time '31/02/2006 17:25:00' (dd/mm/yyyy hh:mm:ss, ISO 8601, or epoch seconds or ms)"]);
  });
  test('comma-separated, quoted fields and empty values as gaps are read', async () => {
    const path = file('quoted.csv', 'Date,Time,"Voltage, V",Current\n"16/12/2006",17:24:00,"234.8",18.4\n16/12/2006,17:25:00,,\n');
    const r = await command([...replayArgs(path, 'voltage="Voltage, V",current=Current'), '--json']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.out[0]!)).toEqual({ rows: 2, counts: { gap: 1 }, findings: [{ line: 3, time: '16/12/2006 17:25:00', check: 'gap', channel: '*', detail: 'no values in this sample' }] });
  });
  test('a missing file: one line, exit 2', async () => {
    const r = await command(replayArgs(join(dir, 'absent.csv')));
    expect(r.code).toBe(2);
    expect(r.err).toEqual([`meterchain edge: cannot read ${join(dir, 'absent.csv')}: no such file`]);
  });
  test('a unit that does not fit the channel is a usage error', async () => {
    const r = await command(replayArgs(file('u.csv', header), 'current=Current:kW'));
    expect(r).toEqual({ code: 2, out: [], err: ["meterchain edge: --map current: unit 'kW' is not a unit of A"] });
  });
});
