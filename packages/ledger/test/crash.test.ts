// The crash test in CI: 200 seeded SIGKILLs of a writer that stores blocks and signs slots (see src/testing/crash.ts;
// the long run is scripts/crash-run.ts).
import { describe, expect, test } from '@jest/globals';
import { resolve } from 'node:path';
import { runCrashTest } from '../src/testing/crash.ts';

describe('crash test', () => {
  test('after 200 kills at random moments, nothing reported durable is lost, the chain verifies and no slot is signed twice', async () => {
    const result = await runCrashTest({ kills: 200, seed: 20240601, cacheDir: resolve('.cache', 'ledger') });
    expect(result.violations).toEqual([]);
    expect(result.kills).toBe(200);
    // The run must have exercised what it claims: restarts that re-met a signed slot, appends, power cuts, torn tails.
    expect(result.resentAfterRestart).toBeGreaterThan(20);
    expect(result.blocksDurable).toBeGreaterThan(500);
    expect(result.powerCuts).toBeGreaterThan(20);
    expect(result.tornTailsCut).toBeGreaterThan(0);
  }, 240_000);
});
