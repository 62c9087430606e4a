// @meterchain/consensus/sim: the deterministic cluster simulator (every member runs ConsensusNode; seeded network,
// byzantine behaviours) and the property cases the test suites and `meterchain sim` run over it. It runs on Node and
// is not part of the portable entry; the host supplies the crypto (SimCrypto).
export { simulate, BEHAVIOURS } from './simulator.ts';
export type { Behaviour, Partition, NetworkOptions, SimCrypto, SimOptions, SimReport, SimResult } from './simulator.ts';
export { propertyCase, violations, TOLERATED } from './property.ts';
export type { PropertyCase, CaseScale } from './property.ts';
export { Rng } from './rng.ts';
