// @meterchain/gate: keeps the portable packages runnable on Espruino (build with esbuild, lint, smoke-run).
export { runGate, gateTarget, discoverTargets, firmwareTargets, workspaceDirs, defaultRoot } from './gate.ts';
export type { GateOptions, GateReport, TargetReport } from './gate.ts';
export { bundleTarget, packageTarget } from './build.ts';
export type { Bundle, GateTarget } from './build.ts';
export { formatFinding } from './finding.ts';
export type { Finding } from './finding.ts';
export { lintBundle } from './lint.ts';
export { runInSandbox, strippingPrelude } from './sandbox.ts';
export { runFromFlash, runInEspruino } from './interpreter.ts';
export type { InterpreterResult } from './interpreter.ts';
export type { SmokeResult } from './sandbox.ts';
export { SUPPORTED, MISSING_GLOBALS, MISSING_STATICS, MISSING_PROTOTYPE_METHODS, NODE_GLOBALS } from './espruino.ts';
export { main } from './main.ts';
export { checkLayering, cycles, importsOf, packageOf, readWorkspaces, TEST_GEAR, NOT_PRODUCTS, RUNTIME_TEST_GEAR } from './layering.ts';
export type { LayeringFinding, Workspace } from './layering.ts';
