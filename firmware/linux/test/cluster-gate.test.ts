// A regional member as its cluster's gate (node.yaml `gate: true`): it publishes the cluster's manifest and each stored
// block's anchor under meterchain/<region>/anchor/<address>, where a substation of another cluster reads them; a
// restarted gate goes on from the last height it published, and one that lost its record publishes the chain again.
import { afterAll, describe, expect, test } from '@jest/globals';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { addressToText, verifyManifest } from '@meterchain/core';
import { nodeSha256, nodeVerifier } from '@meterchain/crypto';
import { ChainStore } from '@meterchain/ledger';
import { generateChain } from '@meterchain/ledger/testing';
import { createMemoryHub, type Delivery } from '@meterchain/transport';
import { RegionRegistry, decodeAnchor } from '@meterchain/widearea';
import { AnchorPublisher } from '../src/cluster-gate.ts';
import { createLogger } from '../src/log.ts';
import { Metrics } from '../src/metrics.ts';

const dir = mkdtempSync(join(tmpdir(), 'mc-gate-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const chain = generateChain({ blocks: 3, seed: 5, cluster: 'north', blockRounds: 1 });
const checked = verifyManifest(chain.manifest, nodeVerifier(), { hash: nodeSha256 });
if (!checked.ok) throw new Error(checked.reason);
const gateAddress = addressToText(checked.manifest.members[0]!.address);
const substationAddress = addressToText(checked.manifest.members[1]!.address);

describe('AnchorPublisher (gate: true)', () => {
  test('publishes the manifest and every stored block as an anchor that checks, and goes on from where it was', async () => {
    const hub = createMemoryHub();
    const substation = hub.open({ cluster: 'grid-wide', address: substationAddress });
    const got: Delivery[] = [];
    await substation.subscribe({ cluster: 'north', kind: 'anchor' }, (d) => got.push(d));
    const { store } = await ChainStore.open(join(dir, 'chain'), { genesis: checked.digest, indexReadings: false });
    await store.append(chain.blocks[0]!);
    await store.append(chain.blocks[1]!);
    const quiet = createLogger({ write: () => undefined });
    const start = async () => {
      const transport = hub.open({ cluster: 'north', address: gateAddress });
      const gate = new AnchorPublisher({ cluster: 'north', manifest: chain.manifest, store, transport, dataDir: dir, log: quiet, metrics: new Metrics() });
      await gate.start();
      return { gate, transport };
    };
    const settle = () => new Promise((r) => setTimeout(r, 50));

    let g = await start();
    await settle();
    await store.append(chain.blocks[2]!);
    g.gate.committed(2);
    await g.gate.stop(500);
    await g.transport.close();
    await settle();
    // The manifest first, then heights 0, 1, 2, each an anchor that verifies against the region's manifest.
    const registry = new RegionRegistry([{ region: 'north', operator: checked.manifest.operator }], nodeSha256, nodeVerifier());
    expect(registry.register(got[0]!.frame)).toMatchObject({ ok: true, region: 'north', epoch: 0 });
    const heights = got.slice(1).map((d) => {
      const v = registry.verify(d.frame);
      if (!v.ok) throw new Error(v.reason);
      return v.checked.height;
    });
    expect(heights).toEqual([0, 1, 2]);
    expect(got.every((d) => d.cluster === 'north' && d.kind === 'anchor' && d.from === gateAddress)).toBe(true);

    // Restarted: the manifest again, no block again (gate.json says 2 was published).
    got.length = 0;
    g = await start();
    await g.gate.stop(500);
    await g.transport.close();
    await settle();
    expect(got.length).toBe(1);
    expect(decodeAnchor(got[0]!.frame).ok).toBe(false);

    // Its record lost: the whole chain again (a substation takes a block anchored twice as one).
    rmSync(join(dir, 'gate.json'));
    got.length = 0;
    g = await start();
    await g.gate.stop(500);
    await g.transport.close();
    await settle();
    expect(got.length).toBe(4);
    await store.close();
    await substation.close();
  });
});
