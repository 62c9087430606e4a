import { describe, expect, test } from '@jest/globals';
import { addressFromPublicKey, addressToText, createManifest, verifyManifest } from '@meterchain/core';
import { createNodeSigner, generateSeed, nodeVerifier } from '@meterchain/crypto';
import { hash } from 'node:crypto';
import { NodeStatus } from '../src/status.ts';

const sha256 = (d: Uint8Array) => new Uint8Array(hash('sha256', d, 'buffer'));

function fourMembers() {
  const signers = [1, 2, 3, 4].map(() => createNodeSigner(generateSeed()));
  const bytes = createManifest(
    {
      cluster: 'feeder-7',
      rule: 'bft',
      members: signers.map((s, i) => ({ publicKey: s.publicKey, name: `m${i + 1}` })),
      params: { roundMs: 1000, blockRounds: 5, skewMs: 500, timeoutMs: 4000 },
      genesisMs: 1_000_000,
    },
    createNodeSigner(generateSeed()),
  );
  const checked = verifyManifest(bytes, nodeVerifier());
  if (!checked.ok) throw new Error(checked.reason);
  const names = signers.map((s) => addressToText(addressFromPublicKey(s.publicKey, sha256)));
  return { manifest: checked.manifest, names };
}

describe('the status page record', () => {
  const live = { connected: true, queued: 0, height: 3 };

  test("members' states follow the outcomes of their submissions", () => {
    const { manifest, names } = fourMembers();
    const [self, good, liar, gone] = names as [string, string, string, string];
    const s = new NodeStatus(manifest, self, 1_000_000);
    for (let round = 0; round < 6; round++) {
      for (const m of [self, good]) s.outcome({ at: 0, round, member: m, outcome: 'accepted' });
      s.outcome({ at: 0, round, member: liar, outcome: 'rejected', reason: 8 });
      if (round < 2) s.outcome({ at: 0, round, member: gone, outcome: 'accepted' });
    }
    const state = (a: string) => s.snapshot(1_007_000, live).members.find((m) => m.address === a)!;
    expect(state(self).state).toBe('self');
    expect(state(good).state).toBe('active');
    expect(state(liar).state).toBe('rejected');
    expect(state(liar).rejected).toBe(6);
    expect(state(gone).state).toBe('silent');
    expect(state(gone).lastRound).toBe(1);
    s.evidence({ at: 0, kind: 'submission', accused: good, slot: 5 });
    expect(state(good).state).toBe('flagged');
    const snap = s.snapshot(1_007_000, live);
    expect(snap.node.round).toBe(7);
    expect(snap.rounds[0]).toEqual({ round: 5, accepted: 2, rejected: 1, notEnoughVotes: 0, own: 'accepted' });
    expect(snap.rounds[5]).toEqual({ round: 0, accepted: 3, rejected: 1, notEnoughVotes: 0, own: 'accepted' });
  });

  test('own readings carry their outcome, flags and the block that holds them; counts by outcome', () => {
    const { manifest, names } = fourMembers();
    const s = new NodeStatus(manifest, names[0]!, 0);
    const reading = (quality: number) => ({ quality }) as never;
    s.outcome({ at: 0, round: 1, member: names[0]!, outcome: 'accepted', reading: reading(1 << 13) });
    s.outcome({ at: 0, round: 2, member: names[0]!, outcome: 'too-late', reading: reading(0) });
    s.outcome({ at: 0, round: 3, member: names[0]!, outcome: 'rejected', reason: 8, reading: reading(1 << 14) });
    s.committed({ at: 5, height: 0, view: 0, hash: 'ab'.repeat(32), submissions: 7, last: 4, own: [1] });
    const own = s.snapshot(0, live).own;
    expect(own).toMatchObject({ accepted: 1, rejected: 1, tooLate: 1, notEnoughVotes: 0 });
    expect(own.recent).toEqual([
      { round: 3, outcome: 'rejected', reason: 8, flags: ['COMM_ERROR'], block: null },
      { round: 2, outcome: 'too-late', reason: null, flags: [], block: null },
      { round: 1, outcome: 'accepted', reason: null, flags: ['FILTERED'], block: 0 },
    ]);
    expect(s.snapshot(0, live).blocks).toEqual([{ height: 0, hash: 'ab'.repeat(32), view: 0, submissions: 7, lastRound: 4, own: 1, at: 5 }]);
  });

  test('a corrected outcome replaces the one it corrects: each reading counted once, by its last outcome', () => {
    const { manifest, names } = fourMembers();
    const [self, other] = names as [string, string];
    const s = new NodeStatus(manifest, self, 0);
    const reading = { quality: 0 } as never;
    s.outcome({ at: 0, round: 4, member: self, outcome: 'accepted', reading });
    s.outcome({ at: 0, round: 4, member: other, outcome: 'accepted' });
    s.outcome({ at: 0, round: 5, member: self, outcome: 'accepted', reading });
    // A voter that carried round 4 was caught equivocating: both members' outcomes are taken back.
    s.outcome({ at: 1, round: 4, member: self, outcome: 'not-enough-votes', reading, corrects: 'accepted' });
    s.outcome({ at: 1, round: 4, member: other, outcome: 'rejected', reason: 8, corrects: 'accepted' });
    const snap = s.snapshot(0, live);
    expect(snap.own).toMatchObject({ accepted: 1, rejected: 0, tooLate: 0, notEnoughVotes: 1 });
    expect(snap.own.recent.map((o) => `${o.round} ${o.outcome}`)).toEqual(['5 accepted', '4 not-enough-votes']);
    expect(snap.rounds.find((r) => r.round === 4)).toEqual({ round: 4, accepted: 0, rejected: 1, notEnoughVotes: 1, own: 'not-enough-votes' });
    expect(snap.members.find((m) => m.address === other)).toMatchObject({ accepted: 0, rejected: 1, lastOutcome: 'rejected' });
  });

  test('device figures: samples, gaps with the last error, sample times', () => {
    const { manifest, names } = fourMembers();
    const s = new NodeStatus(manifest, names[0]!, 0);
    s.sampled({ at: 10, ms: 4, ok: true, reading: true, quality: 0 });
    s.sampled({ at: 20, ms: 1000, ok: false, reading: true, error: 'Modbus timeout: unit 3 did not answer' });
    s.sampled({ at: 30, ms: 2, ok: true, reading: false, quality: 1 << 15 });
    expect(s.snapshot(40, live).device).toEqual({
      samples: 2,
      gaps: 1,
      lastSampleAt: 30,
      lastError: 'Modbus timeout: unit 3 did not answer',
      lastErrorAt: 20,
      sampleMs: { last: 2, max: 1000, mean: 1006 / 3 },
      lastFlags: ['PARTIAL'],
      counters: null,
    });
    // A Modbus sensor's line counters come with the live figures.
    expect(s.snapshot(40, { ...live, device: { requests: 12, replies: 11, timeouts: 1 } }).device.counters).toEqual({ requests: 12, replies: 11, timeouts: 1 });
  });

  test('keeps only the last 20 rounds, 20 own readings and 10 blocks, however long the node runs', () => {
    const { manifest, names } = fourMembers();
    const s = new NodeStatus(manifest, names[0]!, 0);
    for (let round = 0; round < 1000; round++) {
      for (const m of names) s.outcome({ at: 0, round, member: m, outcome: 'accepted', reading: { quality: 0 } as never });
      if (round % 5 === 4) s.committed({ at: 0, height: (round - 4) / 5, view: 0, hash: '00', submissions: 20, last: round, own: [] });
    }
    const snap = s.snapshot(0, live);
    expect(snap.rounds.map((r) => r.round)).toEqual(Array.from({ length: 20 }, (_, i) => 999 - i));
    expect(snap.own.recent.length).toBe(20);
    expect(snap.own.accepted).toBe(1000);
    expect(snap.blocks.map((b) => b.height)).toEqual(Array.from({ length: 10 }, (_, i) => 199 - i));
  });
});
