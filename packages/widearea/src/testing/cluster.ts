// Test support: a wide-area chain of substations in one process, delivered in order, for tests and tools that need
// a real one (the consensus engine, the anchor judge, cluster gates). Deterministic for its inputs.
import { createManifest, verifyManifest, type Manifest, type Signer, type Verifier } from '@meterchain/core';
import { effectsOf, ConsensusNode, roundStart, type Batch, type Effect, type Topic } from '@meterchain/consensus';
import { nodeSha256 } from '@meterchain/crypto';
import { signerFrom } from '@meterchain/crypto/sim';
import type { ClusterGate } from '../gate.ts';
import type { AnchoredBlock, WideAreaLedger } from '../ledger.ts';
import type { TrustedRegion } from '../registry.ts';
import { Substation } from '../substation.ts';

export interface RegionInput {
  /** The region's signed manifest and its committed stored blocks from height 0. */
  manifest: Uint8Array;
  blocks: Uint8Array[];
}

export interface WideAreaRunOptions {
  regions: RegionInput[];
  verifier: Verifier;
  /** Substations (default 4); every one but the last is a gate for every region unless `gates` says otherwise. */
  substations?: number;
  /** Regions (by index in `regions`) each substation carries. */
  gates?: number[][];
  /** Rounds with submissions (default 10); the run goes on 4 more for the last block to commit. */
  rounds?: number;
  /** A batch substation `member` submits in `round` besides its gate's (the test's hand). */
  extra?: (round: number, member: number, manifest: Manifest) => Batch | undefined;
  seed?: string;
}

export interface WideAreaRun {
  manifest: Manifest;
  manifestBytes: Uint8Array;
  digest: Uint8Array;
  /** Substation 0's committed blocks. */
  blocks: Uint8Array[];
  /** What every substation's ledger read, by substation. */
  anchored: AnchoredBlock[][];
  ledgers: WideAreaLedger[];
  gates: ClusterGate[];
  /** Submissions rejected, as seen by substation 0, and the submissions in its committed blocks. */
  rejected: { round: number; member: number }[];
  chained: { round: number; member: number }[];
  refusedOwn: number;
}

export function trustedOf(regions: RegionInput[], verifier: Verifier): TrustedRegion[] {
  return regions.map((r) => {
    const v = verifyManifest(r.manifest, verifier, { hash: nodeSha256 });
    if (!v.ok) throw new Error(v.reason);
    return { region: v.manifest.cluster, operator: v.manifest.operator };
  });
}

export function runWideArea(o: WideAreaRunOptions): WideAreaRun {
  const n = o.substations ?? 4;
  const seed = o.seed ?? 'substation';
  const hash = nodeSha256;
  const verifier = o.verifier;
  const signers: Signer[] = [];
  for (let i = 0; i < n; i++) signers.push(signerFrom(`${seed}:${i}`));
  const genesisMs = 1_800_000_000_000;
  const manifestBytes = createManifest(
    { cluster: 'grid-wide', rule: 'bft', members: signers.map((s, i) => ({ publicKey: s.publicKey, name: `substation-${i}` })), params: { roundMs: 1000, blockRounds: 2, skewMs: 300, timeoutMs: 400 }, genesisMs },
    signerFrom(`${seed}:operator`),
  );
  const v = verifyManifest(manifestBytes, verifier, { hash });
  if (!v.ok) throw new Error(v.reason);
  const manifest = v.manifest;
  const trusted = trustedOf(o.regions, verifier);
  const names = trusted.map((t) => t.region);
  const bySigner = manifest.members.map((m) => signers.find((s) => Buffer.from(s.publicKey).equals(Buffer.from(m.publicKey)))!);
  // The substations' own parts (judge, ledger, gate) as the node runtime runs them; the gates here are offered the
  // regions' stored blocks directly instead of the anchors a regional gate publishes.
  const subs = manifest.members.map((m) => new Substation({ manifests: [{ manifest, digest: v.digest }], member: m.address, regions: trusted.map((t) => ({ trusted: t })), verifier, hash }));
  const nodes = bySigner.map((signer, i) => new ConsensusNode({ manifest, manifestDigest: v.digest, signer, verifier, hash, judges: subs[i]!.judges }));
  const ledgers = subs.map((x) => x.ledger);
  const gates = subs.map((x) => x.gate);
  const anchored: AnchoredBlock[][] = nodes.map(() => []);
  const carry = o.gates ?? nodes.map((_, i) => (i < n - 1 ? o.regions.map((_r, k) => k) : []));
  for (let i = 0; i < n; i++) {
    for (const k of carry[i] ?? []) {
      const r = o.regions[k]!;
      gates[i]!.offerManifest(names[k]!, 0, r.manifest);
      r.blocks.forEach((b, h) => gates[i]!.offerBlock(names[k]!, h, b));
    }
  }
  const out: WideAreaRun = { manifest, manifestBytes, digest: v.digest, blocks: [], anchored, ledgers, gates, rejected: [], chained: [], refusedOwn: 0 };
  const indexOf = (address: Uint8Array) => manifest.members.findIndex((m) => Buffer.from(m.address).equals(Buffer.from(address)));
  const queue: { from: number; topic: Topic; bytes: Uint8Array }[] = [];
  const take = (i: number, effects: Effect[]) => {
    for (const e of effects) {
      if (e.type === 'publish') queue.push({ from: i, topic: e.topic, bytes: e.bytes });
      else if (e.type === 'committed') {
        const c = subs[i]!.committed(e.block);
        if (!c.ok) throw new Error(`substation ${i}: committed block does not verify: ${c.reason}`);
        if (i === 0) {
          out.blocks.push(e.block);
          for (const x of c.block.submissions) out.chained.push({ round: x.round, member: x.index });
        }
        anchored[i]!.push(...c.step.anchored);
      } else if (e.type === 'rejected' && i === 0) out.rejected.push({ round: e.round, member: indexOf(e.member) });
      else if (e.type === 'refused') out.refusedOwn++;
    }
  };
  let now = genesisMs;
  const deliver = () => {
    while (queue.length > 0) {
      const m = queue.shift()!;
      for (let j = 0; j < n; j++) if (j !== m.from) take(j, effectsOf(nodes[j]!.step({ type: 'message', now, topic: m.topic, bytes: m.bytes })));
    }
  };
  const until = (t: number) => {
    while (now < t) {
      now = Math.min(t, now + 20);
      for (let i = 0; i < n; i++) take(i, effectsOf(nodes[i]!.step({ type: 'tick', now })));
      deliver();
    }
  };
  const rounds = o.rounds ?? 10;
  for (let r = 0; r < rounds; r++) {
    until(roundStart(manifest, r + 1) + 80);
    for (let i = 0; i < n; i++) {
      const b = gates[i]!.nextBatch(r) ?? (o.extra ? o.extra(r, i, manifest) : undefined);
      if (b) take(i, effectsOf(nodes[i]!.step({ type: 'batch', now, batch: b })));
    }
    deliver();
  }
  until(roundStart(manifest, rounds + 4));
  return out;
}
