import { beforeAll, describe, expect, test } from '@jest/globals';
import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isOneLineError, meterchain } from './run.ts';

const dir = mkdtempSync(join(tmpdir(), 'mc-cli-'));
const reading = { cluster: 'feeder-1', seq: 7, ts: 1_764_000_000_123, clock: 'synced', channels: [{ id: '1-0:32.7.0', unit: 'V', scale: -1, value: 2301 }], quality: 0 };

beforeAll(() => {
  expect(meterchain(['cluster', 'init', '--name', 'feeder-1', '--members', '4', '--rule', 'bft', '--out', join(dir, 'c')]).code).toBe(0);
  writeFileSync(join(dir, 'r.json'), JSON.stringify(reading));
  expect(meterchain(['reading', 'sign', '--key', join(dir, 'c/members/m01/meter.key'), '--in', join(dir, 'r.json'), '--out', join(dir, 'r.cbor')]).code).toBe(0);
}, 60_000);

describe('meterchain keygen', () => {
  test('prints the address, writes the private key with mode 0600 and never prints it', () => {
    const r = meterchain(['keygen', '--out', join(dir, 'k')]);
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toMatch(/^mc[0-9a-f]{40}$/);
    expect(statSync(join(dir, 'k/meter.key')).mode & 0o777).toBe(0o600);
    const seed = JSON.parse(readFileSync(join(dir, 'k/meter.key'), 'utf8')).seed as string;
    expect(r.stdout + r.stderr).not.toContain(seed);
    expect(JSON.parse(readFileSync(join(dir, 'k/meter.pub'), 'utf8')).address).toBe(r.stdout.trim());
  });
  test('refuses to overwrite an existing key', () => {
    const r = meterchain(['keygen', '--out', join(dir, 'k')]);
    expect(r.code).toBe(2);
    expect(isOneLineError(r)).toBe(true);
  });
});

describe('meterchain cluster init', () => {
  test('writes the operator key, member keys with mode 0600 and a manifest that verifies', () => {
    expect(statSync(join(dir, 'c/operator.key')).mode & 0o777).toBe(0o600);
    expect(statSync(join(dir, 'c/members/m04/meter.key')).mode & 0o777).toBe(0o600);
    const r = meterchain(['cluster', 'show', '--manifest', join(dir, 'c/manifest.cbor'), '--json']);
    expect(r.code).toBe(0);
    const m = JSON.parse(r.stdout);
    expect(m.rule).toBe('bft');
    expect(m.members).toHaveLength(4);
  });
  test('refuses bft with fewer than four members', () => {
    const r = meterchain(['cluster', 'init', '--name', 'x', '--members', '3', '--rule', 'bft', '--out', join(dir, 'small')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/at least 4 members/);
  });
});

describe('meterchain reading verify', () => {
  const verify = (file: string, json = false) => meterchain(['reading', 'verify', '--manifest', join(dir, 'c/manifest.cbor'), '--in', file, ...(json ? ['--json'] : [])]);

  test('exits 0 on a valid signed reading, with the reading in --json', () => {
    const r = verify(join(dir, 'r.cbor'), true);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ valid: true, member: 'm01', reading: { seq: 7, ts: 1_764_000_000_123 } });
  });

  test('exits 1 with the reason when one byte changed', () => {
    const bytes = readFileSync(join(dir, 'r.cbor'));
    bytes[bytes.length - 1] ^= 1;
    writeFileSync(join(dir, 'flipped.cbor'), bytes);
    const r = verify(join(dir, 'flipped.cbor'), true);
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout)).toMatchObject({ valid: false, code: 'bad-signature' });
  });

  const hostile: [string, Buffer][] = [
    ['garbage', Buffer.from('this is not cbor at all')],
    ['empty', Buffer.alloc(0)],
    ['truncated', Buffer.from([0xa2, 0x64, 0x62, 0x6f])],
    ['oversized', Buffer.alloc(200_000, 0x41)],
    ['non-canonical (integer 1 in two bytes)', Buffer.from([0x18, 0x01])],
    ['indefinite-length map', Buffer.from([0xbf, 0xff])],
    ['deep nesting', Buffer.alloc(5000, 0x81)],
  ];
  for (const [name, bytes] of hostile) {
    test(`${name} input gives one line on stderr and exit 1, never a crash`, () => {
      const file = join(dir, `hostile-${name.replace(/\W+/g, '-')}.cbor`);
      writeFileSync(file, bytes);
      const r = verify(file);
      expect(r.code).toBe(1);
      expect(isOneLineError(r)).toBe(true);
      expect(r.stderr).toMatch(/invalid \(malformed\)/);
    });
  }

  test('a missing file, a manifest that is not one, and an unknown option exit 2 with one line', () => {
    for (const args of [
      ['reading', 'verify', '--manifest', join(dir, 'c/manifest.cbor'), '--in', join(dir, 'nope.cbor')],
      ['reading', 'verify', '--manifest', join(dir, 'r.json'), '--in', join(dir, 'r.cbor')],
      ['reading', 'verify', '--colour', 'red'],
      ['reading', 'verify', '--in', join(dir, 'r.cbor')],
    ]) {
      const r = meterchain(args);
      expect(r.code).toBe(2);
      expect(isOneLineError(r)).toBe(true);
    }
  });
});

describe('meterchain reading sign', () => {
  test('refuses a reading file with a field of the wrong type, naming the field', () => {
    writeFileSync(join(dir, 'bad.json'), JSON.stringify({ ...reading, seq: 'seven' }));
    const r = meterchain(['reading', 'sign', '--key', join(dir, 'c/members/m01/meter.key'), '--in', join(dir, 'bad.json'), '--out', join(dir, 'bad.cbor')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/seq: expected a non-negative integer/);
  });
  test('refuses a file that is not JSON with one line', () => {
    writeFileSync(join(dir, 'notjson.json'), '{"seq": ');
    const r = meterchain(['reading', 'sign', '--key', join(dir, 'c/members/m01/meter.key'), '--in', join(dir, 'notjson.json'), '--out', join(dir, 'x.cbor')]);
    expect(r.code).toBe(2);
    expect(isOneLineError(r)).toBe(true);
  });
});

describe('meterchain --help', () => {
  test('every command answers --help with its usage and exit 0', () => {
    const overview = meterchain(['--help']);
    expect(overview.code).toBe(0);
    const names = [...overview.stdout.matchAll(/^ {2}([a-z0-9-]+) /gm)].map((m) => m[1]!);
    expect(names).toEqual(expect.arrayContaining(['keygen', 'cluster', 'reading']));
    for (const name of names) {
      const r = meterchain([name, '--help']);
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(/^usage: meterchain/);
    }
  });
  test('an unknown command exits 2 with one line', () => {
    const r = meterchain(['frobnicate']);
    expect(r.code).toBe(2);
    expect(isOneLineError(r)).toBe(true);
  });
});
