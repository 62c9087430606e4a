// Test support for the wide-area tier (never a product's dependency).
export { runWideArea, trustedOf } from './cluster.ts';
export type { RegionInput, WideAreaRun, WideAreaRunOptions } from './cluster.ts';
