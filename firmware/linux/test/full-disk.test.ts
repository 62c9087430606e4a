// A meter whose disk fills up and frees again stores every block the cluster committed meanwhile and goes on, without
// a restart (before: stored height 5, in-memory 14, every later persist failing until the node was restarted). Four
// nodes in one process over the in-memory transport; one keeps its data on a real 2 MiB tmpfs (root needed: CI runs
// as root; elsewhere skipped with a note).
import { afterAll, expect, test } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { addressFromPublicKey, addressToText, createManifest, verifyManifest } from '@meterchain/core';
import { nodeVerifier } from '@meterchain/crypto';
import { threePhaseProfile } from '@meterchain/edge';
import { ChainStore, NodeState, openChain, verifyBlocks } from '@meterchain/ledger';
import { nodeSha256, signerFrom } from '@meterchain/testkit';
import { createMemoryHub } from '@meterchain/transport';
import { THREE_PHASE_CHANNELS } from '../src/channels.ts';
import { createLogger } from '../src/log.ts';
import { Metrics } from '../src/metrics.ts';
import { MeterNode } from '../src/runtime.ts';
import { SimulatedThreePhase } from '../src/sensor.ts';

const dirs: string[] = [];
let mounted: string | undefined;
afterAll(() => {
  if (mounted) execFileSync('umount', ['-l', mounted]);
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const ROUND_MS = 500;

async function waitFor(what: string, check: () => boolean, timeoutMs: number): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > until) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

test('a node whose disk was full stores every block committed meanwhile once it frees up, and goes on', async () => {
  const disk = mkdtempSync(join(tmpdir(), 'mc-full-'));
  dirs.push(disk);
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=2m', 'tmpfs', disk], { stdio: 'pipe' });
    mounted = disk;
  } catch (e) {
    if (process.env.CI === 'true') throw new Error(`cannot mount a tmpfs (${(e as Error).message.split('\n')[0]}): CI must run this test as root`);
    process.stderr.write('full-disk node test skipped: mounting a tmpfs needs root\n');
    return;
  }
  const signers = [0, 1, 2, 3].map((i) => signerFrom(`full-disk:member:${i}`));
  const verifier = nodeVerifier();
  const genesisMs = Math.ceil((Date.now() + 800) / ROUND_MS) * ROUND_MS;
  const bytes = createManifest(
    { cluster: 'full', rule: 'bft', voteMode: 'broadcast', members: signers.map((s) => ({ publicKey: s.publicKey })), params: { roundMs: ROUND_MS, blockRounds: 2, skewMs: 200, timeoutMs: 800 }, genesisMs },
    signerFrom('full-disk:operator'),
  );
  const checked = verifyManifest(bytes, verifier, { hash: nodeSha256 });
  if (!checked.ok) throw new Error(checked.reason);
  const hub = createMemoryHub();
  const stores: ChainStore[] = [];
  const states: NodeState[] = [];
  const nodes: MeterNode[] = [];
  const errors: string[] = [];
  for (const [i, signer] of signers.entries()) {
    const dir = i === 0 ? disk : mkdtempSync(join(tmpdir(), 'mc-full-peer-'));
    if (i > 0) dirs.push(dir);
    const { store } = await ChainStore.open(join(dir, 'chain'), { genesis: checked.digest, indexReadings: false });
    const state = await NodeState.open(join(dir, 'state'), { onWriteError: (e) => errors.push(`state: ${e.message}`) });
    stores.push(store);
    states.push(state);
    const log = createLogger({
      level: 'info',
      write: (line) => {
        const o = JSON.parse(line) as { msg: string };
        if (i === 0 && /failed/.test(o.msg)) errors.push(o.msg);
      },
    });
    nodes.push(
      new MeterNode({
        manifest: checked.manifest,
        manifestDigest: checked.digest,
        signer,
        verifier,
        hash: nodeSha256,
        transport: hub.open({ cluster: 'full', address: addressToText(addressFromPublicKey(signer.publicKey, nodeSha256)) }),
        store,
        state,
        sensor: new SimulatedThreePhase(i + 1),
        profile: threePhaseProfile,
        edgeChannels: THREE_PHASE_CHANNELS.map((c) => ({ edge: c.edge, id: c.obis })),
        log,
        metrics: new Metrics(),
      }),
    );
  }
  const victim = stores[0]!;
  try {
    for (const n of nodes) await n.start();
    await waitFor('two blocks stored on the meter', () => victim.count >= 2, 30_000);
    // Fill the meter's disk to the last byte while the cluster commits three more blocks.
    const filler = join(disk, 'filler');
    const fd = openSync(filler, 'w');
    try {
      for (;;) writeSync(fd, Buffer.alloc(4096, 1));
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOSPC') throw e;
    } finally {
      closeSync(fd);
    }
    const full = victim.count;
    await waitFor('three blocks stored by the others', () => Math.min(...stores.slice(1).map((s) => s.count)) >= full + 3, 30_000);
    expect(errors.length).toBeGreaterThan(0);
    rmSync(filler);
    const target = Math.min(...stores.slice(1).map((s) => s.count)) + 1;
    await waitFor('the meter to store every block and one more', () => victim.count >= target, 40_000);
  } finally {
    for (const n of nodes) await n.stop();
  }
  // What the meter holds in memory is what it stored, and its chain verifies.
  expect(victim.nextHeight - 1).toBe(nodes[0]!.height);
  for (const s of states) await s.close();
  for (const s of stores) await s.close();
  const opened = await openChain(join(disk, 'chain'));
  try {
    const report = await verifyBlocks([{ manifest: checked.manifest, digest: checked.digest }], opened.source);
    expect(report.ok).toBe(true);
  } finally {
    await opened.close();
  }
}, 120_000);
