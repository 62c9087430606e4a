// The bytes meterchain puts on the wire for Modbus TCP, dissected by tshark: every frame is well-formed Modbus/TCP
// (no malformed packet), requests carry the unit id and function asked for, and each has its response.
import { afterAll, beforeAll, expect, test } from '@jest/globals';
import { join } from 'node:path';
import { EastronMeter, ModbusBus } from '@meterchain/modbus';
import { SDM630_POINTS } from './support/fixtures.ts';
import { freePort } from './support/net.ts';
import type { Peer } from './support/process.ts';
import { requirePrograms, requirePymodbus } from './support/programs.ts';
import { tempDir } from './support/pty.ts';
import { startPymodbus } from './support/pymodbus.ts';
import { dissect, startCapture, stopCapture } from './support/tshark.ts';

const ready = requirePrograms('tshark') && requirePymodbus();
const dir = tempDir('tshark-mbtcp');
const file = join(dir.path, 'mbtcp.pcap');
let peer: Peer | undefined;
let port = 0;

beforeAll(async () => {
  if (!ready) return;
  port = await freePort();
  peer = await startPymodbus(dir.path, SDM630_POINTS, { tcp: port });
}, 30_000);

afterAll(async () => {
  await peer?.stop();
  dir.remove();
});

(ready ? test : test.skip)('tshark dissects meterchain Modbus TCP traffic without a malformed frame', async () => {
  const capture = await startCapture(port, file);
  const bus = new ModbusBus({ link: { kind: 'tcp', host: '127.0.0.1', port }, timeoutMs: 2000 });
  const meter = new EastronMeter({ bus, unit: 1, model: 'SDM630' });
  try {
    await meter.sample();
    await meter.sample();
  } finally {
    await bus.close();
    await stopCapture(capture);
  }
  // Modbus/TCP is dissected on port 502 by default; the test peer listens on a free port.
  const decodeAs = ['-o', `mbtcp.tcp.port:${port}`];
  const frames = dissect(file, decodeAs, 'mbtcp', ['mbtcp.trans_id', 'mbtcp.unit_id', 'modbus.func_code', 'modbus.reference_num', 'tcp.dstport']);
  const requests = frames.filter((f) => Number(f[4]) === port);
  const responses = frames.filter((f) => Number(f[4]) !== port);
  expect(requests.length).toBe(2 * meter.reads.length);
  expect(responses.length).toBe(requests.length);
  for (const f of frames) {
    expect(f[1]).toBe('1');
    expect(f[2]).toBe('4');
  }
  expect(requests.map((f) => Number(f[3]))).toEqual([0, 0xe0, 0x156, 0, 0xe0, 0x156]);
  // Each response answers the transaction id of a request.
  expect(responses.map((f) => f[0]).sort()).toEqual(requests.map((f) => f[0]).sort());
  expect(dissect(file, decodeAs, '_ws.malformed || _ws.expert.severity >= "warning"', ['frame.number'])).toEqual([]);
}, 60_000);
