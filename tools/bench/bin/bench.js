#!/usr/bin/env node
// Runs the benchmarks from their TypeScript sources.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../src/main.ts');
process.exitCode = await main(process.argv.slice(2));
