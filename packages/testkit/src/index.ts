// @meterchain/testkit: the deterministic cluster simulator and helpers shared by tests, benchmarks and demos.
export { nodeSha256, seedFrom, signerFrom, MemoVerifier } from './crypto.ts';
export { Rng } from './sim/rng.ts';
export { simulate, BEHAVIOURS } from './sim/simulator.ts';
export type { Behaviour, Partition, NetworkOptions, SimOptions, SimReport, SimResult } from './sim/simulator.ts';
export { propertyCase, violations, TOLERATED } from './sim/property.ts';
export type { PropertyCase, CaseScale } from './sim/property.ts';
