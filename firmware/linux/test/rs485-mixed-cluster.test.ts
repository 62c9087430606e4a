// A mixed cluster: 2 members on the MQTT broker and 3 on an RS-485 line (115,200 baud), the line's concentrator
// bridging the two (its master relays line frames to the broker under their publishers' topics, and broker frames onto
// the line). Every member commits the same blocks, with readings of members on both sides; every chain verifies.
import { afterAll, expect, test } from '@jest/globals';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { roundOf } from '@meterchain/consensus';
import { readingsOf } from '@meterchain/ledger';
import { requireMosquitto, SHIPPED_MOSQUITTO_ACL, startMosquitto, type MosquittoBroker } from '@meterchain/testkit/mosquitto';
import { requirePrograms } from '@meterchain/testkit/programs';
import { RtuBus } from '@meterchain/testkit/rtu-bus';
import { addressToText, createTestCluster, heightOf, waitFor, type TestCluster } from './support/cluster.ts';

const ready = requirePrograms('the mixed RS-485 and MQTT cluster test', 'socat') && requireMosquitto('the mixed RS-485 and MQTT cluster test');
const BAUD = 115_200;
const CONCENTRATOR = { username: 'concentrator-1', password: 'line-1-secret' };

let broker: MosquittoBroker | undefined;
let bus: RtuBus | undefined;
let cluster: TestCluster | undefined;
const dir = mkdtempSync(join(tmpdir(), 'mc-mixed-'));

afterAll(async () => {
  await cluster?.stopAll();
  await bus?.close();
  await broker?.close();
  rmSync(dir, { recursive: true, force: true });
});

(ready ? test : test.skip)('2 members on the broker and 3 on the line, bridged by the concentrator, commit the same verified blocks', async () => {
  const paths = new Map<number, string>();
  const onLine = (i: number) => i >= 2;
  const c = createTestCluster({
    members: 5,
    roundMs: 3000,
    blockRounds: 2,
    genesisMs: Date.now() + 6000,
    peers: (i) => (onLine(i) ? ['rs485:', `  path: ${paths.get(i)}`, `  baud: ${BAUD}`] : ['broker:', `  url: ${broker!.url}`, '  passwordFile: broker.pass']),
  });
  cluster = c;
  const lineMembers = c.members.filter((_, i) => onLine(i));
  // The concentrator's login may publish under the line members' addresses, and read the cluster.
  const acl = [
    readFileSync(SHIPPED_MOSQUITTO_ACL, 'utf8'),
    `user ${CONCENTRATOR.username}`,
    ...lineMembers.map((m) => `topic write meterchain/${c.manifest.cluster}/+/${m.address}`),
    `topic read meterchain/${c.manifest.cluster}/#`,
    '',
  ].join('\n');
  broker = await startMosquitto({ users: [...c.members.filter((_, i) => !onLine(i)).map((m) => ({ username: m.address, password: m.password })), CONCENTRATOR], acl });
  bus = await RtuBus.start({ dir, cluster: c.manifest.cluster, baudRate: BAUD, bitsPerByte: 11, bridge: { url: broker.url, ...CONCENTRATOR } });
  for (const [i, m] of c.members.entries()) {
    if (!onLine(i)) continue;
    const unit = c.manifest.members.findIndex((x) => addressToText(x.address) === m.address) + 1;
    paths.set(i, await bus.add(unit, m.address));
  }
  await bus.bridge();
  await Promise.all(c.members.map((m) => c.start(m)));
  await waitFor('three committed blocks on every member', () => c.members.every((m) => heightOf(m) >= 2), 90_000);
  const figures = await bus.stats();
  await c.stopAll();
  for (const m of c.members) {
    const report = await c.verify(m);
    expect({ member: m.name, ok: report.ok }).toEqual({ member: m.name, ok: true });
  }
  expect(figures.bridge!.toBroker).toBeGreaterThan(0);
  expect(figures.bridge!.toLine).toBeGreaterThan(0);
  // Member 0 (on the broker) holds readings of members on both sides, and so does member 4 (on the line).
  for (const i of [0, 4]) {
    const rows = (await c.blocks(c.members[i]!)).flatMap((bytes) => {
      const r = readingsOf(bytes, (x) => roundOf(c.manifest, x.ts));
      if ('reason' in r) throw new Error(r.reason);
      return r;
    });
    const from = new Set(rows.map((row) => addressToText(row.reading.meter)));
    expect([c.members[0]!.address, c.members[1]!.address].some((a) => from.has(a))).toBe(true);
    expect(lineMembers.some((m) => from.has(m.address))).toBe(true);
  }
}, 150_000);
