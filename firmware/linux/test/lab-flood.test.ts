// The campaign's flooding member (lab only, runtime.ts `misbehave`) must reach the limit it is there to test: members
// answer signed sync requests only, at most a few times per view timeout per member (docs/protocol.md). Four nodes in
// one process over the in-memory transport; a listener on the hub counts the blocks sent to the flooder.
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

const ROUND_MS = 500;
const TIMEOUT_MS = 1000;
/** Answers a member gives one requester per view timeout (SYNC_ANSWERS in the consensus node). */
const ANSWERS_PER_TIMEOUT = 4;

test('a flooding member signs its sync requests, and each member answers it at most a few times per view timeout', async () => {
  const signers = [0, 1, 2, 3].map((i) => signerFrom(`lab-flood:member:${i}`));
  const verifier = nodeVerifier();
  const genesisMs = Math.ceil((Date.now() + 800) / ROUND_MS) * ROUND_MS;
  const bytes = createManifest(
    { cluster: 'flood', rule: 'bft', voteMode: 'broadcast', members: signers.map((s) => ({ publicKey: s.publicKey })), params: { roundMs: ROUND_MS, blockRounds: 2, skewMs: 100, timeoutMs: TIMEOUT_MS }, genesisMs },
    signerFrom('lab-flood:operator'),
  );
  const checked = verifyManifest(bytes, verifier, { hash: nodeSha256 });
  if (!checked.ok) throw new Error(checked.reason);
  const members = checked.manifest.members;
  const hub = createMemoryHub();
  const addresses = signers.map((s) => addressToText(addressFromPublicKey(s.publicKey, nodeSha256)));
  const flooder = members.findIndex((m) => addressToText(m.address) === addresses[3]);

  // Blocks addressed to the flooder, by the member that sent them.
  const answers: { [from: string]: number } = {};
  const listener = hub.open({ cluster: 'flood', address: addressToText(addressFromPublicKey(signerFrom('lab-flood:listener').publicKey, nodeSha256)) });
  await listener.subscribe({ kind: `block-to-${flooder}` }, (d) => {
    answers[d.from] = (answers[d.from] ?? 0) + 1;
  });

  const nodes: MeterNode[] = [];
  const stores: ChainStore[] = [];
  for (const [i, signer] of signers.entries()) {
    const dir = mkdtempSync(join(tmpdir(), 'mc-flood-'));
    dirs.push(dir);
    const { store } = await ChainStore.open(join(dir, 'chain'), { genesis: checked.digest, indexReadings: false });
    stores.push(store);
    nodes.push(
      new MeterNode({
        manifest: checked.manifest,
        manifestDigest: checked.digest,
        signer,
        verifier,
        hash: nodeSha256,
        transport: hub.open({ cluster: 'flood', address: addresses[i]! }),
        store,
        state: await NodeState.open(join(dir, 'state')),
        sensor: new SimulatedThreePhase(i + 1),
        profile: threePhaseProfile,
        edgeChannels: THREE_PHASE_CHANNELS.map((c) => ({ edge: c.edge, id: c.obis })),
        log: createLogger({ level: 'error', write: () => {} }),
        metrics: new Metrics(),
        ...(i === 3 ? { byzantine: ['flood' as const] } : {}),
      }),
    );
  }
  for (const n of nodes) await n.start();
  const started = Date.now();
  // Twelve rounds: block 0 is committed after round 1, and from then on the flooder asks for it ten times a round.
  await new Promise((r) => setTimeout(r, genesisMs + 12 * ROUND_MS - Date.now()));
  for (const n of nodes) await n.stop();
  const elapsed = Date.now() - started;
  const heights = await Promise.all(stores.map(async (s) => s.count));
  for (const s of stores) await s.close();
  await listener.close();

  expect(heights.slice(0, 3).every((h) => h >= 2)).toBe(true);
  const honest = addresses.slice(0, 3);
  // Signed requests are answered (unsigned ones were dropped unread: no answer at all) ...
  for (const a of honest) expect({ member: a, answered: (answers[a] ?? 0) > 0 }).toEqual({ member: a, answered: true });
  // ... within the limit, against some 100 requests each.
  const limit = ANSWERS_PER_TIMEOUT * (Math.ceil(elapsed / TIMEOUT_MS) + 1);
  for (const a of honest) expect({ member: a, withinLimit: (answers[a] ?? 0) <= limit }).toEqual({ member: a, withinLimit: true });
}, 30_000);
