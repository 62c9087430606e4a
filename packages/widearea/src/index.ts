// @meterchain/widearea: the wide-area tier above the regional clusters (docs/widearea.md). Anchors of committed
// regional blocks, their check against the region's manifest, the registry of regions and their epochs, and the
// witness that keeps a region's split view as evidence.
export { ANCHOR_VERSION, ANCHOR_SCHEMA, MAX_ANCHOR_BYTES, encodeAnchor, decodeAnchor, anchorOfStoredBlock, aggregatesOf } from './anchor.ts';
export type { Anchor, Aggregates } from './anchor.ts';
export { checkAnchor, verifyAnchor, sameBlock } from './verify.ts';
export type { AnchorFault, AnchorVerdict, CheckedAnchor } from './verify.ts';
export { RegionRegistry, MAX_EPOCHS_PER_REGION } from './registry.ts';
export type { TrustedRegion, RegisteredEpoch, RegistrationVerdict } from './registry.ts';
export { AnchorWitness, VIEW_EVIDENCE_VERSION, encodeViewEvidence, decodeViewEvidence, checkViewEvidence } from './witness.ts';
export type { ViewEvidence, ViewEvidenceKind, Observation, WitnessOptions } from './witness.ts';
export { anchorJudge, judgeItem } from './judge.ts';
export type { ItemVerdict } from './judge.ts';
export { WideAreaLedger } from './ledger.ts';
export type { AnchoredBlock, WideAreaStep } from './ledger.ts';
export { ClusterGate } from './gate.ts';
export { Substation } from './substation.ts';
export type { SubstationOptions, Offered } from './substation.ts';
export type { GateOptions } from './gate.ts';
export { makeCrossTierProof, verifyCrossTierProof, isCrossTierProof, CROSS_TIER_TYPE, CROSS_TIER_VERSION } from './proof.ts';
export type { CrossTierResult, CrossTierVerdict, ProvenCrossTier } from './proof.ts';
