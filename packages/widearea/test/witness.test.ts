// The witness: two different co-signed blocks of a region at one height (a split view), or a block that does not
// link to the one anchored below it, are kept as evidence that anyone holding the region's manifest can check.
import { describe, expect, test } from '@jest/globals';
import { AnchorWitness, RegionRegistry, checkViewEvidence, decodeViewEvidence, encodeViewEvidence, type CheckedAnchor } from '../src/index.ts';
import { anchorBytes, cosigned, hash, headerOf, region, verifier } from './support.ts';

const north = region({ blocks: 4, seed: 1, cluster: 'north' });

function registry() {
  const r = new RegionRegistry([{ region: 'north', operator: north.manifest.operator }], hash, verifier);
  r.register(north.chain.manifest);
  return r;
}

function checked(r: RegionRegistry, bytes: Uint8Array): CheckedAnchor {
  const v = r.verify(bytes);
  if (!v.ok) throw new Error(v.reason);
  return v.checked;
}

/** Block `height` of north with one round summary changed, co-signed again by the region's quorum. */
function conflicting(height: number): Uint8Array {
  const h = headerOf(north, height);
  const rounds = h.rounds.map((s, i) => (i === 0 ? { ...s, energyIn: s.energyIn + 1000 } : s));
  return cosigned(north, 1, { ...h, rounds });
}

describe('AnchorWitness', () => {
  test('a chain anchored in order is all new, a repeat is a duplicate', () => {
    const r = registry();
    const w = new AnchorWitness();
    for (let h = 0; h < 4; h++) expect(w.observe(checked(r, anchorBytes(north, h))).status).toBe('new');
    expect(w.observe(checked(r, anchorBytes(north, 2))).status).toBe('duplicate');
    expect(w.highest('north')).toBe(3);
    expect(w.evidenceOf('north')).toEqual([]);
  });

  test('two co-signed blocks at one height are a split view, kept as evidence that verifies', () => {
    const r = registry();
    const w = new AnchorWitness();
    w.observe(checked(r, anchorBytes(north, 0)));
    w.observe(checked(r, anchorBytes(north, 1)));
    const o = w.observe(checked(r, conflicting(1)));
    expect(o.status).toBe('evidence');
    if (o.status !== 'evidence') return;
    expect(o.evidence).toMatchObject({ kind: 'split', region: 'north', height: 1 });
    expect(w.evidenceOf('north')).toEqual([o.bytes]);
    expect(checkViewEvidence(registry(), o.bytes)).toMatchObject({ ok: true, evidence: { kind: 'split', height: 1 } });
    // The first block stays the anchored one.
    expect(w.anchoredAt('north', 1)).toEqual(checked(r, anchorBytes(north, 1)).hash);
    // The same contradiction again is reported, not kept twice.
    expect(w.observe(checked(r, conflicting(1))).status).toBe('evidence');
    expect(w.evidenceOf('north').length).toBe(1);
  });

  test('a block that does not link to the anchored block below it is kept as link evidence, either order', () => {
    const r = registry();
    const w = new AnchorWitness();
    w.observe(checked(r, anchorBytes(north, 0)));
    // Block 1 of a view whose block 0 is another one.
    const h1 = headerOf(north, 1);
    const stray = cosigned(north, 1, { ...h1, prev: new Uint8Array(32).fill(7) });
    const o = w.observe(checked(r, stray));
    expect(o).toMatchObject({ status: 'evidence', evidence: { kind: 'link', height: 0 } });
    if (o.status === 'evidence') expect(checkViewEvidence(r, o.bytes)).toMatchObject({ ok: true });
    // Above first, then the block below that it does not name.
    const w2 = new AnchorWitness();
    w2.observe(checked(r, anchorBytes(north, 3)));
    const below = w2.observe(checked(r, conflicting(2)));
    expect(below).toMatchObject({ status: 'evidence', evidence: { kind: 'link', height: 2 } });
    expect(w2.observe(checked(r, anchorBytes(north, 2))).status).toBe('new');
  });

  test('evidence that does not prove a contradiction is refused', () => {
    const r = registry();
    const a = anchorBytes(north, 1);
    const same = encodeViewEvidence({ v: 1, kind: 'split', region: 'north', height: 1, a, b: a });
    expect(checkViewEvidence(r, same)).toMatchObject({ ok: false, reason: expect.stringMatching(/same block/) });
    const linked = encodeViewEvidence({ v: 1, kind: 'link', region: 'north', height: 1, a, b: anchorBytes(north, 2) });
    expect(checkViewEvidence(r, linked)).toMatchObject({ ok: false, reason: expect.stringMatching(/the blocks link/) });
    const forged = conflicting(1).slice();
    forged[forged.length - 5]! ^= 1;
    const bad = encodeViewEvidence({ v: 1, kind: 'split', region: 'north', height: 1, a, b: forged });
    expect(checkViewEvidence(r, bad).ok).toBe(false);
    expect(decodeViewEvidence(new Uint8Array([0xa0]))).toMatchObject({ ok: false });
  });

  test('memory is bounded: heights below the window are stale, evidence per region capped', () => {
    const r = registry();
    const w = new AnchorWitness({ window: 2, evidencePerRegion: 1 });
    for (let h = 0; h < 4; h++) w.observe(checked(r, anchorBytes(north, h)));
    expect(w.observe(checked(r, conflicting(1))).status).toBe('stale');
    expect(w.anchoredAt('north', 1)).toBeUndefined();
    expect(w.observe(checked(r, conflicting(3))).status).toBe('evidence');
    expect(w.observe(checked(r, conflicting(2))).status).toBe('evidence');
    expect(w.evidenceOf('north').length).toBe(1);
  });
});
