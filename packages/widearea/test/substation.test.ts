// A substation's own parts (what a substation process runs beside the consensus engine): frames from the regions'
// gates checked before they are offered, batches numbered by round, the committed wide-area chain read back so that
// what it anchored leaves the gate, and a restarted substation's judge knowing the regions the chain registered.
import { describe, expect, test } from '@jest/globals';
import { Reason, merkleRoot, openSubmission, signBatch, type Batch } from '@meterchain/consensus';
import { addressFromPublicKey } from '@meterchain/core';
import { signerFrom } from '@meterchain/crypto/sim';
import { Substation, decodeAnchor, encodeAnchor } from '../src/index.ts';
import { runWideArea, trustedOf } from '../src/testing/index.ts';
import { anchorBytes, hash, region, verifier } from './support.ts';

const north = region({ blocks: 3, seed: 1, cluster: 'north', blockRounds: 1 });
const south = region({ blocks: 2, seed: 2, cluster: 'south', blockRounds: 1 });
const trusted = trustedOf([north.chain, south.chain], verifier);
const wide = runWideArea({ regions: [north.chain, south.chain], verifier, rounds: 6 });
const manifests = [{ manifest: wide.manifest, digest: wide.digest }];
const member = wide.manifest.members[0]!.address;

function substation(withManifests: boolean): Substation {
  return new Substation({ manifests, member, regions: trusted.map((t, i) => ({ trusted: t, ...(withManifests ? { manifest: [north, south][i]!.chain.manifest } : {}) })), verifier, hash });
}

describe('Substation', () => {
  test("offers the regions' manifests and the anchors that check, refuses what does not", () => {
    const s = substation(true);
    expect(s.waiting()).toBe(2);
    expect(s.offer('north', anchorBytes(north, 0))).toEqual({ ok: true, kind: 'anchor', region: 'north', height: 0 });
    expect(s.offer('north', anchorBytes(north, 1))).toMatchObject({ ok: true, height: 1 });
    expect(s.offer('south', anchorBytes(south, 0))).toMatchObject({ ok: true, region: 'south', height: 0 });
    expect(s.waiting()).toBe(5);
    // Published under another region's name, not CBOR, a broken certificate: refused, never offered.
    expect(s.offer('south', anchorBytes(north, 2))).toMatchObject({ ok: false, reason: expect.stringMatching(/region 'north' published as south's/) });
    expect(s.offer('north', new Uint8Array([1, 2, 3]))).toMatchObject({ ok: false, reason: expect.stringMatching(/^neither an anchor/) });
    const a = decodeAnchor(anchorBytes(north, 2));
    if (!a.ok) throw new Error(a.reason);
    const commit = a.anchor.commit.slice();
    commit[commit.length - 1] ^= 1;
    expect(s.offer('north', encodeAnchor({ ...a.anchor, commit }))).toMatchObject({ ok: false, reason: expect.stringMatching(/^anchor: commit/) });
    expect(s.waiting()).toBe(5);
    // Items numbered from round × 32: above anything a batch of an earlier round held.
    const b = s.next(7)!;
    expect([b.round, b.first, b.count, b.last]).toEqual([7, 224, 5, 228]);
    s.offer('north', anchorBytes(north, 2));
    expect(s.next(8)!.first).toBe(256);
  });

  test('an item goes once, and again only when the block covering its round commits without it', () => {
    const east = region({ blocks: 1, seed: 3, cluster: 'east', blockRounds: 1 });
    // East is admitted here but not in the chain `wide` ran: its manifest is never registered there.
    const regions = [north, south, east].map((r) => ({ trusted: trustedOf([r.chain], verifier)[0]!, manifest: r.chain.manifest }));
    const s = new Substation({ manifests, member, regions, verifier, hash });
    expect(s.next(2)!.items).toEqual([north.chain.manifest, south.chain.manifest, east.chain.manifest]);
    // On their way: nothing to submit in the next round, which is left free for what comes next.
    expect(s.next(3)).toBeUndefined();
    s.offer('east', anchorBytes(east, 0));
    expect(s.next(3)!.items).toEqual([anchorBytes(east, 0)]);
    // Wide-area block 0 (rounds 0 and 1) registers north and south; rounds 2 and 3 are not covered yet.
    expect(s.committed(wide.blocks[0]!).ok).toBe(true);
    expect(s.next(4)).toBeUndefined();
    // Block 1 covers rounds 2 and 3 without east's items: they go again.
    expect(s.committed(wide.blocks[1]!).ok).toBe(true);
    expect(s.next(5)!.items).toEqual([east.chain.manifest, anchorBytes(east, 0)]);
  });

  test('reads the committed chain back: what it anchored and registered leaves the gate', () => {
    const s = substation(true);
    for (let h = 0; h < 3; h++) s.offer('north', anchorBytes(north, h));
    for (let h = 0; h < 2; h++) s.offer('south', anchorBytes(south, h));
    let anchored = 0;
    for (const block of wide.blocks) {
      const r = s.committed(block);
      if (!r.ok) throw new Error(r.reason);
      anchored += r.step.anchored.length;
    }
    expect(anchored).toBe(5);
    expect(s.waiting()).toBe(0);
    expect(s.next(99)).toBeUndefined();
    // A gate publishing again after a restart: known as anchored, not offered.
    expect(s.offer('north', anchorBytes(north, 1))).toMatchObject({ ok: true, anchored: true });
    expect(s.waiting()).toBe(0);
    const bad = wide.blocks[1]!.slice();
    bad[bad.length - 1] ^= 1;
    expect(substation(false).committed(bad)).toMatchObject({ ok: false });
  });

  test("a restarted substation's judge knows the regions its stored chain registered", () => {
    const pmu = signerFrom('substation:0');
    const judgeOf = (s: Substation) => {
      const items = [anchorBytes(north, 2)];
      const batch: Batch = { v: 1, cluster: wide.manifest.cluster, meter: addressFromPublicKey(pmu.publicKey), round: 0, count: 1, first: 0, last: 0, root: merkleRoot(hash, items), items };
      const signed = signBatch(batch, pmu, (k) => addressFromPublicKey(k));
      const o = openSubmission(wide.manifest, signed, hash);
      if (!o.ok) throw new Error(o.detail);
      return s.judges.submission[0]!(o.submission, { lastSeq: -1 });
    };
    const fresh = substation(false);
    expect(judgeOf(fresh)).toBe(Reason.ANCHOR);
    const restarted = substation(false);
    for (const block of wide.blocks) expect(restarted.committed(block).ok).toBe(true);
    expect(judgeOf(restarted)).toBe(Reason.OK);
  });
});
