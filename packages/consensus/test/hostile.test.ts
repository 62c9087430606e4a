// Nothing a peer sends may make ConsensusNode.step throw: hand-made frames that once did, and a seeded fuzz over
// mutated copies of real messages of every topic, fed to members at several points of a run.
import { describe, expect, test } from '@jest/globals';
import { decode, encode, mulberry32, type CborValue } from '@meterchain/core';
import { effectsOf, decodeStoredBlock, encodeStoredBlock, type ConsensusNode, type Topic } from '../src/index.ts';
import { Cluster, GENESIS, PARAMS } from './helpers/cluster.ts';

const TOPICS: Topic[] = ['submission', 'vote', 'certificate', 'proposal', 'block-vote', 'timeout', 'evidence', 'block', 'sync'];
const CLOSE = (r: number) => GENESIS + (r + 1) * PARAMS.roundMs + PARAMS.skewMs + PARAMS.timeoutMs;

/** Messages of every topic from a run with a withheld proposal (timeouts, a view change), equivocation and a sync. */
function harvest(voteMode: 'broadcast' | 'leader' = 'broadcast'): { c: Cluster; sent: { topic: Topic; bytes: Uint8Array }[] } {
  const c = new Cluster({ n: 4, voteMode });
  c.filter = (m) => !(m.topic === 'proposal' && m.from === 0 && c.now < CLOSE(1) + 2000);
  for (let r = 0; r < 4; r++) c.round(r);
  // Member 1 signs a second reading for round 4 (evidence follows).
  c.runUntil(GENESIS + 4 * PARAMS.roundMs + 100);
  const twin = c.makeNode(c.signers[1]!);
  const a = c.reading(1, c.now);
  c.submit(1, a);
  const second = effectsOf(twin.step({ type: 'reading', now: c.now, reading: { ...a, channels: [{ id: '1-0:32.7.0', unit: 'V', scale: -1, value: 2311 }] } })).find((e) => e.type === 'publish') as { bytes: Uint8Array };
  c.queue.push({ from: 1, topic: 'submission', bytes: second.bytes });
  for (const i of [0, 2, 3]) c.submit(i, c.reading(i, c.now));
  c.deliverAll();
  c.runUntil(CLOSE(5) + 3000);
  const sent: { topic: Topic; bytes: Uint8Array }[] = [];
  for (const x of c.effects) if (x.effect.type === 'publish') sent.push({ topic: x.effect.topic, bytes: x.effect.bytes });
  sent.push({ topic: 'sync', bytes: encode({ height: 0, from: c.address(2) }) });
  sent.push({ topic: 'sync', bytes: encode({ height: 1, from: c.address(2), view: 0 }) });
  for (const x of c.effects) if (x.effect.type === 'committed') sent.push({ topic: 'block', bytes: x.effect.block });
  return { c, sent };
}

const SPECIAL_INTS = [0, 1, 2, 3, 4, 5, 63, 64, 255, 999, 65535, 4294967295, 4294967296, 9007199254740991, -1, -4294967297];

function randomBytes(rand: () => number, n: number): Uint8Array {
  const b = new Uint8Array(n);
  for (let i = 0; i < n; i++) b[i] = Math.floor(rand() * 256);
  return b;
}

function randomLeaf(rand: () => number): CborValue {
  const k = Math.floor(rand() * 8);
  if (k === 0) return SPECIAL_INTS[Math.floor(rand() * SPECIAL_INTS.length)]!;
  if (k === 1) return randomBytes(rand, [0, 1, 20, 32, 64, 65][Math.floor(rand() * 6)]!);
  if (k === 2) return null;
  if (k === 3) return [];
  if (k === 4) return 'x';
  if (k === 5) return [SPECIAL_INTS[Math.floor(rand() * SPECIAL_INTS.length)]!, randomBytes(rand, 64)];
  if (k === 6) return {};
  return true;
}

/** A copy of a decoded value with one node replaced, or (for a byte string that is itself CBOR) mutated inside. */
function mutateValue(v: CborValue, rand: () => number, depth: number): CborValue {
  if (v instanceof Uint8Array) {
    if (depth < 4 && rand() < 0.6) {
      const d = decode(v, undefined, { maxBytes: 1 << 26 });
      if (d.ok && typeof d.value === 'object' && d.value !== null) return encode(mutateValue(d.value as CborValue, rand, depth + 1));
    }
    return rand() < 0.5 ? randomLeaf(rand) : v.subarray(0, Math.floor(rand() * v.length));
  }
  if (Array.isArray(v)) {
    if (v.length === 0 || rand() < 0.15) return rand() < 0.5 ? randomLeaf(rand) : [...v, randomLeaf(rand)];
    const i = Math.floor(rand() * v.length);
    const out = v.slice(0);
    if (rand() < 0.15) out.splice(i, 1);
    else out[i] = mutateValue(v[i]!, rand, depth);
    return out;
  }
  if (v !== null && typeof v === 'object') {
    const keys = Object.keys(v);
    if (keys.length === 0 || rand() < 0.1) return randomLeaf(rand);
    const k = keys[Math.floor(rand() * keys.length)]!;
    const out: { [key: string]: CborValue } = { ...(v as { [key: string]: CborValue }) };
    if (rand() < 0.15) delete out[k];
    else out[k] = mutateValue(v[k]!, rand, depth);
    return out;
  }
  // A number stays a number most of the time: out-of-range indexes, heights and views are what checks miss.
  if (typeof v === 'number' && rand() < 0.7) return SPECIAL_INTS[Math.floor(rand() * SPECIAL_INTS.length)]!;
  return randomLeaf(rand);
}

function mutate(bytes: Uint8Array, rand: () => number): Uint8Array {
  const kind = Math.floor(rand() * 5);
  if (kind === 0) {
    const out = bytes.slice();
    for (let j = 0; j < 1 + Math.floor(rand() * 3); j++) out[Math.floor(rand() * out.length)] = Math.floor(rand() * 256);
    return out;
  }
  if (kind === 1) return bytes.subarray(0, Math.floor(rand() * bytes.length));
  if (kind === 2) return randomBytes(rand, Math.floor(rand() * 80));
  const d = decode(bytes, undefined, { maxBytes: 1 << 26 });
  if (!d.ok) return bytes;
  return encode(mutateValue(d.value, rand, 0));
}

describe('hostile messages', () => {
  test('an unsigned block for a later height naming voter 999 is dropped, not thrown', () => {
    const { c } = harvest();
    const stored = decodeStoredBlock(c.of('committed', 0)[0]!.block);
    if (!stored.ok) throw new Error(stored.reason);
    const h = decode(stored.block.header);
    if (!h.ok) throw new Error(h.reason);
    const header = encode({ ...(h.value as { [k: string]: CborValue }), height: 7 });
    const forged = encodeStoredBlock({ header, body: stored.block.body, commit: { phase: 1, height: 7, view: 0, block: new Uint8Array(32), votes: [{ voter: 999, sig: new Uint8Array(64) }] } });
    const fresh = c.makeNode(c.signers[2]!);
    let effects: unknown[] = [];
    expect(() => {
      effects = effectsOf(fresh.step({ type: 'message', now: c.now, topic: 'block', bytes: forged }));
    }).not.toThrow();
    // Nobody is asked for a block on such a frame's word.
    expect(effects).toEqual([]);
  });

  test('mutated messages of every topic, fed to members at every point of a run, never make step() throw', () => {
    const { c, sent } = harvest();
    // Leader mode adds round certificates (and votes addressed to a leader).
    const leader = harvest('leader');
    for (const s of leader.sent) sent.push(s);
    const byTopic: { [topic: string]: Uint8Array[] } = {};
    for (const s of sent) (byTopic[s.topic] ??= []).push(s.bytes);
    for (const t of TOPICS) expect([t, (byTopic[t] ?? []).length > 0]).toEqual([t, true]);
    const rand = mulberry32(14);
    // Targets: the clusters' members (at their end), and fresh members that meet the frames from the start.
    const targets: ConsensusNode[] = [...c.nodes, ...leader.c.nodes];
    for (let i = 0; i < 4; i++) targets.push(c.makeNode(c.signers[i]!));
    let fed = 0;
    for (let k = 0; k < 20000; k++) {
      // Every topic as often as any other, whatever its share of the traffic.
      const pool = byTopic[TOPICS[Math.floor(rand() * TOPICS.length)]!]!;
      const src = { topic: TOPICS.find((t) => byTopic[t] === pool)!, bytes: pool[Math.floor(rand() * pool.length)]! };
      const topic = rand() < 0.85 ? src.topic : TOPICS[Math.floor(rand() * TOPICS.length)]!;
      const bytes = rand() < 0.1 ? src.bytes : mutate(src.bytes, rand);
      const node = targets[Math.floor(rand() * targets.length)]!;
      // Time moves forward through the run (a peer chooses the frame, not the clock).
      const now = GENESIS + 5 * k;
      try {
        node.step({ type: 'message', now, topic, bytes });
        if (rand() < 0.05) node.step({ type: 'tick', now });
      } catch (e) {
        throw new Error(`frame ${k} (topic ${topic}, from a ${src.topic}) threw: ${(e as Error).stack}\nframe starts ${Buffer.from(bytes.subarray(0, 64)).toString('hex')}`);
      }
      fed++;
    }
    expect(fed).toBe(20000);
  });
});
