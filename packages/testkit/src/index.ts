// @meterchain/testkit: helpers shared by tests and benchmarks: the cluster simulator on Node's crypto, deterministic
// keys, outside programs (Mosquitto, an in-process broker, a TCP proxy) and fixtures.
export { nodeSha256 } from '@meterchain/crypto';
export { seedFrom, signerFrom, MemoVerifier } from '@meterchain/crypto/sim';
export { simulate } from './sim.ts';
export { BEHAVIOURS, Rng, propertyCase, violations, TOLERATED } from '@meterchain/consensus/sim';
export type { Behaviour, Partition, NetworkOptions, SimOptions, SimReport, SimResult, PropertyCase, CaseScale } from '@meterchain/consensus/sim';
