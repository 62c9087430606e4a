// The consensus formats this package builds on (blocks, certificates, Merkle trees, chain checks), in one place.
export * from '@meterchain/consensus';
