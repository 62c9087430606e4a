// Cross-tier proofs: a reading's regional proof with the wide-area anchor added verifies with the two manifests
// alone; each way the wide-area part can lie (another header, a broken path, another anchor, another wide-area
// cluster, a regional proof of another block) fails with a reason naming the tier.
import { describe, expect, test } from '@jest/globals';
import { decode, encode, type CborValue } from '@meterchain/core';
import { makeProof } from '@meterchain/ledger';
import { isCrossTierProof, makeCrossTierProof, verifyCrossTierProof } from '../src/index.ts';
import { runWideArea } from '../src/testing/index.ts';
import { hash, region, verifier } from './support.ts';

const north = region({ blocks: 4, seed: 1, cluster: 'north' });
const south = region({ blocks: 2, seed: 2, cluster: 'south' });
const wide = runWideArea({ regions: [north.chain, south.chain], verifier, rounds: 5 });
const otherWide = runWideArea({ regions: [north.chain], verifier, rounds: 4, seed: 'other-substation' });
// A wide-area chain that anchored south only.
const southOnly = runWideArea({ regions: [south.chain], verifier, rounds: 3 });

function readingProof(height: number, member: number): Uint8Array {
  const made = makeProof(north.manifest, north.chain.blocks[height]!, north.manifest.members[member]!.address, height * 10 + 3);
  if (!made.ok) throw new Error(made.reason);
  return made.proof;
}

function crossTier(height = 2, member = 1): Uint8Array {
  const c = makeCrossTierProof([north.manifest], readingProof(height, member), wide.manifest, wide.blocks, hash, verifier);
  if (!c.ok) throw new Error(c.reason);
  return c.proof;
}

function withField(bytes: Uint8Array, field: string, value: CborValue): Uint8Array {
  const d = decode(bytes);
  if (!d.ok) throw new Error(d.reason);
  return encode({ ...(d.value as { [k: string]: CborValue }), [field]: value });
}

const verify = (bytes: Uint8Array, wideManifests = [wide.manifest]) => verifyCrossTierProof([north.manifest], wideManifests, bytes, hash, verifier);

describe('cross-tier proofs', () => {
  test('a reading’s proof with its wide-area anchor verifies with the two manifests alone', () => {
    const p = crossTier();
    expect(isCrossTierProof(p)).toBe(true);
    expect(isCrossTierProof(readingProof(2, 1))).toBe(false);
    const v = verify(p);
    if (!v.ok) throw new Error(`${v.tier}: ${v.reason}`);
    expect(v.proven.regional.height).toBe(2);
    expect(v.proven.regional.seq).toBe(23);
    expect(v.proven.region).toBe('north');
    const anchored = wide.anchored[0]!.find((a) => a.region === 'north' && a.height === 2)!;
    expect(v.proven.wideHeight).toBe(anchored.wideHeight);
    expect(v.proven.wideSignatures).toBeGreaterThanOrEqual(3);
  });

  test('no anchor of the block in the wide-area chain given: no proof', () => {
    expect(southOnly.blocks.length).toBeGreaterThan(0);
    const c = makeCrossTierProof([north.manifest], readingProof(2, 1), southOnly.manifest, southOnly.blocks, hash, verifier);
    expect(c).toMatchObject({ ok: false, reason: expect.stringMatching(/holds no anchor/) });
  });

  test('each way the wide-area part can lie fails, naming the tier', () => {
    const p = crossTier();
    const d = decode(p);
    if (!d.ok) throw new Error(d.reason);
    const o = d.value as { wideHeader: Uint8Array; path: Uint8Array[]; item: number; leaf: number };
    const header = o.wideHeader.slice();
    header[header.length - 3]! ^= 1;
    expect(verify(withField(p, 'wideHeader', header))).toMatchObject({ ok: false, tier: 'wide-area' });
    const path = o.path.map((x) => x.slice());
    expect(path.length).toBeGreaterThan(0); // three gates' batches in that wide-area block
    path[0]![0]! ^= 1;
    expect(verify(withField(p, 'path', path))).toMatchObject({ ok: false, tier: 'wide-area', reason: expect.stringMatching(/submissions root/) });
    expect(verify(withField(p, 'leaf', o.leaf + 1))).toMatchObject({ ok: false, tier: 'wide-area' });
    // The batch's other items anchor other blocks.
    expect(verify(withField(p, 'item', o.item === 0 ? 1 : 0))).toMatchObject({ ok: false, tier: 'wide-area', reason: expect.stringMatching(/another regional block|not an anchor/) });
    expect(verify(withField(p, 'item', 99))).toMatchObject({ ok: false, reason: expect.stringMatching(/no item 99/) });
    // The wide-area part of block 2 under the regional proof of block 1.
    expect(verify(withField(p, 'regional', readingProof(1, 1)))).toMatchObject({ ok: false, tier: 'wide-area', reason: expect.stringMatching(/another regional block/) });
    // Another wide-area cluster's manifest (other substations) does not carry its certificate.
    expect(verify(p, [otherWide.manifest])).toMatchObject({ ok: false, tier: 'wide-area' });
    // A broken regional proof fails in its own tier.
    const regional = readingProof(2, 1).slice();
    regional[regional.length - 10]! ^= 1;
    expect(verify(withField(p, 'regional', regional))).toMatchObject({ ok: false, tier: 'regional' });
    expect(verify(new Uint8Array([1, 2, 3]))).toMatchObject({ ok: false });
  });
});
