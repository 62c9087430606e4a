import { describe, expect, test } from '@jest/globals';
import { decode } from '@meterchain/core';
import { nodeVerifier } from '@meterchain/crypto';
import { PROOF_TYPE, makeProof, verifyProof } from '@meterchain/ledger';
import { generateChain } from '@meterchain/ledger/testing';
import { manifestsOf, smallChain } from './support/chain.ts';

const manifest = () => manifestsOf(smallChain())[0]!.manifest;

function proofOf(memberIndex: number, seq: number, height: number): Uint8Array {
  const made = makeProof(manifest(), smallChain().blocks[height]!, manifest().members[memberIndex]!.address, seq);
  if (!made.ok) throw new Error(made.reason);
  return made.proof;
}

describe('inclusion proofs', () => {
  test('a proof made from a chain verifies with the manifest alone', () => {
    const v = verifyProof([manifest()], proofOf(2, 9, 4), nodeVerifier());
    expect(v).toMatchObject({ ok: true, proven: { seq: 9, round: 9, height: 4, threshold: 3 } });
    if (v.ok) expect(v.proven.votes).toBeGreaterThanOrEqual(3);
  });

  test('the proof file names its kind', () => {
    const d = decode(proofOf(0, 0, 0));
    expect(d.ok && (d.value as { type: string }).type).toBe(PROOF_TYPE);
  });

  test('a reading the block does not hold gets no proof', () => {
    const made = makeProof(manifest(), smallChain().blocks[4]!, manifest().members[2]!.address, 3);
    expect(made).toMatchObject({ ok: false });
  });

  test('a proof with any single byte changed does not verify', () => {
    const proof = proofOf(1, 5, 2);
    const verifier = nodeVerifier();
    const passed: number[] = [];
    for (let p = 0; p < proof.length; p++) {
      const bytes = proof.slice(0);
      bytes[p]! ^= 0x01;
      if (verifyProof([manifest()], bytes, verifier).ok) passed.push(p);
    }
    expect(passed).toEqual([]);
  });

  test('a proof checked against another cluster manifest fails on the epoch', () => {
    const other = manifestsOf(smallChainOf(99))[0]!.manifest;
    const v = verifyProof([{ ...other, cluster: 'elsewhere' }], proofOf(1, 5, 2), nodeVerifier());
    expect(v).toMatchObject({ ok: false, fault: 'epoch' });
  });

  test('a proof checked against a manifest with other keys fails on the commit certificate', () => {
    const other = manifestsOf(smallChainOf(99))[0]!.manifest;
    const v = verifyProof([other], proofOf(1, 5, 2), nodeVerifier());
    expect(v).toMatchObject({ ok: false, fault: 'commit' });
  });
});

function smallChainOf(seed: number) {
  return generateChain({ blocks: 1, members: 4, rule: 'bft', blockRounds: 2, seed });
}
