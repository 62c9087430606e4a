// RFC 6962 Merkle trees against the Certificate Transparency reference tree (the RFC's eight test leaves), plus one
// mutated proof per way to be wrong.
import { describe, expect, test } from '@jest/globals';
import { fromHex, sha256, toHex } from '@meterchain/core';
import { inclusionProof, leafHash, merkleRoot, nodeHash, rootFromInclusion, rootOfLeafHashes, verifyInclusion } from '../src/merkle.ts';

const LEAVES = ['', '00', '10', '2021', '3031', '40414243', '5051525354555657', '606162636465666768696a6b6c6d6e6f'].map(fromHex);

// Roots of the first 1..8 leaves, as published with the reference implementation's tests.
const ROOTS = [
  '6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d',
  'fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125',
  'aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77',
  'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
  '4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4',
  '76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef',
  'ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c',
  '5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328',
];

const PROOF_0_OF_8 = [
  '96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7',
  '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e',
  '6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4',
];
const PROOF_5_OF_8 = [
  'bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b',
  'ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0',
  'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
];

describe('Merkle tree hashes (RFC 6962 §2.1)', () => {
  test('the empty tree hashes to SHA-256 of nothing', () => {
    expect(toHex(merkleRoot(sha256, []))).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
  });

  test('roots of the reference leaves match for every size 1..8', () => {
    for (let n = 1; n <= 8; n++) expect(toHex(merkleRoot(sha256, LEAVES.slice(0, n)))).toBe(ROOTS[n - 1]);
  });

  test('a leaf is hashed with the 0x00 prefix, so a one-leaf tree is not SHA-256 of the data', () => {
    expect(toHex(leafHash(sha256, new Uint8Array(0)))).toBe(ROOTS[0]);
    expect(toHex(merkleRoot(sha256, [new Uint8Array(0)]))).not.toBe(toHex(sha256(new Uint8Array(0))));
  });
});

describe('leaf and node hashes of any size', () => {
  const concat = (...parts: Uint8Array[]) => new Uint8Array(Buffer.concat(parts));

  test('leaves of every size class are SHA-256 of 0x00 || data', () => {
    for (const size of [0, 1, 34, 403, 511, 512, 2000, 4095, 4096, 9000]) {
      const data = new Uint8Array(size).map((_, i) => (i * 31 + size) & 0xff);
      expect([size, toHex(leafHash(sha256, data))]).toEqual([size, toHex(sha256(concat(new Uint8Array([0]), data)))]);
    }
  });

  test('a leaf hash stays what it was after other leaves are hashed', () => {
    const a = leafHash(sha256, new Uint8Array(300).fill(1));
    const expected = toHex(a);
    leafHash(sha256, new Uint8Array(300).fill(2));
    leafHash(sha256, new Uint8Array(3000).fill(3));
    expect(toHex(a)).toBe(expected);
  });

  test('nodes over two digests, and over children of other lengths, are SHA-256 of 0x01 || left || right', () => {
    const one = new Uint8Array([1]);
    for (const [l, r] of [[32, 32], [20, 32], [32, 40], [0, 0]] as const) {
      const left = new Uint8Array(l).fill(0xaa);
      const right = new Uint8Array(r).fill(0x55);
      expect(toHex(nodeHash(sha256, left, right))).toBe(toHex(sha256(concat(one, left, right))));
    }
  });
});

describe('inclusion proofs (RFC 6962 §2.1.1, RFC 9162 §2.1.3.2)', () => {
  const leaves = LEAVES.map((d) => leafHash(sha256, d));
  const root = fromHex(ROOTS[7]!);

  test('the audit paths of leaves 0 and 5 in the 8-leaf tree are the reference ones', () => {
    expect(inclusionProof(sha256, leaves, 0).map(toHex)).toEqual(PROOF_0_OF_8);
    expect(inclusionProof(sha256, leaves, 5).map(toHex)).toEqual(PROOF_5_OF_8);
  });

  test('every leaf of every tree size up to 40 proves its inclusion', () => {
    const many: Uint8Array[] = [];
    for (let i = 0; i < 40; i++) many.push(leafHash(sha256, new Uint8Array([i, 7 * i])));
    for (let size = 1; size <= 40; size++) {
      const subset = many.slice(0, size);
      const r = rootOfLeafHashes(sha256, subset);
      for (let i = 0; i < size; i++) {
        expect(verifyInclusion(sha256, subset[i]!, i, size, inclusionProof(sha256, subset, i), r)).toBe(true);
      }
    }
  });

  test('a proof fails for another leaf', () => {
    expect(verifyInclusion(sha256, leaves[1]!, 0, 8, PROOF_0_OF_8.map(fromHex), root)).toBe(false);
  });

  test('a proof fails at another index', () => {
    expect(verifyInclusion(sha256, leaves[0]!, 1, 8, PROOF_0_OF_8.map(fromHex), root)).toBe(false);
  });

  test('a proof fails for a tree size whose shape differs at that leaf', () => {
    expect(verifyInclusion(sha256, leaves[5]!, 5, 6, PROOF_5_OF_8.map(fromHex), root)).toBe(false);
  });

  test('a proof with one path hash changed fails', () => {
    const path = PROOF_5_OF_8.map(fromHex);
    path[1]![0] ^= 1;
    expect(verifyInclusion(sha256, leaves[5]!, 5, 8, path, root)).toBe(false);
  });

  test('a proof that is too short or too long gives no root', () => {
    const path = PROOF_0_OF_8.map(fromHex);
    expect(rootFromInclusion(sha256, leaves[0]!, 0, 8, path.slice(0, 2))).toBeUndefined();
    expect(rootFromInclusion(sha256, leaves[0]!, 0, 8, path.concat([path[0]!]))).toBeUndefined();
  });

  test('an index outside the tree gives no root instead of throwing', () => {
    expect(rootFromInclusion(sha256, leaves[0]!, 8, 8, [])).toBeUndefined();
    expect(rootFromInclusion(sha256, leaves[0]!, -1, 8, [])).toBeUndefined();
  });

  test('asking for the path of a leaf that does not exist is a programmer mistake', () => {
    expect(() => inclusionProof(sha256, leaves, 8)).toThrow(/leaf index must be an integer in 0..7, got 8/);
  });
});
