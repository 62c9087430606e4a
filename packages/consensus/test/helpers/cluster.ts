// A small hand-driven cluster for the state-machine tests: real Ed25519 keys, a message queue the test controls, and
// the effects of every member recorded in order. No randomness: messages go out in the order they were published.
import { createManifest, verifyManifest, type Manifest, type ManifestParams, type Reading, type Signer, type VotingRule, type VoteMode } from '@meterchain/core';
import { nodeVerifier } from '@meterchain/crypto';
import { nodeSha256, signerFrom } from '@meterchain/testkit';
import { effectsOf, ConsensusNode, decodeBody, decodeStoredBlock, openSubmission, type Effect, type NodeConfig, type Topic } from '../../src/index.ts';
import type { expect as Expect } from '@jest/globals';
import { basename } from 'node:path';
import { EffectHasher, RecordedHashes } from './effect-hash.ts';

// Every effect a Cluster records in a test is hashed; the test then compares the hash with the one recorded for it in
// test/effect-hashes/<test file>.json (the refactoring safety net, helpers/effect-hash.ts). Tests recording nothing
// through a Cluster are not listed.
let hasher = new EffectHasher();
let recorded: RecordedHashes | undefined;
// The hooks are Jest's globals, so that the bench scripts can drive a Cluster outside Jest (they hash nothing).
const jest = globalThis as unknown as { beforeEach?: (f: () => void) => void; afterEach: (f: () => void) => void; afterAll: (f: () => void) => void; expect: typeof Expect };
if (typeof jest.beforeEach === 'function') {
  jest.beforeEach(() => {
    hasher = new EffectHasher();
  });
  jest.afterEach(() => {
    if (hasher.count === 0) return;
    const state = jest.expect.getState();
    recorded ??= new RecordedHashes(`node-${basename(state.testPath ?? 'unknown', '.test.ts')}`);
    const key = state.currentTestName ?? 'unnamed';
    const observed = hasher.digest();
    jest.expect(`${key}: ${observed}`).toBe(`${key}: ${recorded.expected(key, observed)}`);
  });
  jest.afterAll(() => {
    recorded?.save();
  });
}

export const GENESIS = 1767225600000;
export const PARAMS: ManifestParams = { roundMs: 1000, blockRounds: 2, skewMs: 100, timeoutMs: 400 };
export const verifier = nodeVerifier();

export interface Sent {
  from: number;
  topic: Topic;
  bytes: Uint8Array;
  to?: number;
}

export interface ClusterOptions {
  n: number;
  rule?: VotingRule;
  voteMode?: VoteMode;
  params?: Partial<ManifestParams>;
  name?: string;
  /** How many members are sensors (they submit, do not vote); the others are full members. */
  sensors?: number;
  /** Extra configuration of every member's node (judges, ...), given the manifest. */
  node?: (manifest: Manifest) => Partial<NodeConfig>;
}

export class Cluster {
  readonly manifest: Manifest;
  readonly manifestBytes: Uint8Array;
  readonly digest: Uint8Array;
  readonly signers: Signer[];
  nodes: ConsensusNode[];
  /** Every effect of every member, in order. */
  readonly effects: { member: number; effect: Effect }[] = [];
  readonly queue: Sent[] = [];
  /** Members whose outgoing and incoming messages are dropped. */
  readonly offline = new Set<number>();
  /** Drop a message instead of delivering it when this says false (asked once, then for each recipient). */
  filter: (m: Sent, recipient?: number) => boolean = () => true;
  now = GENESIS;
  private seq: number[];

  constructor(opts: ClusterOptions) {
    const name = opts.name ?? 'test';
    const keys: Signer[] = [];
    for (let i = 0; i < opts.n; i++) keys.push(signerFrom(`${name}:member:${i}`));
    this.manifestBytes = createManifest(
      { cluster: 'feeder-7', rule: opts.rule ?? 'bft', voteMode: opts.voteMode ?? 'broadcast', members: keys.map((k, i) => ({ publicKey: k.publicKey, role: i < (opts.sensors ?? 0) ? 'sensor' : 'full' })), params: { ...PARAMS, ...(opts.params ?? {}) }, genesisMs: GENESIS },
      signerFrom(`${name}:operator`),
    );
    const v = verifyManifest(this.manifestBytes, verifier, { hash: nodeSha256 });
    if (!v.ok) throw new Error(v.reason);
    this.manifest = v.manifest;
    this.digest = v.digest;
    // Signers in manifest (address) order.
    this.signers = this.manifest.members.map((m) => keys.find((k) => Buffer.from(k.publicKey).equals(Buffer.from(m.publicKey)))!);
    const extra = opts.node ? opts.node(this.manifest) : undefined;
    this.nodes = this.signers.map((s) => this.makeNode(s, extra));
    this.seq = this.signers.map((_, i) => 100 * (i + 1));
  }

  makeNode(signer: Signer, extra?: Partial<NodeConfig>): ConsensusNode {
    return new ConsensusNode({ manifest: this.manifest, manifestDigest: this.digest, signer, verifier, hash: nodeSha256, ...(extra ?? {}) });
  }

  address(i: number): Uint8Array {
    return this.manifest.members[i]!.address;
  }

  indexOf(address: Uint8Array): number {
    return this.manifest.members.findIndex((m) => Buffer.from(m.address).equals(Buffer.from(address)));
  }

  /** A plausible reading of member i at time ts (defaults: next sequence number, 230.0 V). */
  reading(i: number, ts: number, over?: Partial<Reading>): Reading {
    this.seq[i]!++;
    return {
      v: 1,
      cluster: 'feeder-7',
      meter: this.address(i),
      seq: this.seq[i]!,
      ts,
      clock: 0,
      channels: [
        { id: '1-0:32.7.0', unit: 'V', scale: -1, value: 2300 + i },
        { id: '1-0:16.7.0', unit: 'W', scale: 0, value: 1000 + 10 * i },
        { id: '1-0:1.8.0', unit: 'Wh', scale: 0, value: 5000000 + this.seq[i]! },
      ],
      quality: 0,
      ...(over ?? {}),
    };
  }

  record(member: number, effects: Effect[]): Effect[] {
    hasher.add(member, effects);
    for (const e of effects) {
      this.effects.push({ member, effect: e });
      if (e.type === 'publish' && !this.offline.has(member)) {
        this.queue.push(e.to ? { from: member, topic: e.topic, bytes: e.bytes, to: this.indexOf(e.to) } : { from: member, topic: e.topic, bytes: e.bytes });
      }
    }
    return effects;
  }

  submit(i: number, r: Reading): Effect[] {
    return this.record(i, effectsOf(this.nodes[i]!.step({ type: 'reading', now: this.now, reading: r })));
  }

  /** Delivers queued messages (and what they cause) until the queue is empty. */
  deliverAll(limit = 100000): void {
    let count = 0;
    while (this.queue.length > 0 && count++ < limit) {
      const m = this.queue.shift()!;
      if (!this.filter(m)) continue;
      for (let j = 0; j < this.nodes.length; j++) {
        if (j === m.from || this.offline.has(j)) continue;
        if (m.to !== undefined && m.to !== j) continue;
        if (!this.filter(m, j)) continue;
        this.record(j, effectsOf(this.nodes[j]!.step({ type: 'message', now: this.now, topic: m.topic, bytes: m.bytes })));
      }
    }
  }

  /** Moves time to `t` in steps of `stepMs`, ticking every online member and delivering after each step. */
  runUntil(t: number, stepMs = 20): void {
    while (this.now < t) {
      this.now = Math.min(t, this.now + stepMs);
      for (let i = 0; i < this.nodes.length; i++) if (!this.offline.has(i)) this.record(i, effectsOf(this.nodes[i]!.step({ type: 'tick', now: this.now })));
      this.deliverAll();
    }
  }

  /** Every member submits a reading at `offset` ms into round r; then messages are delivered. */
  round(r: number, offset = 100, over?: (i: number) => Partial<Reading> | undefined): void {
    this.runUntil(GENESIS + r * PARAMS.roundMs + offset);
    for (let i = 0; i < this.nodes.length; i++) if (!this.offline.has(i)) this.submit(i, this.reading(i, this.now, over ? over(i) : undefined));
    this.deliverAll();
  }

  of<T extends Effect['type']>(type: T, member?: number): Extract<Effect, { type: T }>[] {
    return this.effects.filter((x) => x.effect.type === type && (member === undefined || x.member === member)).map((x) => x.effect) as Extract<Effect, { type: T }>[];
  }
}

export function contents(c: Cluster, block: Uint8Array): string[] {
  const s = decodeStoredBlock(block);
  if (!s.ok) throw new Error(s.reason);
  const b = decodeBody(s.block.body);
  if (!b.ok) throw new Error(b.reason);
  return b.body.submissions.map((bytes) => {
    const o = openSubmission(c.manifest, bytes, nodeSha256);
    if (!o.ok) throw new Error(o.detail);
    return `${o.submission.index}@${o.submission.round}`;
  });
}
