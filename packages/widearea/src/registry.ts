// The region registry: which regions the wide-area tier knows, and each region's manifests by epoch. A region is
// admitted by its epoch-0 manifest signed by the operator key the wide-area deployment trusts for that region; each
// later epoch must follow the one before it and be signed by that epoch's operator (core verifyManifest). Anchors
// are checked against the manifest of the epoch their header names.
import { decodeHeader, type SignatureOracle } from '@meterchain/consensus';
import { equalBytes, toHex, verifyManifest, type Hash, type Manifest, type Verifier } from '@meterchain/core';
import { decodeAnchor, type Anchor } from './anchor.ts';
import { checkAnchor, type AnchorVerdict } from './verify.ts';

/** A region the deployment admits: its cluster name and the operator key that signs its first manifest. */
export interface TrustedRegion {
  region: string;
  operator: Uint8Array;
}

export interface RegisteredEpoch {
  manifest: Manifest;
  /** SHA-256 of the signed manifest bytes (the first block of epoch 0 names it as prev). */
  digest: Uint8Array;
  bytes: Uint8Array;
}

export type RegistrationVerdict =
  | { ok: true; region: string; epoch: number; status: 'registered' | 'known' }
  | { ok: false; reason: string };

/** Epochs a region may register: a manifest change is rare (membership), and the bound keeps a misbehaving operator
 * from growing every substation's registry without limit. */
export const MAX_EPOCHS_PER_REGION = 1024;

export class RegionRegistry {
  private readonly trusted: { [region: string]: Uint8Array } = {};
  private readonly epochs: { [region: string]: RegisteredEpoch[] } = {};
  private readonly hash: Hash;
  private readonly verifier: Verifier;

  constructor(trusted: TrustedRegion[], hash: Hash, verifier: Verifier) {
    for (const t of trusted) this.trusted[t.region] = t.operator;
    this.hash = hash;
    this.verifier = verifier;
  }

  /** Registers a signed regional manifest: epoch 0 of a trusted region, or the next epoch of a registered one.
   * The same manifest twice is `known`; anything else is refused with a reason. Never throws on hostile bytes. */
  register(bytes: Uint8Array): RegistrationVerdict {
    const plain = verifyManifest(bytes, this.verifier, { hash: this.hash });
    if (!plain.ok) return { ok: false, reason: plain.reason };
    const region = plain.manifest.cluster;
    const operator = this.trusted[region];
    if (!operator) return { ok: false, reason: `region '${region}' is not one the wide-area tier admits` };
    const list = this.epochs[region] ?? [];
    const epoch = plain.manifest.epoch;
    const have = list[epoch];
    if (have) {
      if (equalBytes(have.digest, plain.digest)) return { ok: true, region, epoch, status: 'known' };
      return { ok: false, reason: `region '${region}' already has another manifest for epoch ${epoch}` };
    }
    if (epoch !== list.length) return { ok: false, reason: `region '${region}': epoch ${epoch} does not follow epoch ${list.length - 1}` };
    if (list.length >= MAX_EPOCHS_PER_REGION) return { ok: false, reason: `region '${region}' has ${MAX_EPOCHS_PER_REGION} epochs, the most the registry keeps` };
    if (epoch === 0) {
      const v = verifyManifest(bytes, this.verifier, { hash: this.hash, operator });
      if (!v.ok) return { ok: false, reason: v.reason };
    } else {
      const prev = list[epoch - 1]!;
      const v = verifyManifest(bytes, this.verifier, { hash: this.hash, previous: { manifest: prev.manifest, digest: prev.digest } });
      if (!v.ok) return { ok: false, reason: v.reason };
    }
    list.push({ manifest: plain.manifest, digest: plain.digest, bytes });
    this.epochs[region] = list;
    return { ok: true, region, epoch, status: 'registered' };
  }

  /** Regions with at least one registered manifest, sorted by name. */
  regions(): string[] {
    return Object.keys(this.epochs).sort();
  }

  /** Registered epochs of a region, from epoch 0. */
  epochsOf(region: string): RegisteredEpoch[] {
    return (this.epochs[region] ?? []).slice(0);
  }

  manifest(region: string, epoch: number): Manifest | undefined {
    const e = (this.epochs[region] ?? [])[epoch];
    return e ? e.manifest : undefined;
  }

  /** Checks an anchor against the registered manifest of its region and its header's epoch. */
  check(anchor: Anchor, sig: SignatureOracle): AnchorVerdict {
    if (!this.epochs[anchor.region]) return { ok: false, fault: 'region', reason: `region '${anchor.region}' is not registered` };
    const h = decodeHeader(anchor.header);
    if (!h.ok) return { ok: false, fault: 'malformed', reason: h.reason };
    const manifest = this.manifest(anchor.region, h.header.epoch);
    if (!manifest) return { ok: false, fault: 'epoch', reason: `region '${anchor.region}' has no registered manifest for epoch ${h.header.epoch}` };
    const v = checkAnchor(manifest, anchor, this.hash, sig);
    // The first block of a region names its epoch-0 manifest: an anchor that does not starts another chain.
    if (v.ok && h.header.height === 0 && !equalBytes(v.checked.prev, this.epochs[anchor.region]![0]!.digest)) {
      return { ok: false, fault: 'header', reason: "block 0 does not name the region's epoch-0 manifest as prev" };
    }
    return v;
  }

  /** Decodes and checks anchor bytes with the registry's verifier. */
  verify(bytes: Uint8Array): AnchorVerdict {
    const d = decodeAnchor(bytes);
    if (!d.ok) return { ok: false, fault: 'malformed', reason: d.reason };
    return this.check(d.anchor, (c) => this.verifier.verify(c.publicKey, c.message, c.signature));
  }

  /** The genesis digest a region's chain starts from (its epoch-0 manifest's digest), as hex; '' when unknown. */
  genesisHex(region: string): string {
    const e = (this.epochs[region] ?? [])[0];
    return e ? toHex(e.digest) : '';
  }
}
