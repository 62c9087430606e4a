// Own readings kept pending are bounded (the node state's limits.pending): a node whose cluster commits no block gives
// the oldest up, each recorded in the unaccepted log as 'pending-overflow' before it is forgotten, none lost unsaid.
import { afterAll, expect, test } from '@jest/globals';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { addressFromPublicKey, addressToText, createManifest, verifyManifest } from '@meterchain/core';
import { nodeVerifier } from '@meterchain/crypto';
import { threePhaseProfile } from '@meterchain/edge';
import { ChainStore, NodeState } from '@meterchain/ledger';
import { nodeSha256, signerFrom } from '@meterchain/testkit';
import { createMemoryHub } from '@meterchain/transport';
import { THREE_PHASE_CHANNELS } from '../src/channels.ts';
import { createLogger } from '../src/log.ts';
import { Metrics } from '../src/metrics.ts';
import { MeterNode } from '../src/runtime.ts';
import { SimulatedThreePhase } from '../src/sensor.ts';

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const ROUND_MS = 250;

test('a node alone in its cluster keeps at most limits.pending readings and records each one it gives up', async () => {
  const signers = [0, 1, 2, 3].map((i) => signerFrom(`pending:member:${i}`));
  const verifier = nodeVerifier();
  const genesisMs = Math.ceil((Date.now() + 300) / ROUND_MS) * ROUND_MS;
  const bytes = createManifest(
    { cluster: 'pending', rule: 'bft', voteMode: 'broadcast', members: signers.map((s) => ({ publicKey: s.publicKey })), params: { roundMs: ROUND_MS, blockRounds: 2, skewMs: 50, timeoutMs: 200 }, genesisMs },
    signerFrom('pending:operator'),
  );
  const checked = verifyManifest(bytes, verifier, { hash: nodeSha256 });
  if (!checked.ok) throw new Error(checked.reason);
  const dir = mkdtempSync(join(tmpdir(), 'mc-pending-'));
  dirs.push(dir);
  const { store } = await ChainStore.open(join(dir, 'chain'), { genesis: checked.digest, indexReadings: false });
  const state = await NodeState.open(join(dir, 'state'), { limits: { pending: 3 } });
  const signed: number[] = [];
  const log = createLogger({
    level: 'info',
    write: (line) => {
      const o = JSON.parse(line) as { msg: string; seq?: number };
      if (o.msg === 'reading signed') signed.push(o.seq!);
    },
  });
  const unaccepted: { seq: number; outcome: string }[] = [];
  const signer = signers[0]!;
  const node = new MeterNode({
    manifest: checked.manifest,
    manifestDigest: checked.digest,
    signer,
    verifier,
    hash: nodeSha256,
    transport: createMemoryHub().open({ cluster: 'pending', address: addressToText(addressFromPublicKey(signer.publicKey, nodeSha256)) }),
    store,
    state,
    sensor: new SimulatedThreePhase(1),
    profile: threePhaseProfile,
    edgeChannels: THREE_PHASE_CHANNELS.map((c) => ({ edge: c.edge, id: c.obis })),
    log,
    metrics: new Metrics(),
    unaccepted: async (e) => {
      // The reading is still pending while its record is written: given up only once that is durable.
      expect(state.pending().map((p) => p.seq)).toContain(e.seq);
      unaccepted.push({ seq: e.seq, outcome: e.outcome });
    },
  });
  await node.start();
  const deadline = Date.now() + 15000;
  while (signed.length < 8 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  await node.stop();
  const pending = state.pending().map((p) => p.seq);
  await state.close();
  await store.close();
  expect(signed.length).toBeGreaterThanOrEqual(8);
  expect(pending.length).toBeLessThanOrEqual(3);
  expect(unaccepted.every((u) => u.outcome === 'pending-overflow')).toBe(true);
  // Every reading signed is pending or was recorded as given up, the oldest first.
  const given = unaccepted.map((u) => u.seq);
  expect([...given, ...pending].sort((a, b) => a - b)).toEqual([...signed].sort((a, b) => a - b));
  expect(given).toEqual([...signed].sort((a, b) => a - b).slice(0, given.length));
}, 30000);
