// Property: under the `majority` rule with byzantine members within its bound, over seeds 501..1000, no invalid submission is
// accepted, no two blocks are committed at one height, every honest chain verifies from the manifest alone, and while
// the honest members stay connected, blocks keep committing and at least 99 % of honest readings are accepted.
// (Seeds 1..1000 of each rule are split over two files so that both test workers run them.)
import { describe, expect, test } from '@jest/globals';
import { RecordedHashes } from '../helpers/effect-hash.ts';
import { checkSeed, type Tally } from './within-bound.ts';

describe('majority within its fault bound, seeds 501..1000', () => {
  const tally: Tally = { runs: 0, liveRuns: 0, honestReadings: 0, honestAccepted: 0, changed: [] };
  const hashes = new RecordedHashes('majority-2');

  test('safety holds and blocks keep committing on every seed', () => {
    for (let seed = 501; seed <= 1000; seed++) checkSeed('majority', seed, tally, hashes);
    expect(tally.runs).toBe(500);
  }, 300000);

  test('at least 99 % of honest readings are accepted while the honest members are connected', () => {
    expect(tally.liveRuns).toBeGreaterThan(300);
    expect(tally.honestAccepted / tally.honestReadings).toBeGreaterThanOrEqual(0.99);
  });

  test('every seed produces the effect stream recorded for it (test/effect-hashes)', () => {
    hashes.save();
    expect(tally.runs).toBe(500);
    expect({ changed: tally.changed, unobserved: hashes.unobserved() }).toEqual({ changed: [], unobserved: [] });
  });
});
