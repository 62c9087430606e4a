// The edge's checks one by one, for a device that cannot hold the whole pipeline and its profiles (an Espruino sensor
// node on a Puck.js heap): `@meterchain/edge/checks`. Each is a pure step over a sample, with its state in typed arrays.
export { energyCheck, type EnergyRule, type EnergyState } from './energy.ts';
export { limitsCheck, type LimitRule, type LimitsState } from './limits.ts';
export type { Check, Finding, Sample } from '../types.ts';
