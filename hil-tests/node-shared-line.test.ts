// Four meters on one RS-485 line in one process: four nodes, one socat pty line, one pymodbus RTU server answering
// unit ids 1-4 (each its own values). The nodes share the line's bus (one request at a time, as `meterchain node` with
// several --config does), every meter commits readings, and no meter gets another's values.
import { afterAll, beforeAll, expect, test } from '@jest/globals';
import { roundOf } from '@meterchain/consensus';
import { readingsOf } from '@meterchain/ledger';
import { Lines } from '@meterchain/firmware-linux';
import { requireMosquitto, startMosquitto, type MosquittoBroker } from '@meterchain/testkit/mosquitto';
import { createTestCluster, waitFor, type TestCluster } from '../firmware/linux/test/support/cluster.ts';
import { SDM630_POINTS } from './support/fixtures.ts';
import type { Peer } from './support/process.ts';
import { requirePrograms, requirePymodbus } from './support/programs.ts';
import { ptyPair, tempDir, type PtyPair } from './support/pty.ts';
import { startPymodbus, type PeerPoint } from './support/pymodbus.ts';

const ready = requirePrograms('socat') && requirePymodbus(true) && requireMosquitto('the shared-line node test');
const dir = tempDir('shared-line');
let pty: PtyPair | undefined;
let peer: Peer | undefined;
let broker: MosquittoBroker | undefined;
let cluster: TestCluster | undefined;

/** Unit u's L1 voltage is 230 + u V: a reply taken for another unit's shows at once. */
const unitPoints = (u: number): PeerPoint[] => SDM630_POINTS.map((p) => (p.address === 0 ? { ...p, value: 230 + u } : p));

beforeAll(async () => {
  if (!ready) return;
  pty = await ptyPair(dir.path);
  peer = await startPymodbus(dir.path, { 1: unitPoints(1), 2: unitPoints(2), 3: unitPoints(3), 4: unitPoints(4) }, { rtu: pty.b });
  const c = createTestCluster({
    members: 4,
    brokerUrl: () => broker!.url,
    roundMs: 1000,
    blockRounds: 3,
    sensor: (i) => ['sensor:', '  type: modbus-rtu', `  path: ${pty!.a}`, '  baud: 9600', `  unit: ${i + 1}`, '  profile: sdm630'],
    startOptions: { lines: new Lines() },
  });
  cluster = c;
  broker = await startMosquitto({ users: c.members.map((m) => ({ username: m.address, password: m.password })) });
  await Promise.all(c.members.map((m) => c.start(m)));
}, 60_000);

afterAll(async () => {
  await cluster?.stopAll();
  await broker?.close();
  await peer?.stop();
  await pty?.stop();
  dir.remove();
});

(ready ? test : test.skip)('four meters on one pty line, one process, all commit readings with their own values', async () => {
  const c = cluster!;
  const accepted = (i: number) => c.members[i]!.logs.filter((l) => l['msg'] === 'own reading accepted').length;
  await waitFor('three accepted readings of every meter', () => [0, 1, 2, 3].every((i) => accepted(i) >= 3), 60_000);
  await waitFor('two blocks on every meter', () => c.members.every((m) => (m.running?.node.height ?? -1) >= 1), 30_000);
  // At 9600 baud four SDM630s need 4 × 2 × 261 ms of wire time a round: the nodes say the line is over capacity
  // for 1 s rounds (a pty has no line speed, so here they are read in time all the same).
  // The nodes start together, so whichever registers last on the line is the one that counts all four meters.
  const warnings = c.members.flatMap((m) => m.logs).filter((l) => String(l['msg']).startsWith('serial line over capacity'));
  expect(warnings.find((w) => w['meters'] === 4)).toMatchObject({ meters: 4, wireMsPerRound: 2090, roundMs: 1000 });
  await c.stopAll();
  const rows = (await c.blocks(c.members[0]!))
    .map((b) => readingsOf(b, (r) => roundOf(c.manifest, r.ts)))
    .flatMap((r) => ('reason' in r ? [] : r));
  for (let i = 0; i < 4; i++) {
    const mine = rows.filter((r) => Buffer.from(r.reading.meter).toString('hex') === c.members[i]!.address.slice(2));
    expect({ unit: i + 1, committed: mine.length > 0 }).toEqual({ unit: i + 1, committed: true });
    for (const row of mine) {
      const v = row.reading.channels.find((ch) => ch.id === '1-0:32.7.0')!;
      expect({ unit: i + 1, voltage: v.raw ?? v.value }).toEqual({ unit: i + 1, voltage: (230 + i + 1) * 100 });
    }
  }
}, 150_000);
