// Chain verification from the manifest alone: an untouched chain verifies; any flipped byte, a deleted block, two
// blocks swapped, a bad signature or a short commit certificate is refused, naming the first bad block.
import { beforeAll, describe, expect, test } from '@jest/globals';
import { encode, verifyManifest, type Manifest } from '@meterchain/core';
import { MemoVerifier, nodeSha256, Rng, simulate } from '@meterchain/testkit';
import { ChainChecker, decodeStoredBlock, encodeStoredBlock, verifyChain, type EpochManifest } from '../src/index.ts';

const verifier = new MemoVerifier();
let manifest: Manifest;
let epochs: EpochManifest[];
let blocks: Uint8Array[];

beforeAll(() => {
  const run = simulate({ meters: 5, rounds: 12, rule: 'bft', byzantine: 1, behaviours: ['equivocate', 'forge'], seed: 11, params: { blockRounds: 3 } });
  const m = verifyManifest(run.manifest, verifier, { hash: nodeSha256 });
  if (!m.ok) throw new Error(m.reason);
  manifest = m.manifest;
  epochs = [{ manifest, digest: m.digest }];
  blocks = run.blocks;
});

function verify(chain: Uint8Array[]) {
  return verifyChain(epochs, chain, verifier, nodeSha256);
}

describe('verifyChain', () => {
  test('an untouched chain verifies, with its readings counted', () => {
    expect(blocks.length).toBe(4);
    const v = verify(blocks);
    expect(v).toMatchObject({ ok: true, blocks: 4, height: 3 });
    if (v.ok) expect(v.readings).toBeGreaterThan(40);
  });

  test('flipping any single byte of a block makes verification fail at that block', () => {
    const rng = new Rng(5);
    for (let trial = 0; trial < 60; trial++) {
      const which = rng.int(0, blocks.length - 1);
      const tampered = blocks.slice();
      const b = tampered[which]!.slice();
      b[rng.int(0, b.length - 1)]! ^= 1 << rng.int(0, 7);
      tampered[which] = b;
      const v = verify(tampered);
      expect(v.ok).toBe(false);
      if (!v.ok) expect(v.index).toBe(which);
    }
  });

  test('a deleted block is named by the block that no longer links', () => {
    const v = verify([blocks[0]!, blocks[2]!, blocks[3]!]);
    expect(v).toMatchObject({ ok: false, index: 1, height: 1, fault: 'height' });
  });

  test('two swapped blocks are refused at the first of them', () => {
    const v = verify([blocks[0]!, blocks[2]!, blocks[1]!, blocks[3]!]);
    expect(v).toMatchObject({ ok: false, index: 1, fault: 'height' });
  });

  test('a chain that does not start at the manifest is refused at its first block', () => {
    const v = verify(blocks.slice(1));
    expect(v).toMatchObject({ ok: false, index: 0, fault: 'height' });
  });

  test('a commit certificate with fewer than the threshold of signatures is refused', () => {
    const s = decodeStoredBlock(blocks[1]!);
    if (!s.ok) throw new Error(s.reason);
    const short = encodeStoredBlock({ ...s.block, commit: { ...s.block.commit, votes: s.block.commit.votes.slice(0, 2) } });
    const v = verify([blocks[0]!, short]);
    expect(v).toMatchObject({ ok: false, index: 1, fault: 'commit' });
    if (!v.ok) expect(v.reason).toContain('threshold is 4');
  });

  test('a commit signature swapped for another member\'s is refused at the commit certificate', () => {
    const s = decodeStoredBlock(blocks[0]!);
    if (!s.ok) throw new Error(s.reason);
    const votes = s.block.commit.votes.map((x, i) => (i === 0 ? { voter: x.voter, sig: s.block.commit.votes[1]!.sig } : x));
    const v = verify([encodeStoredBlock({ ...s.block, commit: { ...s.block.commit, votes } })]);
    expect(v).toMatchObject({ ok: false, index: 0, fault: 'commit' });
  });

  test('a block with bytes after it is refused as malformed', () => {
    const v = verify([new Uint8Array([...blocks[0]!, 0])]);
    expect(v).toMatchObject({ ok: false, index: 0, fault: 'malformed' });
  });

  test('something that is not a block at all is refused without throwing', () => {
    expect(verify([encode({ hello: 'world' })])).toMatchObject({ ok: false, index: 0, fault: 'malformed' });
    expect(verify([new Uint8Array(0)])).toMatchObject({ ok: false, index: 0, fault: 'malformed' });
  });
});

describe('ChainChecker for parallel verification', () => {
  test('signatures() then check() with the verdicts gives the same result as verify()', () => {
    const c = new ChainChecker(epochs, nodeSha256);
    for (const b of blocks) {
      const checks = c.signatures(b);
      expect(checks.length).toBeGreaterThan(10);
      const verdicts = checks.map((x) => verifier.verify(x.publicKey, x.message, x.signature));
      expect(c.check(b, verdicts).ok).toBe(true);
    }
    expect(c.count).toBe(4);
  });

  test('one false verdict makes the block fail with a signature or commit fault', () => {
    const c = new ChainChecker(epochs, nodeSha256);
    const checks = c.signatures(blocks[0]!);
    for (const at of [0, Math.floor(checks.length / 2), checks.length - 1]) {
      const verdicts = checks.map((_, i) => i !== at);
      const v = new ChainChecker(epochs, nodeSha256).check(blocks[0]!, verdicts);
      expect(v.ok).toBe(false);
      if (!v.ok) expect(['signature', 'commit']).toContain(v.fault);
    }
  });

  test('the list of checks is the same each time for the same block', () => {
    const c = new ChainChecker(epochs, nodeSha256);
    const a = c.signatures(blocks[0]!);
    const b = c.signatures(blocks[0]!);
    expect(a.length).toBe(b.length);
    expect(a.every((x, i) => Buffer.from(x.message).equals(Buffer.from(b[i]!.message)))).toBe(true);
  });
});
