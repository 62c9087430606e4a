// What the runtime makes of the consensus node's last word on an own reading (docs/protocol.md §7, §10): an outcome
// taken back replaces the one it corrects (counted once, told to the observers with `corrects`), and a reading the
// node refuses to sign because block agreement is behind the round window goes to the unaccepted log, unsigned, with
// outcome `chain-behind`. A meter node on an in-memory hub; the test plays the other members.
import { afterAll, expect, test } from '@jest/globals';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { addressFromPublicKey, addressToText, createManifest, decodeReading, encode, verifyManifest, type Signer } from '@meterchain/core';
import { decodeVoteMessage, emptyJudgments, makeEvidence, openSubmission, Reason, setJudgment, signVote, Verdict } from '@meterchain/consensus';
import { nodeVerifier } from '@meterchain/crypto';
import { threePhaseProfile } from '@meterchain/edge';
import { ChainStore, NodeState, nodeStateLimits } from '@meterchain/ledger';
import { nodeSha256, signerFrom } from '@meterchain/testkit';
import { createMemoryHub } from '@meterchain/transport';
import { THREE_PHASE_CHANNELS } from '../src/channels.ts';
import { createLogger } from '../src/log.ts';
import { Metrics } from '../src/metrics.ts';
import { MeterNode, type NodeObserver, type UnacceptedEntry } from '../src/runtime.ts';
import { SimulatedThreePhase } from '../src/sensor.ts';
import { waitFor } from './support/cluster.ts';

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const ROUND_MS = 500;
type Told = Parameters<NonNullable<NodeObserver['outcome']>>[0];

async function meterNode(name: string, genesisMs: number) {
  const signers = [0, 1, 2, 3].map((i) => signerFrom(`${name}:member:${i}`));
  const verifier = nodeVerifier();
  const bytes = createManifest(
    { cluster: name, rule: 'bft', voteMode: 'broadcast', members: signers.map((s) => ({ publicKey: s.publicKey })), params: { roundMs: ROUND_MS, blockRounds: 2, skewMs: 50, timeoutMs: 200 }, genesisMs },
    signerFrom(`${name}:operator`),
  );
  const checked = verifyManifest(bytes, verifier, { hash: nodeSha256 });
  if (!checked.ok) throw new Error(checked.reason);
  const manifest = checked.manifest;
  const dir = mkdtempSync(join(tmpdir(), 'mc-outcome-'));
  dirs.push(dir);
  const { store } = await ChainStore.open(join(dir, 'chain'), { genesis: checked.digest, indexReadings: false });
  const state = await NodeState.open(join(dir, 'state'), { limits: nodeStateLimits(manifest) });
  const hub = createMemoryHub();
  const text = (s: Signer) => addressToText(addressFromPublicKey(s.publicKey, nodeSha256));
  const logs: Record<string, unknown>[] = [];
  const told: Told[] = [];
  const unaccepted: UnacceptedEntry[] = [];
  const metrics = new Metrics();
  const signer = signers[0]!;
  const node = new MeterNode({
    manifest,
    manifestDigest: checked.digest,
    signer,
    verifier,
    hash: nodeSha256,
    transport: hub.open({ cluster: name, address: text(signer) }),
    store,
    state,
    sensor: new SimulatedThreePhase(1),
    profile: threePhaseProfile,
    edgeChannels: THREE_PHASE_CHANNELS.map((c) => ({ edge: c.edge, id: c.obis })),
    log: createLogger({ level: 'info', write: (line) => logs.push(JSON.parse(line) as Record<string, unknown>) }),
    metrics,
    observer: { outcome: (e) => told.push(e) },
    unaccepted: async (e) => {
      unaccepted.push(e);
    },
  });
  const index = (s: Signer) => manifest.members.findIndex((m) => addressToText(m.address) === text(s));
  const peer = (i: number) => ({ signer: signers[i]!, index: index(signers[i]!), transport: hub.open({ cluster: name, address: text(signers[i]!) }) });
  const close = async () => {
    await node.stop();
    await state.close();
    await store.close();
  };
  return { manifest, node, self: index(signer), peer, logs, told, unaccepted, metrics, state, close };
}

test('an own reading accepted and then taken back: counted once, by its corrected outcome, and told with corrects', async () => {
  const genesisMs = Math.ceil((Date.now() + 300) / ROUND_MS) * ROUND_MS;
  const m = await meterNode('corrected', genesisMs);
  const [p1, p3] = [m.peer(1), m.peer(3)];
  // Members 1 and 3 accept the node's first submission: with its own vote, t = 3. Then 3's second vote for that round
  // reaches the node as evidence: without 3, the reading has 2 accept votes.
  let target = -1;
  const listener = m.peer(2).transport;
  await listener.subscribe({ kind: 'submission' }, (d) => {
    const o = openSubmission(m.manifest, d.frame, nodeSha256);
    if (!o.ok || o.submission.index !== m.self || target >= 0) return;
    target = o.submission.round;
    const records = emptyJudgments(4);
    setJudgment(records, m.self, Verdict.ACCEPT, Reason.OK, o.submission.digest);
    const v1 = signVote(m.manifest, target, p1.signer, m.manifest.members[p1.index]!.address, records, nodeSha256);
    const v3 = signVote(m.manifest, target, p3.signer, m.manifest.members[p3.index]!.address, records, nodeSha256);
    const other = signVote(m.manifest, target, p3.signer, m.manifest.members[p3.index]!.address, emptyJudgments(4), nodeSha256);
    const envelope = (bytes: Uint8Array) => {
      const d = decodeVoteMessage(bytes);
      if (!d.ok) throw new Error(d.reason);
      return encode({ body: d.message.body, sig: d.message.sig });
    };
    void p1.transport.publish('vote', v1.bytes);
    void p3.transport.publish('vote', v3.bytes);
    // Sent once the node has told the reading accepted (its vote comes at the round's end).
    const evidence = makeEvidence('vote', envelope(v3.bytes), envelope(other.bytes));
    const send = setInterval(() => {
      if (!m.told.some((e) => e.round === target && e.outcome === 'accepted')) return;
      clearInterval(send);
      void p1.transport.publish('evidence', evidence);
    }, 10);
  });
  await m.node.start();
  try {
    await waitFor('the corrected outcome', () => m.logs.some((l) => l['msg'] === 'own reading outcome corrected'), 15_000);
  } finally {
    await m.close();
  }
  const mine = m.told.filter((e) => e.round === target && e.reading !== undefined);
  expect(mine.map((e) => `${e.outcome}${e.corrects ? ` corrects ${e.corrects}` : ''}`)).toEqual(['accepted', 'not-enough-votes corrects accepted']);
  expect(m.logs.find((l) => l['msg'] === 'own reading outcome corrected')).toMatchObject({ round: target, was: 'accepted', now: 'not-enough-votes' });
  // No other reading of the node was accepted (no one else voted for them): the one accepted is counted no more.
  expect(m.node.counts.ownAccepted).toBe(0);
  expect(m.node.counts.accepted).toBe(0);
  expect(m.metrics.render()).toMatch(/meterchain_outcomes_corrected_total\{from="accepted",to="not-enough-votes"\} 1\n/);
}, 30_000);

test('block agreement behind the round window: own readings are refused unsigned and logged as chain-behind', async () => {
  // The cluster's genesis 70 rounds ago and no block committed: rounds past 63 lie past the window.
  const genesisMs = Math.floor((Date.now() - 70 * ROUND_MS) / ROUND_MS) * ROUND_MS;
  const m = await meterNode('behind', genesisMs);
  await m.node.start();
  let pending: number;
  try {
    await waitFor('three readings refused', () => m.unaccepted.length >= 3, 15_000);
  } finally {
    await m.close();
    const reopened = await NodeState.open(join(dirs.at(-1)!, 'state'));
    pending = reopened.pending().length;
    await reopened.close();
  }
  expect(m.logs.filter((l) => l['msg'] === 'reading signed')).toEqual([]);
  expect(pending).toBe(0);
  for (const e of m.unaccepted) {
    expect(e.outcome).toBe('chain-behind');
    expect(e.signed).toBe(false);
    expect(e.height).toBe(-1);
    const r = decodeReading(e.bytes);
    if (!r.ok) throw new Error(r.reason);
    expect(r.reading.seq).toBe(e.seq);
    expect(e.round).toBe(e.seq);
    expect(e.round).toBeGreaterThan(63);
  }
  expect(m.logs.filter((l) => l['msg'] === 'own reading not submitted: block agreement is behind (round window)').length).toBe(m.unaccepted.length);
}, 30_000);
