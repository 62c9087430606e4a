// Test support for chains: a generator of committed chains with real signatures, and writers for both layouts.
export { generateChain, writeChainFiles, writeChainStore } from './generate.ts';
export type { GenerateOptions, GeneratedChain } from './generate.ts';
