// The sensor node reads a simulated SDM630 over Modbus RTU on a socat pty and sends authenticated frames, running in
// the gate's Espruino-like context (what Espruino lacks deleted, Math.round and parseFloat as Espruino's): every
// frame passes its CRC-32, strict CBOR and the HMAC check, carries the meter's registers as fixed-point channels,
// and sequence numbers go on across a reboot from the mark kept in flash.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createContext, runInContext } from 'node:vm';
import zlib from 'node:zlib';
import { SerialPort } from 'serialport';
import { Domain, QualityFlag, decode, decodeReading, signingInput, toHex, verifyHmacSha256, type Reading } from '@meterchain/core';
import { bundleTarget, strippingPrelude } from '@meterchain/gate';
import { decodePoints, eastronPoints, planPointReads, EASTRON_MAX_GAP, EASTRON_MAX_READ } from '@meterchain/meters';
import { startSimulator, type RunningSimulator } from '@meterchain/modbus/sim';
import { requirePrograms } from '../../../hil-tests/support/programs.ts';
import { ptyPair, tempDir, type PtyPair } from '../../../hil-tests/support/pty.ts';
import type { Board } from './sensor-program.ts';

const KEY = '000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f';
const METER = '00112233445566778899aabbccddeeff00112233';
const firmwareDir = fileURLToPath(new URL('..', import.meta.url));
const ready = requirePrograms('socat');
const dir = tempDir('sensor-pty');
let pty: PtyPair | undefined;
let sim: RunningSimulator | undefined;
let port: SerialPort | undefined;

beforeAll(async () => {
  if (!ready) return;
  pty = await ptyPair(dir.path);
  sim = await startSimulator({ profile: 'sdm630', link: { kind: 'rtu', path: pty.b, baudRate: 9600 }, seed: 21, tickMs: 0 });
  port = new SerialPort({ path: pty.a, baudRate: 9600, autoOpen: false });
  await new Promise<void>((resolve, reject) => port!.open((e) => (e ? reject(e) : resolve())));
}, 30_000);

afterAll(async () => {
  if (port?.isOpen) await new Promise<void>((resolve) => port!.close(() => resolve()));
  await sim?.close();
  await pty?.stop();
  dir.remove();
});

/** Boots the sensor program in a fresh stripped context, as a board boots it, with `flash` as its storage. */
async function boot(flash: { mark: number }, frames: Uint8Array[], log: string[]): Promise<{ sample: (done: () => void) => void }> {
  const out = mkdtempSync(join(tmpdir(), 'sensor-program-'));
  const target = { name: 'sensor program', dir: firmwareDir, smoke: join(firmwareDir, 'test', 'sensor-program.ts') };
  const built = await bundleTarget(target, join(firmwareDir, '..', '..'), join(out, 'sensor.js'));
  expect(built.findings).toEqual([]);
  const context = createContext({}, { codeGeneration: { strings: true, wasm: false } });
  runInContext(strippingPrelude(), context);
  const sandbox = context as Record<string, unknown>;
  sandbox['print'] = () => undefined;
  sandbox['console'] = { log: () => undefined };
  runInContext(built.code!, context, { filename: 'espruino-sandbox/sensor.js' });
  port!.removeAllListeners('data');
  const board: Board = {
    writeMeter: (bytes) => port!.write(Buffer.from(Array.from(bytes))),
    onMeterData: (handler) => port!.on('data', (chunk: Buffer) => handler(Array.from(chunk))),
    setTimeout: (run, ms) => setTimeout(run, ms),
    clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
    send: (frame) => frames.push(Uint8Array.from(Array.from(frame))),
    now: () => 1700000000000 + frames.length * 10000,
    readMark: () => flash.mark,
    writeMark: (mark) => {
      flash.mark = mark;
    },
    key: KEY,
    meter: METER,
    log: (line) => log.push(line),
  };
  return (sandbox['startSensor'] as (b: Board) => { sample: (done: () => void) => void })(board);
}

function sampled(node: { sample: (done: () => void) => void }): Promise<void> {
  return new Promise((resolve) => node.sample(resolve));
}

/** What a full node checks: length, CRC-32, strict CBOR, HMAC under the sensor domain; the reading. */
function openFrame(frame: Uint8Array): Reading {
  const length = (frame[0]! << 8) | frame[1]!;
  expect(frame.length).toBe(length + 6);
  const crc = zlib.crc32(frame.subarray(0, length + 2));
  expect(Array.from(frame.subarray(length + 2))).toEqual([crc & 0xff, (crc >>> 8) & 0xff, (crc >>> 16) & 0xff, crc >>> 24]);
  const payload = decode(frame.subarray(2, length + 2));
  expect(payload.ok).toBe(true);
  const msg = (payload as unknown as { value: { body: Uint8Array; tag: Uint8Array } }).value;
  expect(verifyHmacSha256(Uint8Array.from(Buffer.from(KEY, 'hex')), signingInput(Domain.SENSOR, msg.body), msg.tag)).toBe(true);
  const reading = decodeReading(msg.body);
  expect(reading.ok).toBe(true);
  return (reading as { reading: Reading }).reading;
}

(ready ? describe : describe.skip)('a sensor node on a UART, in the stripped context', () => {
  test('reads the simulated SDM630 over Modbus RTU and sends frames a full node accepts, with the meter\'s values', async () => {
    const flash = { mark: 0 };
    const frames: Uint8Array[] = [];
    const log: string[] = [];
    const node = await boot(flash, frames, log);
    for (let i = 0; i < 3; i++) await sampled(node);
    expect(log).toEqual([]);
    expect(frames).toHaveLength(3);
    // The channels the node read over the pty are the registers the simulator holds, decoded on Node.
    const points = eastronPoints('SDM630', 'big');
    const blocks = planPointReads(points, EASTRON_MAX_GAP, EASTRON_MAX_READ);
    const expected = decodePoints(points, blocks, blocks.map((b) => sim!.image!.input!.subarray(b.address, b.address + b.count))).channels;
    const readings = frames.map(openFrame);
    expect(readings.map((r) => r.seq)).toEqual([0, 1, 2]);
    expect(readings[2]!.meter.length).toBe(20);
    expect(toHex(readings[2]!.meter)).toBe(METER);
    expect(readings[2]!.quality).toBe(0);
    expect(readings[2]!.channels.map((c) => [c.id, c.unit, c.scale, c.value])).toEqual(expected.map((c) => [c.id, c.unit, c.scale, c.value]));
    expect(readings[2]!.channels.length).toBe(32);
  }, 60_000);

  test('after a reboot, sequence numbers go on from the block reserved in flash: one flash write per 256 readings', async () => {
    const flash = { mark: 0 };
    const frames: Uint8Array[] = [];
    const first = await boot(flash, frames, []);
    await sampled(first);
    expect(flash.mark).toBe(256);
    const second = await boot(flash, frames, []);
    await sampled(second);
    expect(frames.map(openFrame).map((r) => r.seq)).toEqual([0, 256]);
    expect(flash.mark).toBe(512);
  }, 60_000);

  test('the edge on the board: an energy register that went back is flagged ENERGY_ROLLBACK, which the cluster refuses', async () => {
    const frames: Uint8Array[] = [];
    const node = await boot({ mark: 0 }, frames, []);
    const input = sim!.image!.input!;
    const saved = [input[0x48]!, input[0x49]!];
    await sampled(node);
    // 1-0:1.8.0 (import energy, float32 kWh at 0x48) set back to 1 kWh, far below what the meter showed.
    const one = new DataView(new ArrayBuffer(4));
    one.setFloat32(0, 1);
    input[0x48] = one.getUint16(0);
    input[0x49] = one.getUint16(2);
    try {
      await sampled(node);
    } finally {
      input[0x48] = saved[0]!;
      input[0x49] = saved[1]!;
    }
    const readings = frames.map(openFrame);
    expect(readings).toHaveLength(2);
    expect(readings[0]!.quality).toBe(0);
    expect(readings[1]!.channels.find((c) => c.id === '1-0:1.8.0')!.value).toBe(1000);
    expect(readings[1]!.quality & QualityFlag.ENERGY_ROLLBACK).toBe(QualityFlag.ENERGY_ROLLBACK);
  }, 60_000);

  test('a meter that does not answer: no frame, and a timeout per request in the log', async () => {
    const frames: Uint8Array[] = [];
    const log: string[] = [];
    const node = await boot({ mark: 0 }, frames, log);
    port!.removeAllListeners('data'); // the meter's replies no longer reach the board
    await sampled(node);
    expect(frames).toEqual([]);
    expect(log.length).toBeGreaterThan(0);
    expect(log[0]).toMatch(/no reply to the read of \d+ registers at \d+ within 1000 ms/);
  }, 60_000);
});
