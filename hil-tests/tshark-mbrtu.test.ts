// Raw RTU frames over TCP (the RS-485 gateway case), dissected by tshark as Modbus RTU with CRC verification:
// every frame of meterchain and of the simulator is well-formed and passes its CRC.
import { afterAll, beforeAll, expect, test } from '@jest/globals';
import { join } from 'node:path';
import { EastronMeter, ModbusBus } from '@meterchain/modbus';
import { startSimulator, type RunningSimulator } from '@meterchain/modbus/sim';
import { freePort } from './support/net.ts';
import { requirePrograms } from './support/programs.ts';
import { tempDir } from './support/pty.ts';
import { dissect, startCapture, stopCapture } from './support/tshark.ts';

const ready = requirePrograms('tshark');
const dir = tempDir('tshark-mbrtu');
const file = join(dir.path, 'mbrtu.pcap');
let sim: RunningSimulator | undefined;
let port = 0;

beforeAll(async () => {
  if (!ready) return;
  port = await freePort();
  sim = await startSimulator({ profile: 'sdm630', link: { kind: 'rtu-over-tcp', host: '127.0.0.1', port }, unit: 2, seed: 3, tickMs: 0 });
}, 30_000);

afterAll(async () => {
  await sim?.close();
  dir.remove();
});

(ready ? test : test.skip)('tshark dissects meterchain RTU frames over TCP as Modbus RTU with good CRCs and no malformed frame', async () => {
  const capture = await startCapture(port, file);
  const bus = new ModbusBus({ link: { kind: 'rtu-over-tcp', host: '127.0.0.1', port }, timeoutMs: 2000 });
  const meter = new EastronMeter({ bus, unit: 2, model: 'SDM630' });
  try {
    await meter.sample();
  } finally {
    await bus.close();
    await stopCapture(capture);
  }
  const decodeAs = ['-o', `mbrtu.tcp.port:${port}`, '-o', 'mbrtu.crc_verification:TRUE'];
  const frames = dissect(file, decodeAs, 'mbrtu', ['mbrtu.unit_id', 'modbus.func_code', 'mbrtu.crc16.status', 'tcp.dstport']);
  expect(frames.length).toBe(2 * meter.reads.length);
  for (const f of frames) {
    expect(f[0]).toBe('2');
    expect(f[1]).toBe('4');
    // 1 = Good in Wireshark's checksum status.
    expect(f[2]).toBe('1');
  }
  expect(dissect(file, decodeAs, '_ws.malformed || _ws.expert.severity >= "warning"', ['frame.number'])).toEqual([]);
}, 60_000);
