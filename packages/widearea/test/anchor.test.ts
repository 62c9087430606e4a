// Anchors checked against the region's manifest: every committed block of a real regional chain anchors, its
// aggregates are the sums of the readings in the block; a short or forged commit certificate, another region's
// manifest, a changed header or hostile bytes are refused with a reason, never an exception.
import { describe, expect, test } from '@jest/globals';
import { decodeReading, encode, openEnvelope, rescale } from '@meterchain/core';
import { decodeBlockCertificate, decodeBody, decodeStoredBlock, encodeBlockCertificate } from '@meterchain/consensus';
import { Rng } from '@meterchain/testkit';
import { aggregatesOf, anchorOfStoredBlock, decodeAnchor, encodeAnchor, verifyAnchor, type Anchor } from '../src/index.ts';
import { hash, region, verifier } from './support.ts';

const north = region({ blocks: 4, seed: 1, cluster: 'north', rejectEvery: 5 });
const south = region({ blocks: 2, seed: 2, cluster: 'south' });

function anchorOf(stored: Uint8Array, name = 'north'): Anchor {
  const a = anchorOfStoredBlock(name, stored);
  if (!a.ok) throw new Error(a.reason);
  return a.anchor;
}

describe('anchors of a regional chain', () => {
  test('every committed block anchors and verifies against the manifest, linked by prev', () => {
    let prev = north.digest;
    for (let h = 0; h < north.chain.blocks.length; h++) {
      const v = verifyAnchor(north.manifest, encodeAnchor(anchorOf(north.chain.blocks[h]!)), hash, verifier);
      if (!v.ok) throw new Error(v.reason);
      expect(v.checked.height).toBe(h);
      expect(v.checked.prev).toEqual(prev);
      prev = v.checked.hash;
    }
  });

  test('aggregates are the block’s readings: count, energy import sum, voltage extremes', () => {
    for (const stored of north.chain.blocks) {
      const v = verifyAnchor(north.manifest, encodeAnchor(anchorOf(stored)), hash, verifier);
      if (!v.ok) throw new Error(v.reason);
      const block = decodeStoredBlock(stored);
      if (!block.ok) throw new Error(block.reason);
      const body = decodeBody(block.block.body);
      if (!body.ok) throw new Error(body.reason);
      let energy = 0;
      let vmin = Infinity;
      let vmax = -Infinity;
      for (const s of body.body.submissions) {
        const e = openEnvelope(s);
        if (!e.ok) throw new Error(e.reason);
        const r = decodeReading(e.envelope.body);
        if (!r.ok) throw new Error(r.reason);
        for (const c of r.reading.channels) {
          if (c.id === '1-0:1.8.0') energy += rescale(c.value, c.scale, 0)!;
          if (c.id === '1-0:32.7.0') {
            vmin = Math.min(vmin, rescale(c.value, c.scale, -3)!);
            vmax = Math.max(vmax, rescale(c.value, c.scale, -3)!);
          }
        }
      }
      expect(v.checked.aggregates.readings).toBe(body.body.submissions.length);
      expect(v.checked.aggregates.readings).toBeLessThan(40); // every 5th submission was rejected
      expect(v.checked.aggregates.rejected).toBeGreaterThan(0);
      expect(v.checked.aggregates.energyIn).toBe(energy);
      expect(v.checked.aggregates.vmin).toBe(vmin);
      expect(v.checked.aggregates.vmax).toBe(vmax);
      expect(aggregatesOf(v.checked.header)).toEqual(v.checked.aggregates);
    }
  });

  test('a commit certificate below the threshold is refused', () => {
    const a = anchorOf(north.chain.blocks[1]!);
    const c = decodeBlockCertificate(a.commit);
    if (!c.ok) throw new Error(c.reason);
    c.cert.votes.pop();
    const v = verifyAnchor(north.manifest, encodeAnchor({ ...a, commit: encodeBlockCertificate(c.cert) }), hash, verifier);
    expect(v).toMatchObject({ ok: false, fault: 'commit' });
  });

  test('a forged co-signature is refused', () => {
    const a = anchorOf(north.chain.blocks[2]!);
    const c = decodeBlockCertificate(a.commit);
    if (!c.ok) throw new Error(c.reason);
    const sig = c.cert.votes[1]!.sig.slice();
    sig[7]! ^= 0x10;
    c.cert.votes[1]!.sig = sig;
    const v = verifyAnchor(north.manifest, encodeAnchor({ ...a, commit: encodeBlockCertificate(c.cert) }), hash, verifier);
    expect(v).toMatchObject({ ok: false, fault: 'commit' });
    if (!v.ok) expect(v.reason).toMatch(/does not verify/);
  });

  test('another region’s block, or the anchor naming another region, is refused', () => {
    const foreign = encodeAnchor(anchorOf(south.chain.blocks[0]!, 'south'));
    expect(verifyAnchor(north.manifest, foreign, hash, verifier)).toMatchObject({ ok: false, fault: 'region' });
    const renamed = encodeAnchor(anchorOf(south.chain.blocks[0]!, 'north'));
    expect(verifyAnchor(north.manifest, renamed, hash, verifier)).toMatchObject({ ok: false, fault: 'region' });
  });

  test('changing any byte of the header makes the anchor fail', () => {
    const a = anchorOf(north.chain.blocks[3]!);
    const rng = new Rng(7);
    for (let trial = 0; trial < 40; trial++) {
      const header = a.header.slice();
      header[rng.int(0, header.length - 1)]! ^= 1 << rng.int(0, 7);
      const v = verifyAnchor(north.manifest, encodeAnchor({ ...a, header }), hash, verifier);
      expect(v.ok).toBe(false);
    }
  });

  test('hostile bytes get a verdict, never an exception', () => {
    const good = encodeAnchor(anchorOf(north.chain.blocks[0]!));
    const rng = new Rng(3);
    const inputs: Uint8Array[] = [new Uint8Array(0), encode({ v: 2, region: 'north', header: new Uint8Array(1), commit: new Uint8Array(1) }), encode([1, 2, 3])];
    for (let i = 0; i < 200; i++) {
      const b = good.slice(0, rng.int(0, good.length));
      if (b.length > 0) b[rng.int(0, b.length - 1)] = rng.int(0, 255);
      inputs.push(b);
    }
    for (const bytes of inputs) {
      const v = verifyAnchor(north.manifest, bytes, hash, verifier);
      expect(v.ok).toBe(false);
    }
    expect(decodeAnchor(encode({ v: 2, region: 'north', header: new Uint8Array(1), commit: new Uint8Array(1) }))).toMatchObject({ ok: false });
  });
});
