// Jest runs the TypeScript sources as native ESM (noble and cbor-x ship ESM); a small esbuild transform strips types.
// Pinned to Jest 29: Jest 30's resolver has optional native builds that not every registry carries, and npm ci then
// refuses the lockfile.
export default {
  testEnvironment: 'node',
  extensionsToTreatAsEsm: ['.ts'],
  moduleFileExtensions: ['ts', 'js', 'mjs', 'cjs', 'json'],
  transform: { '^.+\\.ts$': '<rootDir>/tools/jest/transform.cjs' },
  testMatch: ['<rootDir>/{packages,tools,firmware,examples,hil-tests}/**/*.test.ts'],
  // The fault campaign (about four minutes, both cores) runs on its own, after the rest: `MC_CAMPAIGN=1 npm test` runs
  // it second (tools/jest/run.js), and `npm test -- --testPathIgnorePatterns=/node_modules/ tools/campaign/ci` alone
  // (docs/reliability.md, "CI").
  testPathIgnorePatterns: ['/node_modules/', '/tools/campaign/ci/'],
  testTimeout: 30000,
  maxWorkers: 2,
};
