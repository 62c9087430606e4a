// The region registry: a region is admitted by its epoch-0 manifest under the operator key the deployment trusts,
// later epochs must follow the one before; anchors are checked against the manifest of their header's epoch.
import { describe, expect, test } from '@jest/globals';
import { createManifest } from '@meterchain/core';
import { createNodeSigner } from '@meterchain/crypto';
import { anchorOfStoredBlock, encodeAnchor, RegionRegistry } from '../src/index.ts';
import { anchorBytes, cosigned, hash, headerOf, nextEpoch, operatorOf, region, verifier } from './support.ts';

const north = region({ blocks: 2, seed: 1, cluster: 'north' });
const south = region({ blocks: 1, seed: 2, cluster: 'south' });

function registry() {
  return new RegionRegistry([{ region: 'north', operator: north.manifest.operator }, { region: 'south', operator: south.manifest.operator }], hash, verifier);
}

function relabelled(stored: Uint8Array, name: string): Uint8Array {
  const a = anchorOfStoredBlock(name, stored);
  if (!a.ok) throw new Error(a.reason);
  return encodeAnchor(a.anchor);
}

describe('RegionRegistry', () => {
  test('admits trusted regions by their epoch-0 manifest, once', () => {
    const r = registry();
    expect(r.register(north.chain.manifest)).toEqual({ ok: true, region: 'north', epoch: 0, status: 'registered' });
    expect(r.register(north.chain.manifest)).toEqual({ ok: true, region: 'north', epoch: 0, status: 'known' });
    expect(r.register(south.chain.manifest)).toMatchObject({ ok: true, region: 'south' });
    expect(r.regions()).toEqual(['north', 'south']);
    expect(r.genesisHex('north')).toBe(Buffer.from(north.digest).toString('hex'));
  });

  test('refuses a region it does not admit, and a trusted region signed by another operator', () => {
    const r = new RegionRegistry([{ region: 'north', operator: south.manifest.operator }], hash, verifier);
    expect(r.register(south.chain.manifest)).toMatchObject({ ok: false, reason: expect.stringMatching(/not one the wide-area tier admits/) });
    expect(r.register(north.chain.manifest)).toMatchObject({ ok: false, reason: expect.stringMatching(/operator key other than the trusted one/) });
    expect(r.regions()).toEqual([]);
  });

  test('a next epoch must follow the registered one and be signed by its operator', () => {
    const r = registry();
    expect(r.register(nextEpoch(north, 1))).toMatchObject({ ok: false, reason: expect.stringMatching(/does not follow/) });
    r.register(north.chain.manifest);
    const stranger = createNodeSigner(new Uint8Array(32).fill(9));
    const forged = createManifest(
      { cluster: 'north', epoch: 1, rule: 'bft', members: north.manifest.members.map((m) => ({ publicKey: m.publicKey })), params: north.manifest.params, genesisMs: 1, prev: north.digest },
      stranger,
    );
    expect(r.register(forged)).toMatchObject({ ok: false, reason: expect.stringMatching(/previous epoch's operator/) });
    expect(r.register(nextEpoch(north, 1, 1, new Uint8Array(32)))).toMatchObject({ ok: false, reason: expect.stringMatching(/prev does not name/) });
    expect(r.register(nextEpoch(north, 1, 2))).toMatchObject({ ok: false, reason: expect.stringMatching(/epoch 2 does not follow/) });
    expect(r.register(nextEpoch(north, 1))).toMatchObject({ ok: true, epoch: 1, status: 'registered' });
    expect(r.epochsOf('north').map((e) => e.manifest.epoch)).toEqual([0, 1]);
    expect(r.manifest('north', 1)?.operator).toEqual(operatorOf(1).publicKey);
  });

  test('garbage manifest bytes get a reason', () => {
    expect(registry().register(new Uint8Array([1, 2, 3]))).toMatchObject({ ok: false });
  });

  test('checks anchors of registered regions only, against their epoch', () => {
    const r = registry();
    const a = anchorBytes(north, 1);
    expect(r.verify(a)).toMatchObject({ ok: false, fault: 'region' });
    r.register(north.chain.manifest);
    expect(r.verify(a)).toMatchObject({ ok: true, checked: { region: 'north', height: 1, epoch: 0 } });
    // South's block relabelled as north's: it is for another cluster.
    expect(r.verify(relabelled(south.chain.blocks[0]!, 'north'))).toMatchObject({ ok: false, fault: 'region' });
  });

  test('a block 0 that does not name the registered epoch-0 manifest is refused, though its quorum signed it', () => {
    const r = registry();
    r.register(north.chain.manifest);
    expect(r.verify(anchorBytes(north, 0))).toMatchObject({ ok: true });
    const header = { ...headerOf(north, 0), prev: new Uint8Array(32).fill(1) };
    const forked = cosigned(north, 1, header);
    expect(r.verify(forked)).toMatchObject({ ok: false, fault: 'header', reason: expect.stringMatching(/epoch-0 manifest/) });
    // The same co-signing over an unchanged prev verifies: the refusal is about prev, not the signatures.
    expect(r.verify(cosigned(north, 1, { ...headerOf(north, 0), proposer: headerOf(north, 0).proposer }))).toMatchObject({ ok: true });
  });
});
