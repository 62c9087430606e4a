// The cluster simulator on Node's crypto, as the test suites and benchmarks run it.
import { simulate as simulateWith, type SimOptions, type SimResult } from '@meterchain/consensus/sim';
import { simCrypto } from '@meterchain/crypto/sim';

/** Runs one simulation to the end (@meterchain/consensus/sim) with node:crypto keys and hashes. */
export function simulate(opts: SimOptions): SimResult {
  return simulateWith(opts, simCrypto);
}
