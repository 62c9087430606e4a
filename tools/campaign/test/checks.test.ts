import { describe, expect, test } from '@jest/globals';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { acceptedWhileUncovered, readNodeLog, stallsIn } from '../src/checks.ts';

describe('campaign checks', () => {
  test('a stall is a gap between commits longer than the limit inside a healed period', () => {
    const healed = [{ from: 1000, to: 30_000 }];
    expect(stallsIn(healed, [2000, 9000, 16_000, 24_000, 29_000], 8000)).toEqual([]);
    expect(stallsIn(healed, [2000, 11_000, 16_000, 24_000, 29_000], 8000)).toEqual([{ from: 2000, to: 11_000 }]);
    // No commit after the last one until the period ends: a stall too.
    expect(stallsIn(healed, [2000, 9000], 8000)).toEqual([{ from: 9000, to: 30_000 }]);
    // Gaps outside healed periods do not count.
    expect(stallsIn([{ from: 20_000, to: 25_000 }], [0, 21_000], 8000)).toEqual([]);
    // A healed period with no commit at all, longer than the limit.
    expect(stallsIn([{ from: 0, to: 9000 }], [], 8000)).toEqual([{ from: 0, to: 9000 }]);
  });

  test("a node's log gives its signed readings, the acceptances it saw and did not take back, its first commit of each height and its starts", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mc-campaign-checks-'));
    try {
      const path = join(dir, 'm01.log');
      writeFileSync(
        path,
        [
          '{"ts":"2026-01-01T00:00:00.000Z","level":"info","msg":"node started","height":-1}',
          '{"ts":"2026-01-01T00:00:01.000Z","level":"info","msg":"reading signed","seq":4,"round":4}',
          '{"ts":"2026-01-01T00:00:01.100Z","level":"debug","msg":"accepted","round":4,"member":"mc01"}',
          '{"ts":"2026-01-01T00:00:01.150Z","level":"debug","msg":"accepted","round":4,"member":"mc02"}',
          '{"ts":"2026-01-01T00:00:01.160Z","level":"debug","msg":"accepted","round":4,"member":"mc03"}',
          // Taken back (a voter caught equivocating): the node's last word on mc02 and mc03 in round 4 is not accepted.
          '{"ts":"2026-01-01T00:00:01.200Z","level":"debug","msg":"not-enough-votes","round":4,"member":"mc02","corrects":"accepted"}',
          '{"ts":"2026-01-01T00:00:01.210Z","level":"debug","msg":"rejected","round":4,"member":"mc03","corrects":"accepted"}',
          '{"ts":"2026-01-01T00:00:01.220Z","level":"debug","msg":"not-enough-votes","round":4,"member":"mc04"}',
          '{"ts":"2026-01-01T00:00:02.000Z","level":"info","msg":"block committed","height":0,"view":0}',
          '{"ts":"2026-01-01T00:00:03.000Z","level":"info","msg":"block committed","height":0,"view":0}',
          '{"ts":"2026-01-01T00:00:04.000Z","level":"info","msg":"reading sig', // cut by a SIGKILL
        ].join('\n'),
      );
      const log = await readNodeLog(path);
      expect([...log.signed]).toEqual([4]);
      expect([...log.accepted]).toEqual([['mc01:4', Date.parse('2026-01-01T00:00:01.100Z')]]);
      expect(log.committed.get(0)).toBe(Date.parse('2026-01-01T00:00:02.000Z'));
      expect(log.started).toEqual([Date.parse('2026-01-01T00:00:00.000Z')]);
      // With its clock off beyond skewMs from 0.9 s to 1.155 s, what it signed and claimed then is left out; its
      // commits and starts are not.
      const skewed = await readNodeLog(path, [{ from: Date.parse('2026-01-01T00:00:00.900Z'), to: Date.parse('2026-01-01T00:00:01.155Z') }]);
      expect([...skewed.signed]).toEqual([]);
      expect([...skewed.accepted]).toEqual([]);
      expect(skewed.committed.get(0)).toBe(Date.parse('2026-01-01T00:00:02.000Z'));
      expect(skewed.started).toEqual([Date.parse('2026-01-01T00:00:00.000Z')]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('acceptedMissing counts what the protocol promises: certificates held before the block covering the round was first committed', () => {
    // Block 0 covers rounds 0-7, first committed (by any honest node) at 10 s; block 1 covers 8-15, at 20 s.
    const covers = new Map([
      [0, { first: 0, last: 7 }],
      [1, { first: 8, last: 15 }],
    ]);
    const firstCommit = new Map([
      [0, 10_000],
      [1, 20_000],
    ]);
    const seen = new Map([
      ['mc01:3', 9_000], // accepted while round 3 was uncovered: promised
      ['mc02:3', 10_500], // accepted after block 0 was committed (votes after a restart): not promised
      ['mc01:8', 19_999], // just before block 1: promised
      ['mc03:20', 30_000], // no block covers round 20 yet: uncovered, promised
    ]);
    expect([...acceptedWhileUncovered(seen, covers, firstCommit)].sort()).toEqual(['mc01:3', 'mc01:8', 'mc03:20']);
    // A covering block no log line shows committed (a line cut by a SIGKILL) leaves the round uncovered.
    expect([...acceptedWhileUncovered(new Map([['mc02:3', 10_500]]), covers, new Map([[1, 20_000]]))]).toEqual(['mc02:3']);
  });
});
