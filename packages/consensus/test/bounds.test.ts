// What a peer's messages can make a node keep or do, flooded: messages for later heights are kept verified, a few per
// member and height and only for the next heights; sync requests are answered only when signed by the member that
// asks, a few times per timeoutMs (docs/protocol.md §10, step 6).
import { describe, expect, test } from '@jest/globals';
import { decode, encode, signReading, type CborValue } from '@meterchain/core';
import { nodeSha256 } from '@meterchain/testkit';
import { Phase, signBlockVote } from '../src/block.ts';
import {
  effectsOf,
  decodeBody,
  decodeHeader,
  decodeStoredBlock,
  encodeBody,
  encodeHeader,
  inspectBlock,
  makeEvidence,
  proposerOf,
  verifyChain,
  type Effect,
} from '../src/index.ts';
import { Cluster, GENESIS, PARAMS, verifier } from './helpers/cluster.ts';

const CLOSE = (r: number) => GENESIS + (r + 1) * PARAMS.roundMs + PARAMS.skewMs + PARAMS.timeoutMs;

/** A cluster of four that committed its first block (height 0), and that block's header. */
function committedCluster(): { c: Cluster; header: { [key: string]: CborValue } } {
  const c = new Cluster({ n: 4 });
  c.round(0);
  c.round(1);
  c.runUntil(CLOSE(1) + 2000);
  const stored = decodeStoredBlock(c.of('committed', 0)[0]!.block);
  if (!stored.ok) throw new Error(stored.reason);
  const h = decode(stored.block.header);
  if (!h.ok) throw new Error(h.reason);
  return { c, header: h.value as { [key: string]: CborValue } };
}

describe('messages for later heights', () => {
  test('200 proposals of 1 MiB for later heights, forged or signed by a member, leave at most its two proposals kept', () => {
    const { c, header } = committedCluster();
    const node = c.makeNode(c.signers[3]!); // at height 0, as a node that is behind
    const mib = new Uint8Array(1 << 20);
    const before = node.buffered();
    const frames: Uint8Array[] = [];
    // Member 1 is byzantine: it signs a proposal for every later height it is a proposer of (view = its turn).
    for (let height = 1; frames.length < 200; height++) {
      let view = 0;
      while (c.indexOf(proposerOf(c.manifest, height, view)) !== 1) view++;
      const headerBytes = encode({ ...header, height });
      const vote = signBlockVote(c.manifest, height, view, Phase.PREPARE, nodeSha256(headerBytes), c.address(1), c.signers[1]!).bytes;
      frames.push(encode({ header: headerBytes, compact: mib, view, vote, timeouts: [], lock: null }));
      // The same in member 2's name, with a signature that does not verify.
      const forged = vote.slice();
      forged[forged.length - 1]! ^= 1;
      frames.push(encode({ header: headerBytes, compact: mib, view, vote: forged, timeouts: [], lock: null }));
    }
    let effects: Effect[] = [];
    for (let k = 0; k < frames.length; k++) effects = effects.concat(effectsOf(node.step({ type: 'message', now: GENESIS + 100 + k, topic: 'proposal', bytes: frames[k]! })));
    const after = node.buffered();
    // Two later heights, one proposal each: about 2 MiB where 200 MiB came (before: 128 kept, unverified, 128 MiB).
    expect(after.messages - before.messages).toBeLessThanOrEqual(2);
    expect(after.bytes - before.bytes).toBeLessThanOrEqual(2 * ((1 << 20) + 4096));
    // What it does with them is ask for the block it lacks, at most once per timeoutMs: of members − t + 1 = 2
    // members, the signer of the proposals and one other, so the flooder alone does not take the ask.
    const asks = effects.filter((e) => e.type === 'publish' && e.topic === 'sync') as { to: Uint8Array }[];
    expect(asks.length).toBe(2);
    const asked = new Set(asks.map((e) => c.indexOf(e.to)));
    expect(asked.size).toBe(2);
    expect(asked.has(1)).toBe(true);
  });

  test('a flood of block votes and timeouts for later heights keeps at most 4 per member and height, for the next 2 heights', () => {
    const { c } = committedCluster();
    const node = c.makeNode(c.signers[3]!);
    let k = 0;
    for (let height = 1; height <= 100; height++) {
      for (let view = 0; view < 20; view++) {
        for (const phase of [Phase.PREPARE, Phase.COMMIT]) {
          const block = nodeSha256(new Uint8Array([height, view, phase]));
          const v = signBlockVote(c.manifest, height, view, phase, block, c.address(1), c.signers[1]!);
          node.step({ type: 'message', now: GENESIS + 100 + k++, topic: 'block-vote', bytes: v.bytes });
        }
      }
    }
    expect(k).toBe(4000);
    const b = node.buffered();
    expect(b.messages).toBeLessThanOrEqual(2 * 4);
    expect(b.bytes).toBeLessThanOrEqual(2 * 4 * 512);
  });

  test('a node one height behind still takes up the next height\'s messages it kept, and commits with the others', () => {
    const c = new Cluster({ n: 4 });
    // Member 3 misses everything of height 0 (proposal, votes, blocks) but sees height 1's traffic.
    const blockTopics = ['proposal', 'block-vote', 'block', 'timeout'];
    c.filter = (m, to) => !(to === 3 && blockTopics.includes(m.topic) && c.now < CLOSE(3) - 500);
    for (let r = 0; r < 4; r++) c.round(r);
    c.runUntil(CLOSE(3) + 5000);
    const heights = (i: number) => c.of('committed', i).map((e) => e.height);
    expect(heights(0).slice(0, 2)).toEqual([0, 1]);
    expect(heights(3)).toEqual(heights(0));
    expect(c.of('committed', 3).map((e) => e.hash)).toEqual(c.of('committed', 0).map((e) => e.hash));
  });
});

describe('sync requests', () => {
  /** A member's signed request for block 0, as its node sends it when it lacks the block. */
  function signedRequest(c: Cluster): Uint8Array {
    const late = c.makeNode(c.signers[2]!);
    const notice = c.of('publish', 0).find((e) => e.topic === 'block' && e.to === undefined)!;
    const effects = effectsOf(late.step({ type: 'message', now: c.now, topic: 'block', bytes: notice.bytes }));
    const ask = effects.find((e) => e.type === 'publish' && e.topic === 'sync') as { bytes: Uint8Array } | undefined;
    if (!ask) throw new Error('the late node asked for nothing');
    return ask.bytes;
  }

  function answers(effects: Effect[]): number {
    return effects.filter((e) => (e.type === 'publish' && e.topic === 'block') || e.type === 'sync-request').length;
  }

  test('20,000 unsigned or forged requests in a member\'s name get no answer, and cost at most 8 signature checks per timeoutMs', () => {
    const { c } = committedCluster();
    const node = c.nodes[0]!;
    const checks = node.stats.verifications;
    let answered = 0;
    const start = c.now;
    const signed = decode(signedRequest(c));
    if (!signed.ok) throw new Error(signed.reason);
    const forged = { ...(signed.value as { body: Uint8Array; sig: Uint8Array }) };
    forged.sig = forged.sig.slice();
    forged.sig[0]! ^= 1;
    for (let k = 0; k < 20000; k++) {
      const bytes = k % 2 === 0 ? encode({ height: 0, from: c.address(2) }) : encode(forged as unknown as CborValue);
      answered += answers(effectsOf(node.step({ type: 'message', now: start + Math.floor(k / 2), topic: 'sync', bytes })));
    }
    expect(answered).toBe(0);
    const windows = Math.ceil(10000 / PARAMS.timeoutMs) + 1;
    expect(node.stats.verifications - checks).toBeLessThanOrEqual(8 * windows);
  });

  test('20,000 copies of a member\'s signed request over 10 s are answered at most 4 times per timeoutMs', () => {
    const { c } = committedCluster();
    const node = c.nodes[0]!;
    const request = signedRequest(c);
    let answered = 0;
    let bytes = 0;
    const start = c.now;
    for (let k = 0; k < 20000; k++) {
      const effects = effectsOf(node.step({ type: 'message', now: start + Math.floor(k / 2), topic: 'sync', bytes: request }));
      answered += answers(effects);
      for (const e of effects) if (e.type === 'publish' && e.topic === 'block') bytes += e.bytes.length;
    }
    const windows = Math.ceil(10000 / PARAMS.timeoutMs) + 1;
    expect(answered).toBeGreaterThan(0);
    expect(answered).toBeLessThanOrEqual(4 * windows);
    // Before: every copy answered, 20,000 blocks sent.
    expect(bytes).toBeLessThanOrEqual(4 * windows * c.of('committed', 0)[0]!.block.length);
  });
});

describe('equivocation evidence', () => {
  /** Evidence that member i signed two different readings for each of the given rounds (valid, verifiable). */
  function equivocations(c: Cluster, i: number, rounds: number[]): Uint8Array[] {
    return rounds.map((r) => {
      const ts = GENESIS + r * PARAMS.roundMs + 10;
      const a = signReading(c.reading(i, ts), c.signers[i]!);
      const b = signReading(c.reading(i, ts), c.signers[i]!);
      return makeEvidence('submission', a, b);
    });
  }

  test('a member\'s equivocations over 500 round numbers: evidence kept only for rounds in the window, at most 4, and blocks carry no more', () => {
    const c = new Cluster({ n: 4 });
    c.round(0);
    c.runUntil(GENESIS + 1500);
    const rounds: number[] = [];
    for (let r = 0; r < 500; r++) rounds.push(r);
    const frames = equivocations(c, 1, rounds);
    for (const bytes of frames) c.queue.push({ from: 1, topic: 'evidence', bytes });
    c.deliverAll();
    for (let i = 0; i < 4; i++) expect(c.nodes[i]!.buffered().evidence).toBeLessThanOrEqual(4);
    c.round(1);
    c.round(2);
    c.round(3);
    c.runUntil(CLOSE(3) + 3000);
    const blocks = c.of('committed', 0);
    expect(blocks.length).toBeGreaterThanOrEqual(2);
    let carried = 0;
    for (const e of blocks) {
      const s = decodeStoredBlock(e.block);
      if (!s.ok) throw new Error(s.reason);
      const b = decodeBody(s.block.body);
      if (!b.ok) throw new Error(b.reason);
      carried += b.body.evidence.length;
    }
    // Member 1 stays flagged, and its evidence is in the chain, a few pieces (before: 256 a block, for every round).
    expect(c.nodes[0]!.flaggedMembers()).toEqual([1]);
    expect(carried).toBeGreaterThanOrEqual(1);
    expect(carried).toBeLessThanOrEqual(4 * blocks.length);
    const v = verifyChain([{ manifest: c.manifest, digest: c.digest }], blocks.map((e) => e.block), verifier, nodeSha256);
    expect(v.ok).toBe(true);
  });

  test('a block carrying evidence for a round outside its window, or too much against one member, is refused', () => {
    const c = new Cluster({ n: 4 });
    c.round(0);
    c.round(1);
    c.runUntil(CLOSE(1) + 2000);
    const stored = decodeStoredBlock(c.of('committed', 0)[0]!.block);
    if (!stored.ok) throw new Error(stored.reason);
    const body = decodeBody(stored.block.body);
    const header = decodeHeader(stored.block.header);
    if (!body.ok || !header.ok) throw new Error('block');
    const inspectWith = (evidence: Uint8Array[]) => {
      const bodyBytes = encodeBody({ ...body.body, evidence });
      const headerBytes = encodeHeader({ ...header.header, body: nodeSha256(bodyBytes) });
      return inspectBlock(c.manifest, nodeSha256, headerBytes, bodyBytes, undefined, { height: 0, prev: c.digest, first: 0 }, () => true);
    };
    expect(inspectWith(equivocations(c, 1, [1])).ok).toBe(true);
    // Round 500 is far past the block's rounds 0..1 (and no block may carry evidence for a round before its window).
    expect(inspectWith(equivocations(c, 1, [500]))).toMatchObject({ ok: false, fault: 'evidence' });
    // Against member 2: two submissions and three block votes signed twice each, five distinct pieces (vote evidence
    // would take member 2 out of the round certificates, and change the block).
    const blockVotes = (view: number, phase: number) =>
      makeEvidence(
        'block',
        signBlockVote(c.manifest, 0, view, phase, new Uint8Array(32).fill(1), c.address(2), c.signers[2]!).bytes,
        signBlockVote(c.manifest, 0, view, phase, new Uint8Array(32).fill(2), c.address(2), c.signers[2]!).bytes,
      );
    const four = [...equivocations(c, 2, [0, 1]), blockVotes(0, Phase.PREPARE), blockVotes(0, Phase.COMMIT)];
    expect(inspectWith(four).ok).toBe(true);
    expect(inspectWith([...four, blockVotes(1, Phase.PREPARE)])).toMatchObject({ ok: false, fault: 'evidence' });
  });
});
