// The members of a simulated cluster (simulator.ts runs them): their keys, which depend on the member's place and not
// on the seed, the signed manifest that lists them, and each member's node, store, clock skew, meter and behaviours.
import { createManifest, toHex, verifyManifest, type Manifest, type ManifestParams, type Reading, type Signer, type VoteMode, type VotingRule } from '@meterchain/core';
import { ConsensusNode, type NodeConfig } from '../index.ts';
import type { Behaviour, SimCrypto, SimOptions } from './options.ts';
import { newMeterModel, type MeterModel } from './readings.ts';
import type { Rng } from './rng.ts';
import { SimState } from './state.ts';

export interface Member {
  index: number;
  signer: Signer;
  seedText: string;
  node: ConsensusNode;
  /** What its node is made with (a restart adds what it persisted). */
  config: NodeConfig;
  /** What it persisted and the blocks it stored. */
  state: SimState;
  /** Down (between a restart's `down` and `up`): it takes no events. */
  down: boolean;
  verifier: { count: number };
  skew: number;
  model: MeterModel;
  rng: Rng;
  byzantine: Set<Behaviour>;
  nextTick: number;
  /** Submissions this member has seen, by round then member index (byzantine members use them). */
  seen: Map<number, Map<number, Uint8Array[]>>;
  committed: Map<number, { hash: string; block: Uint8Array }>;
  previousEnvelopes: Uint8Array[];
  previousReadings: Reading[];
  /** An equivocating member's second submission, by round. */
  twins: Map<number, Uint8Array>;
}

/** The cluster a run simulates: its signed manifest and its members, in manifest order. */
export interface Cluster {
  manifestBytes: Uint8Array;
  manifest: Manifest;
  /** Digest of the signed manifest. */
  digest: Uint8Array;
  /** The run's shared verifier (each member counts its own calls through it). */
  memo: ReturnType<SimCrypto['sharedVerifier']>;
  members: Member[];
}

/** Makes the cluster's keys, manifest and members; draws from `rng` who is byzantine, then each member's own stream. */
export function makeCluster(
  opts: SimOptions,
  crypto: SimCrypto,
  setup: { rule: VotingRule; voteMode: VoteMode; params: ManifestParams; genesisMs: number },
  behaviours: Behaviour[],
  rng: Rng,
): Cluster {
  const { signerFrom, sha256 } = crypto;
  const { rule, voteMode, params } = setup;
  const n = opts.meters;
  const k = opts.byzantine ?? 0;
  // Keys and the signed manifest.
  const signers: { signer: Signer; seedText: string }[] = [];
  for (let i = 0; i < n; i++) {
    // Keys depend on the member, not the seed: the seed varies the network, the data and who is byzantine.
    const seedText = `sim:member:${i}`;
    signers.push({ signer: signerFrom(seedText), seedText });
  }
  const operator = signerFrom('sim:operator');
  const manifestBytes = createManifest(
    { cluster: 'sim', rule, voteMode, members: signers.map((s) => ({ publicKey: s.signer.publicKey })), params, genesisMs: setup.genesisMs },
    operator,
  );
  const memo = crypto.sharedVerifier();
  const mv = verifyManifest(manifestBytes, memo, { hash: sha256 });
  if (!mv.ok) throw new Error(`sim: manifest does not verify: ${mv.reason}`);
  const manifest: Manifest = mv.manifest;

  // Members in manifest order (sorted by address).
  const byKey = new Map<string, { signer: Signer; seedText: string }>();
  for (const s of signers) byKey.set(toHex(s.signer.publicKey), s);
  /** Members that restart in this run: only their persisted records are kept (state.ts). */
  const restarting = new Set((opts.restarts ?? []).map((x) => x.member));
  const byzSet = new Set<number>(opts.byzantineIndexes ?? rng.fork(2).shuffle([...Array(n).keys()]).slice(0, k));
  const members: Member[] = manifest.members.map((m, index) => {
    const s = byKey.get(toHex(m.publicKey))!;
    const verifier = memo.counting();
    const mrng = rng.fork(100 + index);
    const config: NodeConfig = { manifest, manifestDigest: mv.digest, signer: s.signer, verifier, hash: sha256, keepBlocks: opts.keepBlocks ?? 1 };
    return {
      index,
      signer: s.signer,
      seedText: s.seedText,
      node: new ConsensusNode(config),
      config,
      state: new SimState(restarting.has(index)),
      down: false,
      verifier,
      skew: mrng.int(-20, 20),
      model: newMeterModel(mrng),
      rng: mrng,
      byzantine: new Set(byzSet.has(index) ? behaviours : []),
      nextTick: Number.POSITIVE_INFINITY,
      seen: new Map(),
      committed: new Map(),
      previousEnvelopes: [],
      previousReadings: [],
      twins: new Map(),
    };
  });
  return { manifestBytes, manifest, digest: mv.digest, memo, members };
}
