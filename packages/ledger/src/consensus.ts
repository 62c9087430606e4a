// The consensus formats this package builds on (block, certificates, Merkle trees, chain checks), in one place.
// Interim: the consensus package has no entry point yet, so its modules are named here directly; when it has one,
// this file becomes `export * from '@meterchain/consensus'`.
export * from '../../consensus/src/block.ts';
export * from '../../consensus/src/certificate.ts';
export * from '../../consensus/src/chain.ts';
export * from '../../consensus/src/codes.ts';
export * from '../../consensus/src/evidence.ts';
export * from '../../consensus/src/merkle.ts';
export * from '../../consensus/src/submission.ts';
export * from '../../consensus/src/threshold.ts';
export * from '../../consensus/src/vote.ts';
