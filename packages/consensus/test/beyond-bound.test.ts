// What breaks past each rule's fault bound (docs/protocol.md §14), shown by the simulator, next to the same attack
// within the bound. These runs are expected to break; the tests assert that the simulator sees and reports it.
import { describe, expect, test } from '@jest/globals';
import { simulate } from '@meterchain/testkit';

describe('bft, 7 members (t = 5, f = 2)', () => {
  test('3 forking members split the honest 4 and get two blocks committed at one height', () => {
    const r = simulate({ meters: 7, rounds: 20, rule: 'bft', byzantine: 3, behaviours: ['fork'], seed: 1 }).report;
    expect(r.conflictingCommits).toBeGreaterThan(0);
    // Each side's chain verifies on its own: only the bound keeps the two apart.
    expect(r.chainsVerify).toBe(true);
    expect(r.evidence).toBeGreaterThan(0);
  });

  test('2 forking members, within the bound, get caught and commit nothing conflicting', () => {
    const r = simulate({ meters: 7, rounds: 20, rule: 'bft', byzantine: 2, behaviours: ['fork'], seed: 1 }).report;
    expect(r.conflictingCommits).toBe(0);
    expect(r.blocksCommitted).toBe(r.blocksExpected);
  });

  test('a partition leaving fewer than t members on each side stops acceptance on both sides, and the cluster resumes after healing', () => {
    const r = simulate({ meters: 7, rounds: 15, rule: 'bft', seed: 2, network: { partitions: [{ from: 2000, to: 9000, groups: [[0, 1, 2, 3], [4, 5, 6]] }] } }).report;
    expect(r.conflictingCommits).toBe(0);
    expect(r.honestAcceptedRatio).toBeLessThan(0.8);
    expect(r.blocksCommitted).toBe(r.blocksExpected);
  });
});

describe('majority, 7 members (t = 4)', () => {
  test('4 members voting for invalid submissions get forged readings accepted', () => {
    const r = simulate({ meters: 7, rounds: 12, rule: 'majority', byzantine: 4, behaviours: ['vote-invalid', 'forge'], seed: 1 }).report;
    expect(r.invalidSubmissionsAccepted).toBeGreaterThan(0);
  });

  test('3 members voting for invalid submissions, within the bound, get none accepted', () => {
    const r = simulate({ meters: 7, rounds: 12, rule: 'majority', byzantine: 3, behaviours: ['vote-invalid', 'forge'], seed: 1 }).report;
    expect(r.invalidSubmissionsAccepted).toBe(0);
  });

  test('one member signing two submissions and two votes per round gets each half of the cluster to accept a different one', () => {
    const r = simulate({ meters: 7, rounds: 12, rule: 'majority', byzantine: 1, behaviours: ['equivocate'], seed: 1 }).report;
    expect(r.conflictingAcceptances).toBeGreaterThan(0);
    expect(r.accused.length).toBe(1);
  });

  test('the same equivocation under bft is caught without conflicting acceptances', () => {
    const r = simulate({ meters: 7, rounds: 12, rule: 'bft', byzantine: 1, behaviours: ['equivocate'], seed: 1 }).report;
    expect(r.conflictingAcceptances).toBe(0);
    expect(r.accused.length).toBe(1);
  });

  test('two forking members get two blocks committed at one height (majority does not survive double signing)', () => {
    const r = simulate({ meters: 7, rounds: 40, rule: 'majority', byzantine: 2, behaviours: ['fork'], seed: 2 }).report;
    expect(r.conflictingCommits).toBeGreaterThan(0);
  });
});
