// Bad input to the small commands: one clear line on stderr and a non-zero exit, never a hang, a file written
// outside where it was asked, or a cluster half made.
import { describe, expect, test } from '@jest/globals';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isOneLineError, meterchain } from './run.ts';

const dir = mkdtempSync(join(tmpdir(), 'mc-small-'));

describe('meterchain chain inspect', () => {
  test('a block file of garbage is reported and exits 1', () => {
    mkdirSync(join(dir, 'garbage/blocks'), { recursive: true });
    writeFileSync(join(dir, 'garbage/blocks/00000000.cbor'), Buffer.from('this is no block at all, just text'));
    const r = meterchain(['chain', 'inspect', join(dir, 'garbage')]);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/unreadable: blocks\/00000000\.cbor: /);
    expect(r.stderr.trim()).toMatch(/^meterchain chain: 1 unreadable part of .*garbage: blocks\/00000000\.cbor: /);
  });

  test('a block store of garbage exits 1, in JSON too', () => {
    mkdirSync(join(dir, 'store'), { recursive: true });
    writeFileSync(join(dir, 'store/blocks.log'), Buffer.alloc(3000, 0x5a));
    const r = meterchain(['chain', 'inspect', join(dir, 'store'), '--json']);
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout).unreadable).toHaveLength(1);
  });
});

describe('meterchain sim-device', () => {
  test('--duration abc is refused before anything is served, and the command ends', () => {
    const r = meterchain(['sim-device', '--profile', 'sdm630', '--tcp', '127.0.0.1:0', '--duration', 'abc'], { timeoutMs: 20_000 });
    expect(r.code).toBe(2);
    expect(isOneLineError(r)).toBe(true);
    expect(r.stderr).toMatch(/--duration expects a whole number, got 'abc'/);
    expect(r.stdout).not.toMatch(/serving/);
  }, 30_000);
});

describe('meterchain keygen', () => {
  test('--name with a path is refused: nothing is written outside --out', () => {
    const out = join(dir, 'keys/a/b');
    const r = meterchain(['keygen', '--out', out, '--name', '../../x']);
    expect(r.code).toBe(2);
    expect(isOneLineError(r)).toBe(true);
    expect(r.stderr).toMatch(/--name must be a file name/);
    expect(existsSync(join(dir, 'keys/x.key'))).toBe(false);
  });
});

describe('baud rates', () => {
  test.each([
    ['modbus', 'read', '--profile', 'sdm630', '--rtu', '/dev/null', '--baud', '12345', '--parity', 'none', '--unit', '1'],
    ['modbus', 'scan', '--rtu', '/dev/null', '--baud', '12345', '--parity', 'none'],
    ['sim-device', '--profile', 'sdm630', '--rtu', '/dev/null', '--baud', '12345'],
  ])('%s %s: --baud 12345 is not a serial rate', (...args) => {
    const r = meterchain(args, { timeoutMs: 20_000 });
    expect(r.code).toBe(2);
    expect(isOneLineError(r)).toBe(true);
    expect(r.stderr).toMatch(/--baud expects one of 300, 600, 1200, 2400, 4800, 9600, 19200, 38400, 57600, 115200, got 12345/);
  }, 30_000);
});

describe('meterchain demo', () => {
  test('--broker notaurl is refused before a cluster is written or a node started', () => {
    const out = join(dir, 'demo');
    const r = meterchain(['demo', '--broker', 'notaurl', '--out', out], { timeoutMs: 30_000 });
    expect(r.code).toBe(2);
    expect(isOneLineError(r)).toBe(true);
    expect(r.stderr).toMatch(/--broker expects mqtt:\/\/HOST:PORT/);
    expect(existsSync(out) ? readdirSync(out) : []).toEqual([]);
  }, 40_000);
});
