// The dashboard's proof check, bundled for the browser: the same verifyProof and manifest check that
// `meterchain proof verify` runs, on the @noble/ed25519 backend under the strict rule set (the same verdict as
// node:crypto on every input) and core's SHA-256. Exposed as window.meterchain.
import { addressToText, fromHex, toHex, verifyManifest, type Manifest } from '@meterchain/core';
import { nobleVerifier } from '../../../crypto/src/noble.ts';
import { verifyProof } from '../../../ledger/src/proof.ts';

export interface BrowserVerdict {
  ok: boolean;
  text: string;
  manifests?: string[];
}

/** Checks a proof (hex) with the region's signed manifests (hex, epoch 0 first, each following the one before). */
export function checkProof(manifestHexes: string[], proofHex: string): BrowserVerdict {
  const verifier = nobleVerifier();
  const manifests: Manifest[] = [];
  const digests: string[] = [];
  let previous: { manifest: Manifest; digest: Uint8Array } | undefined;
  for (const hex of manifestHexes) {
    const v = verifyManifest(fromHex(hex), verifier, previous ? { previous } : {});
    if (!v.ok) return { ok: false, text: `manifest does not verify: ${v.reason}` };
    manifests.push(v.manifest);
    digests.push(toHex(v.digest));
    previous = { manifest: v.manifest, digest: v.digest };
  }
  const p = verifyProof(manifests, fromHex(proofHex), verifier);
  if (!p.ok) return { ok: false, text: `proof does not verify: ${p.fault}: ${p.reason}`, manifests: digests };
  const r = p.proven;
  return {
    ok: true,
    text: `proof holds: reading of ${addressToText(r.meter)} seq ${r.seq}, round ${r.round}, committed at height ${r.height}; accepted by ${r.votes} votes (threshold ${r.threshold}), header co-signed by ${r.commitSignatures} members`,
    manifests: digests,
  };
}

(globalThis as unknown as { meterchain: unknown }).meterchain = { checkProof };
