// Where things are, relative to the repository root (never an absolute machine path).
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const sharedDir = resolve(repoRoot, '../shared');
export const sunspecDir = resolve(sharedDir, 'sunspec');
export const pymodbusServer = resolve(repoRoot, 'hil-tests/peers/pymodbus_server.py');
/** The meterchain command, run with node directly (no npm in between, so signals reach it). */
export const meterchainBin = resolve(repoRoot, 'tools/cli/bin/meterchain.js');
