// `meterchain modbus read` as an integrator runs it, against pymodbus over TCP: the JSON output carries the exact
// channels; a wrong unit id exits 1 with one line naming device, unit and register.
import { afterAll, beforeAll, expect, test } from '@jest/globals';
import { SDM630_EXPECTED, SDM630_POINTS, channelTable } from './support/fixtures.ts';
import { freePort } from './support/net.ts';
import { meterchainBin } from './support/paths.ts';
import { runProgram, type Peer } from './support/process.ts';
import { requirePymodbus } from './support/programs.ts';
import { tempDir } from './support/pty.ts';
import { startPymodbus } from './support/pymodbus.ts';

const ready = requirePymodbus();
const dir = tempDir('cli-read');
let peer: Peer | undefined;
let port = 0;

beforeAll(async () => {
  if (!ready) return;
  port = await freePort();
  peer = await startPymodbus(dir.path, SDM630_POINTS, { tcp: port }, 4);
}, 30_000);

afterAll(async () => {
  await peer?.stop();
  dir.remove();
});

(ready ? test : test.skip)('modbus read --json prints the channels pymodbus serves; a wrong unit exits 1 with one line', async () => {
  const ok = await runProgram(process.execPath, [meterchainBin, 'modbus', 'read', '--profile', 'sdm630', '--tcp', `127.0.0.1:${port}`, '--unit', '4', '--json'], 30_000);
  expect(ok.code).toBe(0);
  const sample = JSON.parse(ok.output) as { channels: { id: string; value: number; scale: number; unit: string }[]; quality: number; link: string };
  expect(channelTable(sample.channels, Object.keys(SDM630_EXPECTED))).toEqual(SDM630_EXPECTED);
  expect(sample.link).toBe(`tcp 127.0.0.1:${port}`);
  const wrong = await runProgram(process.execPath, [meterchainBin, 'modbus', 'read', '--profile', 'sdm630', '--tcp', `127.0.0.1:${port}`, '--unit', '5', '--timeout', '500', '--retries', '0'], 30_000);
  expect(wrong.code).toBe(1);
  expect(wrong.output.trim()).toBe(`meterchain modbus: SDM630 (unit 5 on tcp 127.0.0.1:${port}): no reply within 500 ms (wrong unit id, wrong baud rate or parity, or device off line) reading input registers 0 (0x0000, 30001), 80 registers`);
}, 60_000);

(ready ? test : test.skip)('modbus read exits 1 when channels of the profile are missing, naming each and why', async () => {
  // A device with only some of the SDM630's registers, refusing reads that touch the others.
  const sparsePort = await freePort();
  const sparse = await startPymodbus(dir.path, SDM630_POINTS, { tcp: sparsePort }, 2, { sparse: true });
  try {
    const r = await runProgram(process.execPath, [meterchainBin, 'modbus', 'read', '--profile', 'sdm630', '--tcp', `127.0.0.1:${sparsePort}`, '--unit', '2'], 30_000);
    expect(r.code).toBe(1);
    // What the device has is printed, exactly; the error is one line naming the missing channels and why.
    expect(r.output).toMatch(/^1-0:32\.7\.0\s+230\.50 V$/m);
    const errors = r.output.split('\n').filter((l) => l.startsWith('meterchain modbus:'));
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(/^meterchain modbus: 16 of 32 channels of sdm630 missing: 1-0:29\.7\.0 \(the device lacks 18 \(0x0012, 30019\) \(illegal data address, exception 2\)\); /);
  } finally {
    await sparse.stop();
  }
}, 60_000);
