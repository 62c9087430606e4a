// @meterchain/pmu: IEEE C37.118.2-2011 synchrophasor frames, portable (runs on Espruino; checked by the gate).
// The PDC client is in '@meterchain/pmu/node', the PMU simulator in '@meterchain/pmu/sim'.
export * from './common.ts';
export * from './config.ts';
export * from './config3.ts';
export * from './data.ts';
export * from './header.ts';
export * from './command.ts';
export * from './frame.ts';
export * from './stream.ts';
export * from './monitor.ts';
export * from './batch.ts';
