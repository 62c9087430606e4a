// An IEC 62056-21 mode C meter as a node sensor: the simulated meter on a socat pty (300 baud sign-on, switch to
// 9600), read out once a sample by a node of a four-node cluster over Mosquitto. Its channels reach the edge under
// full OBIS codes (no GAP), and the cluster accepts its readings with the digits the meter printed.
import { afterAll, beforeAll, expect, test } from '@jest/globals';
import { roundOf } from '@meterchain/consensus';
import { QualityFlag } from '@meterchain/core';
import { readingsOf } from '@meterchain/ledger';
import { startSimulator, type RunningSimulator } from '@meterchain/modbus/sim';
import { requireMosquitto, startMosquitto, type MosquittoBroker } from '@meterchain/testkit/mosquitto';
import { createTestCluster, waitFor, type TestCluster } from '../firmware/linux/test/support/cluster.ts';
import { requirePrograms } from './support/programs.ts';
import { ptyPair, tempDir, type PtyPair } from './support/pty.ts';

const ready = requirePrograms('socat') && requireMosquitto('the IEC 62056-21 node test');
const dir = tempDir('node-iec');
let pty: PtyPair | undefined;
let sim: RunningSimulator | undefined;
let broker: MosquittoBroker | undefined;
let cluster: TestCluster | undefined;

beforeAll(async () => {
  if (!ready) return;
  pty = await ptyPair(dir.path);
  // Frozen values: the readings in the chain can be compared with what the meter prints.
  sim = await startSimulator({ profile: 'iec62056', link: { kind: 'rtu', path: pty.b, baudRate: 300 }, seed: 8, tickMs: 0 });
  const c = createTestCluster({
    members: 4,
    brokerUrl: () => broker!.url,
    // A readout takes about 0.6 s on a pty (the simulated meter's 300 ms reaction, the sign-on): two a round fit in 3 s.
    roundMs: 3000,
    blockRounds: 2,
    sensor: (i) => (i === 0 ? ['sensor:', '  type: iec62056', `  path: ${pty!.a}`, '  baud: 9600', '  timeoutMs: 3000'] : undefined),
  });
  cluster = c;
  broker = await startMosquitto({ users: c.members.map((m) => ({ username: m.address, password: m.password })) });
  await Promise.all(c.members.map((m) => c.start(m)));
}, 60_000);

afterAll(async () => {
  await cluster?.stopAll();
  await broker?.close();
  await sim?.close();
  await pty?.stop();
  dir.remove();
});

(ready ? test : test.skip)('an IEC 62056-21 meter in a node commits readings with its printed values as OBIS channels', async () => {
  const c = cluster!;
  const meter = c.members[0]!;
  const accepted = () => meter.logs.filter((l) => l['msg'] === 'own reading accepted').length;
  await waitFor('two accepted readings of the IEC 62056-21 meter', () => accepted() >= 2, 60_000);
  await waitFor('a block on every meter', () => c.members.every((m) => (m.running?.node.height ?? -1) >= 1), 30_000);
  await c.stopAll();
  const rows = (await c.blocks(c.members[1]!))
    .map((b) => readingsOf(b, (r) => roundOf(c.manifest, r.ts)))
    .flatMap((r) => ('reason' in r ? [] : r))
    .filter((r) => Buffer.from(r.reading.meter).toString('hex') === meter.address.slice(2));
  expect(rows.length).toBeGreaterThan(0);
  const state = sim!.simulation.state;
  for (const row of rows) {
    expect(row.reading.quality & QualityFlag.GAP).toBe(0);
    const ch = (id: string) => row.reading.channels.find((x) => x.id === id)!;
    // The meter prints 1.8.0 in kWh with three decimals and voltages with one: carried as Wh and at scale -1.
    expect([ch('1-0:1.8.0').value, ch('1-0:1.8.0').scale, ch('1-0:1.8.0').unit]).toEqual([Number((state.importWh / 1000).toFixed(3).replace('.', '')), 0, 'Wh']);
    expect(ch('1-0:32.7.0').scale).toBe(-1);
    expect(ch('1-0:32.7.0').unit).toBe('V');
    expect(ch('1-0:72.7.0').raw ?? ch('1-0:72.7.0').value).toBeGreaterThan(2000);
  }
}, 150_000);
