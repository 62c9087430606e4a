// A node's effects run in two lanes (runtime.ts): a block's slow store append must not hold up the votes of the
// rounds after it. Four nodes in one process over the in-memory transport, real stores on disk, real time.
import { afterAll, describe, expect, test } from '@jest/globals';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { addressFromPublicKey, addressToText, createManifest, verifyManifest } from '@meterchain/core';
import { roundOf } from '@meterchain/consensus';
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

const ROUND_MS = 1000;
/** How long each store append is held up: longer than a round, as a slow flash card might. */
const APPEND_DELAY_MS = 2500;

describe('effect lanes', () => {
  test("a block's slow store append holds up no round: every reading is still accepted in time", async () => {
    const signers = [0, 1, 2, 3].map((i) => signerFrom(`lanes:member:${i}`));
    const verifier = nodeVerifier();
    const genesisMs = Math.ceil((Date.now() + 800) / ROUND_MS) * ROUND_MS;
    const bytes = createManifest(
      { cluster: 'lanes', rule: 'bft', voteMode: 'broadcast', members: signers.map((s) => ({ publicKey: s.publicKey })), params: { roundMs: ROUND_MS, blockRounds: 2, skewMs: 100, timeoutMs: 400 }, genesisMs },
      signerFrom('lanes:operator'),
    );
    const checked = verifyManifest(bytes, verifier, { hash: nodeSha256 });
    if (!checked.ok) throw new Error(checked.reason);
    const hub = createMemoryHub();
    const outcomes: { meter: number; msg: string; round: number; latencyMs?: number }[] = [];
    const stores: ChainStore[] = [];
    const nodes: MeterNode[] = [];
    for (const [i, signer] of signers.entries()) {
      const dir = mkdtempSync(join(tmpdir(), 'mc-lanes-'));
      dirs.push(dir);
      const { store } = await ChainStore.open(join(dir, 'chain'), { genesis: checked.digest, indexReadings: false });
      const append = store.append.bind(store);
      store.append = async (block, readings) => {
        await new Promise((r) => setTimeout(r, APPEND_DELAY_MS));
        return append(block, readings);
      };
      stores.push(store);
      const log = createLogger({
        level: 'info',
        write: (line) => {
          const o = JSON.parse(line) as { msg: string; round?: number; latencyMs?: number };
          if (o.msg.startsWith('own reading') && o.round !== undefined) outcomes.push({ meter: i, msg: o.msg, round: o.round!, ...(o.latencyMs !== undefined ? { latencyMs: o.latencyMs } : {}) });
        },
      });
      const address = addressToText(addressFromPublicKey(signer.publicKey, nodeSha256));
      nodes.push(
        new MeterNode({
          manifest: checked.manifest,
          manifestDigest: checked.digest,
          signer,
          verifier,
          hash: nodeSha256,
          transport: hub.open({ cluster: 'lanes', address }),
          store,
          state: await NodeState.open(join(dir, 'state')),
          sensor: new SimulatedThreePhase(i + 1),
          profile: threePhaseProfile,
          edgeChannels: THREE_PHASE_CHANNELS.map((c) => ({ edge: c.edge, id: c.obis })),
          log,
          metrics: new Metrics(),
        }),
      );
    }
    for (const n of nodes) await n.start();
    // Rounds 0..6: blocks 0 and 1 (rounds 0-1 and 2-3) are committed during rounds 2 and 4, and each node's append of
    // them takes 2.5 s, across the votes of rounds 3 to 6.
    const until = genesisMs + 7 * ROUND_MS + 600;
    await new Promise((r) => setTimeout(r, until - Date.now()));
    for (const n of nodes) await n.stop();
    const heights = await Promise.all(stores.map(async (s) => s.count));
    for (const s of stores) await s.close();
    expect(roundOf(checked.manifest, until)).toBe(7);
    // The blocks were committed and stored (the appends were slow, not lost).
    for (const h of heights) expect(h).toBeGreaterThanOrEqual(2);
    for (let meter = 0; meter < 4; meter++) {
      for (let round = 1; round <= 6; round++) {
        const o = outcomes.filter((x) => x.meter === meter && x.round === round);
        expect({ meter, round, outcomes: o.map((x) => x.msg) }).toEqual({ meter, round, outcomes: ['own reading accepted'] });
        // Before the round ends, as a round is here; a busy test machine is allowed half a round more, a fifth of
        // the append's delay that one lane would add.
        expect({ meter, round, inTime: o[0]!.latencyMs! < ROUND_MS / 2 }).toEqual({ meter, round, inTime: true });
      }
    }
  }, 30000);
});
