// A small generated chain shared by the chain tests (real signatures; about a second to make).
import { verifyManifest } from '@meterchain/core';
import { nodeVerifier } from '@meterchain/crypto';
import { generateChain, type GeneratedChain } from '@meterchain/ledger/testing';

let cached: GeneratedChain | undefined;

/** 12 blocks of 4 members, 2 rounds each, some submissions rejected, evidence in block 3. */
export function smallChain(): GeneratedChain {
  cached ??= generateChain({ blocks: 12, members: 4, rule: 'bft', blockRounds: 2, seed: 11, rejectEvery: 7, evidenceAt: [3] });
  return cached;
}

export function manifestsOf(chain: GeneratedChain) {
  const v = verifyManifest(chain.manifest, nodeVerifier());
  if (!v.ok) throw new Error(v.reason);
  return [{ manifest: v.manifest, digest: v.digest }];
}
