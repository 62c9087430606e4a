// `meterchain demo --transport modbus-rtu` (`npm start -- --transport modbus-rtu`): the meters on one simulated RS-485
// line with the demo as concentrator, to a verified chain; the line's figures printed, its capture Modbus RTU to tshark.
import { expect, test } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { requirePrograms } from '@meterchain/testkit/programs';
import { meterchain } from './run.ts';

const ready = requirePrograms('the RS-485 demo test', 'socat', 'tshark');

(ready ? test : test.skip)('4 meters on a 115,200-baud line end with a verified chain and the line\'s figures', () => {
  const out = join(mkdtempSync(join(tmpdir(), 'mc-demo-rs485-')), 'run');
  const r = meterchain(['demo', '--transport', 'modbus-rtu', '--meters', '4', '--rounds', '10', '--out', out], { timeoutMs: 170_000 });
  expect(r.stderr).not.toMatch(/does NOT verify|unreadable/);
  expect(r.code).toBe(0);
  expect(r.stdout).toMatch(/^rs485 line: 115200 baud 8E1, 4 drops and a bus master in this process/m);
  expect(r.stdout).toMatch(/^starting 4 meters: \d polled by the bus master, rounds begin in \d+ s$/m);
  const verified = /chain of (.+): (\d+) blocks verified against the manifest/.exec(r.stdout);
  expect(verified![1]!.split(', ').length).toBe(4);
  expect(Number(verified![2])).toBeGreaterThanOrEqual(1);
  const figures = /^rs485 line: ([\d,]+) bytes in ([\d,]+) frames over [\d.]+ s, wire use (\d+) %; (\d+) frames relayed; .* (\d+) bytes lost to collisions$/m.exec(r.stdout);
  expect(figures).not.toBeNull();
  expect(Number(figures![4])).toBeGreaterThan(4 * 10);
  expect(Number(figures![3])).toBeGreaterThan(0);
  // The capture is Modbus RTU to tshark: every frame tshark dissects has a good CRC, none is malformed.
  const dissected = spawnSync('tshark', ['-r', join(out, 'line', 'line.pcap'), '-o', 'uat:user_dlts:"User 0 (DLT=147)","mbrtu","0","","0",""', '-o', 'mbrtu.crc_verification:TRUE', '-T', 'fields', '-e', 'mbrtu.crc16.status', '-e', '_ws.malformed', '-Y', 'mbrtu'], { encoding: 'utf8', maxBuffer: 1 << 28, timeout: 120_000 });
  const rows = dissected.stdout.trim().split('\n').map((l) => l.split('\t'));
  expect(rows.length).toBeGreaterThan(100);
  const bad = rows.filter(([crc, malformed = '']) => crc !== '1' || malformed !== '');
  // A member answering after its timeout (a loaded machine) talks over the next request: the line counts those bytes,
  // and only then may tshark see damaged frames.
  if (Number(figures![5]) === 0) expect(bad).toEqual([]);
  else expect(bad.length).toBeLessThan(rows.length / 100);
}, 180_000);

test('a bad --transport or an option that does not go with the line is one line and exit 2', () => {
  const bad = meterchain(['demo', '--transport', 'carrier-pigeon']);
  expect(bad.code).toBe(2);
  expect(bad.stderr.trim().split('\n')).toEqual([expect.stringMatching(/--transport must be mqtt or modbus-rtu, got 'carrier-pigeon'/)]);
  const both = meterchain(['demo', '--transport', 'modbus-rtu', '--broker', 'mqtt://127.0.0.1:1883']);
  expect(both.code).toBe(2);
  expect(both.stderr).toMatch(/--broker does not go with --transport modbus-rtu/);
  const baud = meterchain(['demo', '--baud', '9600']);
  expect(baud.code).toBe(2);
  expect(baud.stderr).toMatch(/--baud is the RS-485 line's/);
});
