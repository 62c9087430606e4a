// A node pointed at a Modbus TCP meter that refuses block reads across holes (pymodbus with a sparse map) reads every
// register the device has, with its exact value, and the cluster accepts its readings: four nodes over Mosquitto, one
// of them reading the meter, the others simulated.
import { afterAll, beforeAll, expect, test } from '@jest/globals';
import { roundOf } from '@meterchain/consensus';
import { readingsOf } from '@meterchain/ledger';
import { requireMosquitto, startMosquitto, type MosquittoBroker } from '@meterchain/testkit/mosquitto';
import { createTestCluster, waitFor, type TestCluster } from '../firmware/linux/test/support/cluster.ts';
import { SDM630_EXPECTED, SDM630_POINTS } from './support/fixtures.ts';
import { freePort } from './support/net.ts';
import type { Peer } from './support/process.ts';
import { requirePymodbus } from './support/programs.ts';
import { tempDir } from './support/pty.ts';
import { startPymodbus } from './support/pymodbus.ts';

const ready = requirePymodbus() && requireMosquitto('the sparse-meter node test');
const dir = tempDir('node-sparse');
let peer: Peer | undefined;
let broker: MosquittoBroker | undefined;
let cluster: TestCluster | undefined;

beforeAll(async () => {
  if (!ready) return;
  const port = await freePort();
  peer = await startPymodbus(dir.path, SDM630_POINTS, { tcp: port }, 1, { sparse: true });
  const c = createTestCluster({
    members: 4,
    brokerUrl: () => broker!.url,
    roundMs: 1000,
    blockRounds: 3,
    sensor: (i) => (i === 0 ? ['sensor:', '  type: modbus-tcp', '  host: 127.0.0.1', `  port: ${port}`, '  unit: 1', '  profile: sdm630', '  timeoutMs: 1000'] : undefined),
  });
  cluster = c;
  broker = await startMosquitto({ users: c.members.map((m) => ({ username: m.address, password: m.password })) });
  await Promise.all(c.members.map((m) => c.start(m)));
}, 60_000);

afterAll(async () => {
  await cluster?.stopAll();
  await broker?.close();
  await peer?.stop();
  dir.remove();
});

(ready ? test : test.skip)('every register the sparse meter has is in its accepted readings, exactly', async () => {
  const c = cluster!;
  const meter = c.members[0]!;
  const accepted = () => meter.logs.filter((l) => l['msg'] === 'own reading accepted').length;
  await waitFor('three accepted readings of the Modbus meter', () => accepted() >= 3, 45_000);
  await waitFor('a block on the Modbus meter', () => (meter.running?.node.height ?? -1) >= 1, 30_000);
  // The node learned the device's map once and said so.
  expect(meter.logs.filter((l) => l['msg'] === 'device read plan learned').length).toBeGreaterThan(0);
  await c.stopAll();
  const rows = (await c.blocks(meter))
    .map((b) => readingsOf(b, (r) => roundOf(c.manifest, r.ts)))
    .flatMap((r) => ('reason' in r ? [] : r))
    .filter((r) => Buffer.from(r.reading.meter).toString('hex') === meter.address.slice(2));
  expect(rows.length).toBeGreaterThan(0);
  for (const row of rows) {
    const table: { [id: string]: [number, number, string] } = {};
    for (const ch of row.reading.channels) if (ch.id in SDM630_EXPECTED) table[ch.id] = [ch.raw ?? ch.value, ch.scale, ch.unit];
    expect(table).toEqual(SDM630_EXPECTED);
  }
}, 120_000);
