// Four substations (node.yaml `substation:`), composed as `meterchain node` composes them, keep the wide-area chain
// through a real Mosquitto started from the shipped configuration: a region's gate publishes its manifest and anchors,
// every substation anchors them; one substation stopped while more anchors come, the others go on; restarted, it reads
// its stored chain, fetches what it missed and has nothing left waiting. Every chain verifies, and each regional block
// is anchored once.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { addressToText, verifyManifest } from '@meterchain/core';
import { ChainChecker } from '@meterchain/consensus';
import { nodeSha256, nodeVerifier } from '@meterchain/crypto';
import { generateChain } from '@meterchain/ledger/testing';
import { requireMosquitto, startMosquitto, type MosquittoBroker } from '@meterchain/testkit/mosquitto';
import { openMqttTransport, type Transport } from '@meterchain/transport';
import { RegionRegistry, WideAreaLedger, anchorOfStoredBlock, encodeAnchor } from '@meterchain/widearea';
import { createTestCluster, waitFor, type TestCluster, type TestMember } from './support/cluster.ts';

const run = requireMosquitto('the substations test') ? describe : describe.skip;

const north = generateChain({ blocks: 4, seed: 11, cluster: 'north', blockRounds: 1 });
const checked = verifyManifest(north.manifest, nodeVerifier(), { hash: nodeSha256 });
if (!checked.ok) throw new Error(checked.reason);
const gateAddress = addressToText(checked.manifest.members[0]!.address);
const anchor = (h: number) => {
  const a = anchorOfStoredBlock('north', north.blocks[h]!);
  if (!a.ok) throw new Error(a.reason);
  return encodeAnchor(a.anchor);
};
const anchoredBy = (m: TestMember) => new Set(m.logs.filter((l) => l['msg'] === 'regional block anchored' && l['region'] === 'north').map((l) => l['height'] as number));
const lastStatus = (m: TestMember) => m.logs.filter((l) => l['msg'] === 'status').at(-1);

run('four substations over Mosquitto', () => {
  const dir = mkdtempSync(join(tmpdir(), 'mc-substations-'));
  const northPath = join(dir, 'north.cbor');
  writeFileSync(northPath, north.manifest);
  let broker: MosquittoBroker;
  let cluster: TestCluster;
  let gate: Transport;

  beforeAll(async () => {
    cluster = createTestCluster({
      members: 4,
      brokerUrl: () => broker.url,
      roundMs: 500,
      blockRounds: 2,
      sensor: () => [],
      extraConfig: () => ['substation:', '  regions:', `    - manifest: ${northPath}`],
    });
    broker = await startMosquitto({ users: [...cluster.members.map((m) => ({ username: m.address, password: m.password })), { username: gateAddress, password: 'pw-gate' }] });
    gate = await openMqttTransport({ cluster: 'north', address: gateAddress, url: broker.url, password: 'pw-gate', spoolDir: join(dir, 'gate-spool') });
    await Promise.all(cluster.members.map((m) => cluster.start(m)));
  }, 60_000);

  afterAll(async () => {
    await cluster?.stopAll();
    await gate?.close();
    await broker?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('an anchor that comes between two round slots is submitted in the round it came in, not at the next slot', async () => {
    // Each substation offers the region's manifest itself from the start: wait until it is registered and nothing waits.
    await waitFor('the manifest registered and nothing waiting', () => cluster.members.every((m) => lastStatus(m)?.['registered'] === 1 && lastStatus(m)?.['anchorsWaiting'] === 0), 60_000);
    const { genesisMs, params } = cluster.manifest;
    const roundAt = (t: number) => Math.floor((t - genesisMs) / params.roundMs);
    const into = (t: number) => t - (genesisMs + roundAt(t) * params.roundMs);
    // A fifth of the way into a round: past its slot (10 ms in); the members vote 750 ms after its end.
    const round = roundAt(Date.now()) + 1;
    await new Promise((r) => setTimeout(r, genesisMs + round * params.roundMs + params.roundMs / 5 - Date.now()));
    await gate.publish('anchor', anchor(0));
    const time = (l: Record<string, unknown>) => Date.parse(l['ts'] as string);
    const cameAt = (m: TestMember) => m.logs.find((l) => l['msg'] === 'gate frame' && l['height'] === 0);
    const madeAfter = (m: TestMember) => m.logs.find((l) => l['msg'] === 'batch made' && time(l) >= time(cameAt(m)!));
    await waitFor('every substation took the anchor and submitted it', () => cluster.members.every((m) => cameAt(m) && madeAfter(m)), 30_000);
    let between = 0;
    for (const m of cluster.members) {
      const came = time(cameAt(m)!);
      // Came past the round's slot and not in its last 100 ms: submitted in that round.
      if (into(came) < 20 || into(came) > params.roundMs - 100) continue;
      between++;
      expect(madeAfter(m)!['round']).toBe(roundAt(came));
    }
    expect(between).toBeGreaterThan(0);
    await waitFor('block 0 anchored on every substation', () => cluster.members.every((m) => anchoredBy(m).has(0)), 60_000);
  }, 120_000);

  test('anchor what a gate publishes; one stopped and restarted catches up with nothing left waiting', async () => {
    await gate.publish('anchor', north.manifest);
    await gate.publish('anchor', anchor(0));
    await gate.publish('anchor', anchor(1));
    await waitFor('blocks 0 and 1 anchored on every substation', () => cluster.members.every((m) => anchoredBy(m).has(0) && anchoredBy(m).has(1)), 60_000);

    const [first, ...others] = cluster.members as [TestMember, ...TestMember[]];
    await cluster.stop(first);
    await gate.publish('anchor', anchor(2));
    await gate.publish('anchor', anchor(3));
    await waitFor('blocks 2 and 3 anchored by the three running', () => others.every((m) => anchoredBy(m).has(2) && anchoredBy(m).has(3)), 60_000);

    first.logs.length = 0;
    await cluster.start(first);
    // It reads its stored chain first (0 and 1 again), then fetches the blocks it missed (2 and 3).
    await waitFor('the restarted substation anchored 0..3 with nothing waiting', () => {
      const s = lastStatus(first);
      return [0, 1, 2, 3].every((h) => anchoredBy(first).has(h)) && s !== undefined && s['anchorsWaiting'] === 0;
    }, 60_000);
    expect(first.logs.filter((l) => l['msg'] === 'gate frame refused')).toEqual([]);
    await cluster.stopAll();

    // Every chain verifies from the manifest alone; read again, each regional block is anchored once, at one height.
    for (const m of cluster.members) {
      expect((await cluster.verify(m)).ok).toBe(true);
      const ledger = new WideAreaLedger(new RegionRegistry([{ region: 'north', operator: checked.manifest.operator }], nodeSha256, nodeVerifier()));
      const checker = new ChainChecker([{ manifest: cluster.manifest, digest: cluster.digest }], nodeSha256);
      const heights: number[] = [];
      for (const b of await cluster.blocks(m)) {
        const c = checker.verify(b, nodeVerifier());
        if (!c.ok) throw new Error(c.reason);
        heights.push(...ledger.addBlock(c.block).anchored.map((a) => a.height));
      }
      expect(heights.sort()).toEqual([0, 1, 2, 3]);
      expect(ledger.registry.regions()).toEqual(['north']);
    }
  }, 240_000);
});
