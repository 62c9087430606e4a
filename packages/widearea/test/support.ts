// Regional chains for the wide-area tests: generated with real signatures (ledger's test generator), and the signers
// that made them, derived the way the generator derives them, to sign new epochs and conflicting blocks.
import { Domain, addressFromPublicKey, createManifest, equalBytes, signingInput, verifyManifest, type Manifest, type Signer } from '@meterchain/core';
import {
  Phase,
  blockVoteBody,
  decodeHeader,
  decodeStoredBlock,
  encodeBlockCertificate,
  encodeHeader,
  threshold,
  type BlockCertificate,
  type BlockHeader,
} from '@meterchain/consensus';
import { createNodeSigner, nodeSha256, nodeVerifier } from '@meterchain/crypto';
import { generateChain, type GeneratedChain, type GenerateOptions } from '@meterchain/ledger/testing';
import { ANCHOR_VERSION, anchorOfStoredBlock, encodeAnchor } from '../src/index.ts';

export const verifier = nodeVerifier();
export const hash = nodeSha256;

export interface Region {
  chain: GeneratedChain;
  manifest: Manifest;
  digest: Uint8Array;
}

export function region(opts: GenerateOptions): Region {
  const chain = generateChain(opts);
  const v = verifyManifest(chain.manifest, verifier, { hash });
  if (!v.ok) throw new Error(v.reason);
  return { chain, manifest: v.manifest, digest: v.digest };
}

/** The operator signer of a generated chain with this seed. */
export function operatorOf(seed: number) {
  return createNodeSigner(nodeSha256(new TextEncoder().encode(`meterchain test key ${seed} operator 0`)));
}

/** The next epoch's manifest of a region: same members, signed by the operator, naming the previous one. */
export function nextEpoch(r: Region, seed: number, epoch = r.manifest.epoch + 1, prev = r.digest): Uint8Array {
  return createManifest(
    {
      cluster: r.manifest.cluster,
      epoch,
      rule: r.manifest.rule,
      members: r.manifest.members.map((m) => ({ publicKey: m.publicKey, name: m.name ?? '' })),
      params: r.manifest.params,
      genesisMs: r.manifest.genesisMs + 3600000,
      prev,
    },
    operatorOf(seed),
  );
}

/** The member signers of a generated chain with this seed, in manifest order. */
export function membersOf(r: Region, seed: number): Signer[] {
  const signers: Signer[] = [];
  for (let i = 0; i < r.manifest.members.length; i++) signers.push(createNodeSigner(nodeSha256(new TextEncoder().encode(`meterchain test key ${seed} member ${i}`))));
  return r.manifest.members.map((m) => signers.find((s) => equalBytes(addressFromPublicKey(s.publicKey), m.address))!);
}

/** An anchor of `header` (changed by the caller) co-signed by the region's first t voters: what a region whose
 * quorum signs against the protocol can produce. */
export function cosigned(r: Region, seed: number, header: BlockHeader): Uint8Array {
  const headerBytes = encodeHeader(header);
  const blockHash = nodeSha256(headerBytes);
  const signers = membersOf(r, seed);
  const t = threshold(r.manifest.rule, r.manifest.members.length);
  const commit: BlockCertificate = { phase: Phase.COMMIT, height: header.height, view: 1, block: blockHash, votes: [] };
  for (let v = 0; v < t; v++) {
    const body = blockVoteBody(r.manifest, header.height, 1, Phase.COMMIT, blockHash, r.manifest.members[v]!.address);
    commit.votes.push({ voter: v, sig: signers[v]!.sign(signingInput(Domain.BLOCK, body)) });
  }
  return encodeAnchor({ v: ANCHOR_VERSION, region: r.manifest.cluster, header: headerBytes, commit: encodeBlockCertificate(commit) });
}

/** The decoded header of a generated chain's block. */
export function headerOf(r: Region, height: number): BlockHeader {
  const s = decodeStoredBlock(r.chain.blocks[height]!);
  if (!s.ok) throw new Error(s.reason);
  const h = decodeHeader(s.block.header);
  if (!h.ok) throw new Error(h.reason);
  return h.header;
}

export function anchorBytes(r: Region, height: number): Uint8Array {
  const a = anchorOfStoredBlock(r.manifest.cluster, r.chain.blocks[height]!);
  if (!a.ok) throw new Error(a.reason);
  return encodeAnchor(a.anchor);
}
