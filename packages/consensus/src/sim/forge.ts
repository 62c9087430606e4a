// Messages byzantine members sign outside the state machine's rules (double block votes), for the simulator only.
import { encode, signingInput, Domain, addressFromPublicKey, type Manifest, type Signer } from '@meterchain/core';
import { blockVoteBody } from '../block.ts';

/** A block vote message ({body, sig}) signed with no regard for what the signer signed before. */
export function blockVoteBodyFor(manifest: Manifest, signer: Signer, height: number, view: number, phase: number, block: Uint8Array): Uint8Array {
  const body = blockVoteBody(manifest, height, view, phase, block, addressFromPublicKey(signer.publicKey));
  return encode({ body, sig: signer.sign(signingInput(Domain.BLOCK, body)) });
}
