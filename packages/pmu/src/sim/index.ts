// @meterchain/pmu/sim: a PMU simulator (Node) for tests, labs and the demo.
export * from './grid.ts';
export * from './server.ts';
