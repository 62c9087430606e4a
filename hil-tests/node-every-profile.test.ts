// Every Modbus profile runs in a node and passes the edge checks: an SDM630, a SunSpec 203 meter, a device described
// by a register-map file (word order, scale, factor, OBIS id per point) and a single-phase SDM120 under the
// residential edge profile, all behind one pymodbus Modbus TCP gateway with a unit id each, in a four-node cluster
// over Mosquitto. Each reading carries OBIS channels the edge
// knows (no GAP: "no values in this sample"), and the cluster accepts them with the device's exact values.
import { afterAll, beforeAll, expect, test } from '@jest/globals';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { roundOf } from '@meterchain/consensus';
import { QualityFlag } from '@meterchain/core';
import { readingsOf } from '@meterchain/ledger';
import { requireMosquitto, startMosquitto, type MosquittoBroker } from '@meterchain/testkit/mosquitto';
import { createTestCluster, waitFor, type TestCluster } from '../firmware/linux/test/support/cluster.ts';
import { SDM630_EXPECTED, SDM630_POINTS } from './support/fixtures.ts';
import { freePort } from './support/net.ts';
import type { Peer } from './support/process.ts';
import { requirePymodbus } from './support/programs.ts';
import { tempDir } from './support/pty.ts';
import { startPymodbus, type PeerPoint } from './support/pymodbus.ts';

const ready = requirePymodbus() && requireMosquitto('the every-profile node test');
const dir = tempDir('node-profiles');
let peer: Peer | undefined;
let broker: MosquittoBroker | undefined;
let cluster: TestCluster | undefined;

const hr = (address: number, type: PeerPoint['type'], value: number | string, size?: number): PeerPoint =>
  size === undefined ? { table: 'hr', address, type, value } : { table: 'hr', address, type, value, size };
const words = (address: number, values: number[]) => ({ table: 'hr', address, type: 'uint16', value: 0, words: values }) as unknown as PeerPoint;

/** A SunSpec 203 meter at 40000 with physically consistent values: 230.0 V, 5.00 A, 1000 W, 568 var per phase. */
function sunspec203(): PeerPoint[] {
  const m = 40070;
  return [
    hr(40000, 'string', 'SunS', 2), hr(40002, 'uint16', 1), hr(40003, 'uint16', 66), hr(40004, 'string', 'ACME', 16), hr(40020, 'string', 'PM-3', 16),
    hr(m, 'uint16', 203), hr(m + 1, 'uint16', 105),
    hr(m + 2, 'int16', 1500), hr(m + 3, 'int16', 500), hr(m + 4, 'int16', 500), hr(m + 5, 'int16', 500), hr(m + 6, 'sunssf', -2),
    hr(m + 7, 'int16', 2300), hr(m + 8, 'int16', 2300), hr(m + 9, 'int16', 2300), hr(m + 10, 'int16', 2300), hr(m + 15, 'sunssf', -1),
    hr(m + 16, 'int16', 5000), hr(m + 17, 'sunssf', -2),
    hr(m + 18, 'int16', 3000), hr(m + 19, 'int16', 1000), hr(m + 20, 'int16', 1000), hr(m + 21, 'int16', 1000), hr(m + 22, 'sunssf', 0),
    hr(m + 28, 'int16', 1704), hr(m + 29, 'int16', 568), hr(m + 30, 'int16', 568), hr(m + 31, 'int16', 568), hr(m + 32, 'sunssf', 0),
    hr(m + 38, 'acc32', 5000), hr(m + 46, 'acc32', 1000000), hr(m + 54, 'sunssf', 0),
    hr(m + 107, 'uint16', 0xffff), hr(m + 108, 'uint16', 0),
  ];
}
const SUNSPEC_EXPECTED: { [id: string]: [number, number, string] } = {
  '1-0:32.7.0': [2300, -1, 'V'], '1-0:72.7.0': [2300, -1, 'V'], '1-0:31.7.0': [500, -2, 'A'], '1-0:36.7.0': [1000, 0, 'W'],
  '1-0:16.7.0': [3000, 0, 'W'], '1-0:63.7.0': [568, 0, 'var'], '1-0:14.7.0': [5000, -2, 'Hz'], '1-0:1.8.0': [1000000, 0, 'Wh'], '1-0:2.8.0': [5000, 0, 'Wh'],
};

/** A device only a register map describes: holding registers, integers at a scale, the low word first where marked. */
const MAP = `device: Test PM
registers:
  - { channel: '1-0:32.7.0', address: 100, function: holding, type: uint16, scale: -1, unit: V }
  - { channel: '1-0:31.7.0', address: 101, function: holding, type: uint16, scale: -2, unit: A }
  - { channel: '1-0:36.7.0', address: 102, function: holding, type: int32, wordOrder: little, unit: W }
  - { channel: '1-0:1.8.0', address: 110, function: holding, type: float32, wordOrder: little, factor: 1000, unit: Wh }
`;
const MAP_POINTS: PeerPoint[] = [hr(100, 'uint16', 2305), hr(101, 'uint16', 512), words(102, [1150, 0]), words(110, [0x0000, 0x4148])];
const MAP_EXPECTED: { [id: string]: [number, number, string] } = {
  '1-0:32.7.0': [2305, -1, 'V'], '1-0:31.7.0': [512, -2, 'A'], '1-0:36.7.0': [1150, 0, 'W'], '1-0:1.8.0': [12500, 0, 'Wh'],
};

/** A single-phase SDM120 drawing 5 A at 230 V: 1100 W, 1150 VA, 335.4 var, power factor 0.956 (16.97 degrees). */
const ir = (address: number, value: number): PeerPoint => ({ table: 'ir', address, type: 'float32', value });
const SDM120_POINTS: PeerPoint[] = [
  ir(0x00, 230), ir(0x06, 5), ir(0x0c, 1100), ir(0x12, 1150), ir(0x18, 335.4), ir(0x1e, 0.956), ir(0x24, 16.97),
  ir(0x46, 50), ir(0x48, 12345.5), ir(0x4a, 0.25), ir(0x156, 12345.75),
];
const SDM120_EXPECTED: { [id: string]: [number, number, string] } = {
  '1-0:32.7.0': [23000, -2, 'V'], '1-0:31.7.0': [5000, -3, 'A'], '1-0:16.7.0': [11000, -1, 'W'], '1-0:14.7.0': [50000, -3, 'Hz'],
  '1-0:1.8.0': [12345500, 0, 'Wh'], '1-0:2.8.0': [250, 0, 'Wh'],
};

const PROFILES = ['sdm630', 'sunspec', join(dir.path, 'test-pm.yaml'), 'sdm120'];
const EXPECTED = [SDM630_EXPECTED, SUNSPEC_EXPECTED, MAP_EXPECTED, SDM120_EXPECTED];

beforeAll(async () => {
  if (!ready) return;
  writeFileSync(join(dir.path, 'test-pm.yaml'), MAP);
  const port = await freePort();
  peer = await startPymodbus(dir.path, { 1: SDM630_POINTS, 2: sunspec203(), 3: MAP_POINTS, 4: SDM120_POINTS }, { tcp: port });
  const c = createTestCluster({
    members: 4,
    brokerUrl: () => broker!.url,
    roundMs: 1000,
    blockRounds: 3,
    sensor: (i) => [
      'sensor:', '  type: modbus-tcp', '  host: 127.0.0.1', `  port: ${port}`, `  unit: ${i + 1}`, `  profile: ${PROFILES[i]}`,
      ...(PROFILES[i] === 'sdm120' ? ['edge:', '  profile: residential'] : []),
    ],
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

(ready ? test : test.skip)('SDM630, SunSpec, register-map and SDM120 meters each commit readings with their exact OBIS channels and no GAP', async () => {
  const c = cluster!;
  const accepted = (i: number) => c.members[i]!.logs.filter((l) => l['msg'] === 'own reading accepted').length;
  await waitFor('three accepted readings of each Modbus meter', () => [0, 1, 2, 3].every((i) => accepted(i) >= 3), 60_000);
  await waitFor('two blocks on every meter', () => c.members.every((m) => (m.running?.node.height ?? -1) >= 1), 30_000);
  for (const m of c.members) expect(m.logs.filter((l) => l['msg'] === 'edge finding' && l['check'] === 'gap')).toEqual([]);
  await c.stopAll();
  const rows = (await c.blocks(c.members[3]!))
    .map((b) => readingsOf(b, (r) => roundOf(c.manifest, r.ts)))
    .flatMap((r) => ('reason' in r ? [] : r));
  for (let i = 0; i < 4; i++) {
    const mine = rows.filter((r) => Buffer.from(r.reading.meter).toString('hex') === c.members[i]!.address.slice(2));
    expect({ profile: PROFILES[i], readings: mine.length > 0 }).toEqual({ profile: PROFILES[i], readings: true });
    for (const row of mine) {
      expect({ profile: PROFILES[i], gap: row.reading.quality & QualityFlag.GAP }).toEqual({ profile: PROFILES[i], gap: 0 });
      const table: { [id: string]: [number, number, string] } = {};
      for (const ch of row.reading.channels) if (ch.id in EXPECTED[i]!) table[ch.id] = [ch.raw ?? ch.value, ch.scale, ch.unit];
      expect(table).toEqual(EXPECTED[i]);
    }
  }
}, 150_000);
