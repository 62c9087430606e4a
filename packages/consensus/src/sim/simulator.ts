// The deterministic cluster simulator: N members each running the consensus state machine with real Ed25519, over a
// seeded network (delay, loss, reordering, partitions that heal), with byzantine members. Same seed, same run. Members
// run the production paths around the node too: what a node persists is kept (state.ts) and a member that restarts is
// restored from it; a node keeps one committed block in memory, as the Linux runtime runs it, and the sync requests
// for older ones are answered from the member's store.
import {
  Domain,
  createManifest,
  encodeReading,
  sealEnvelope,
  decode,
  encode,
  signReading,
  toHex,
  verifyManifest,
  type CborValue,
  type Hash,
  type Manifest,
  type ManifestParams,
  type Reading,
  type Signer,
  type Verifier,
  type VotingRule,
  type VoteMode,
} from '@meterchain/core';
import {
  ConsensusNode,
  Phase,
  Verdict,
  decodeBody,
  decodeHeader,
  decodeStoredBlock,
  decodeVoteMessage,
  encodeHeader,
  openEvidence,
  openSubmission,
  roundStart,
  setJudgment,
  signVote,
  threshold,
  verifyChain,
  effectsOf,
  type Effect,
  type NodeConfig,
  type Topic,
} from '../index.ts';
import { blockVoteBodyFor } from './forge.ts';
import { EventQueue } from './heap.ts';
import { forgeReading, newMeterModel, nextReading, type MeterModel } from './readings.ts';
import { Rng } from './rng.ts';
import { SimState } from './state.ts';

export const BEHAVIOURS = ['forge', 'bad-signature', 'replay', 'equivocate', 'vote-invalid', 'silent', 'withhold', 'fork'] as const;
export type Behaviour = (typeof BEHAVIOURS)[number];

/** Members in different groups cannot reach each other from `from` to `to` (ms after genesis). */
export interface Partition {
  from: number;
  to: number;
  groups: number[][];
}

export interface NetworkOptions {
  minDelayMs: number;
  maxDelayMs: number;
  /** Probability that one delivery is lost. */
  loss: number;
  partitions: Partition[];
}

/** A member down from `at` (ms after genesis) for `downMs`, then restarted from what it persisted. */
export interface Restart {
  member: number;
  at: number;
  downMs: number;
}

export interface SimOptions {
  meters: number;
  rounds: number;
  rule?: VotingRule;
  voteMode?: VoteMode;
  byzantine?: number;
  behaviours?: Behaviour[];
  seed?: number;
  network?: Partial<NetworkOptions>;
  params?: Partial<ManifestParams>;
  /** Which members (by index in the manifest) are byzantine; default: `byzantine` of them chosen by the seed. */
  byzantineIndexes?: number[];
  /** Stop after this much simulated time past the last round even if blocks are still missing (default 30 timeouts). */
  drainMs?: number;
  /** Which committed chains to verify at the end: every honest member's (default), or only the longest. */
  verifyChains?: 'all' | 'longest';
  /** Committed blocks a node keeps in memory to answer sync requests (default 1, as the Linux runtime runs it); older
   * ones are answered from the member's store. */
  keepBlocks?: number;
  /** Honest members that go down and restart (a byzantine member named here does not). */
  restarts?: Restart[];
  /** Called with the effects of every step of every member, in simulation order (the tests hash this stream). */
  trace?: (member: number, effects: readonly Effect[]) => void;
}

export interface SimReport {
  meters: number;
  rounds: number;
  rule: VotingRule;
  voteMode: VoteMode;
  seed: number;
  threshold: number;
  byzantine: { index: number; address: string; behaviours: Behaviour[] }[];
  /** Outcomes in the committed chain (the longest honest one). */
  accepted: number;
  rejected: number;
  notEnoughVotes: number;
  /** Distinct evidence (kind, member, slot) known to honest members, and who it accuses. */
  evidence: number;
  accused: string[];
  blocksCommitted: number;
  blocksExpected: number;
  invalidSubmissionsAccepted: number;
  /** Heights where honest members committed different blocks. */
  conflictingCommits: number;
  /** (member, round) slots for which honest members saw two different digests accepted. */
  conflictingAcceptances: number;
  honestReadings: number;
  honestAccepted: number;
  honestAcceptedRatio: number;
  /** Every honest member's committed chain verifies from the manifest alone. */
  chainsVerify: boolean;
  chainError?: string;
  verificationsPerMemberPerRound: number;
  messages: { published: number; delivered: number; lost: number };
  simulatedMs: number;
}

/**
 * The crypto a simulated cluster runs on, supplied by the host (on Node: @meterchain/crypto's node SHA-256 and
 * @meterchain/crypto/sim's keys from seed texts and memoising verifier), so this package stays free of Node crypto.
 */
export interface SimCrypto {
  /** The signer of a seed text: the same text gives the same key, so a seed replays a cluster. */
  signerFrom(seedText: string): Signer;
  sha256: Hash;
  /** A verifier for one run, shared by its members: `counting()` gives each member a view that counts its calls. */
  sharedVerifier(): Verifier & { counting(): Verifier & { count: number } };
}

export interface SimResult {
  report: SimReport;
  manifest: Uint8Array;
  /** The longest honest chain, stored blocks in height order. */
  blocks: Uint8Array[];
  /** Member keys (seed text) by manifest index, so proofs and replays can be made from a run. */
  keys: { address: string; seedText: string }[];
}

type SimEvent =
  | { at: number; seq: number; kind: 'tick'; node: number }
  | { at: number; seq: number; kind: 'deliver'; node: number; topic: Topic; bytes: Uint8Array }
  | { at: number; seq: number; kind: 'reading'; node: number; round: number }
  | { at: number; seq: number; kind: 'down' | 'up'; node: number };

const GENESIS = 1767225600000; // 2026-01-01T00:00:00Z
const DEFAULT_PARAMS: ManifestParams = { roundMs: 1000, blockRounds: 5, skewMs: 250, timeoutMs: 1000 };

interface Member {
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

/** Runs one simulation to the end and reports. Deterministic for a given set of options. */
export function simulate(opts: SimOptions, crypto: SimCrypto): SimResult {
  const { signerFrom, sha256 } = crypto;
  const seed = opts.seed ?? 1;
  const n = opts.meters;
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`sim: meters must be a positive whole number, got ${n}`);
  if (!Number.isInteger(opts.rounds) || opts.rounds < 1) throw new RangeError(`sim: rounds must be a positive whole number, got ${opts.rounds}`);
  const rule = opts.rule ?? 'majority';
  const voteMode = opts.voteMode ?? 'broadcast';
  const k = opts.byzantine ?? 0;
  if (k < 0 || k > n) throw new RangeError(`sim: byzantine must be between 0 and ${n}, got ${k}`);
  const behaviours = opts.behaviours ?? [];
  for (const b of behaviours) if (!BEHAVIOURS.includes(b)) throw new RangeError(`sim: unknown behaviour '${b}' (known: ${BEHAVIOURS.join(', ')})`);
  if (k > 0 && behaviours.length === 0) throw new RangeError('sim: byzantine members need at least one behaviour');
  const params: ManifestParams = { ...DEFAULT_PARAMS, ...(opts.params ?? {}) };
  const net: NetworkOptions = { minDelayMs: 5, maxDelayMs: 40, loss: 0, partitions: [], ...(opts.network ?? {}) };
  const rng = new Rng(seed);
  const netRng = rng.fork(1);

  // Keys and the signed manifest.
  const signers: { signer: Signer; seedText: string }[] = [];
  for (let i = 0; i < n; i++) {
    // Keys depend on the member, not the seed: the seed varies the network, the data and who is byzantine.
    const seedText = `sim:member:${i}`;
    signers.push({ signer: signerFrom(seedText), seedText });
  }
  const operator = signerFrom('sim:operator');
  const manifestBytes = createManifest(
    { cluster: 'sim', rule, voteMode, members: signers.map((s) => ({ publicKey: s.signer.publicKey })), params, genesisMs: GENESIS },
    operator,
  );
  const memo = crypto.sharedVerifier();
  const mv = verifyManifest(manifestBytes, memo, { hash: sha256 });
  if (!mv.ok) throw new Error(`sim: manifest does not verify: ${mv.reason}`);
  const manifest: Manifest = mv.manifest;
  const t = threshold(rule, n);

  // Members in manifest order (sorted by address).
  const byKey = new Map<string, { signer: Signer; seedText: string }>();
  for (const s of signers) byKey.set(toHex(s.signer.publicKey), s);
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
      state: new SimState(),
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
  const honest = members.filter((m) => m.byzantine.size === 0);
  const byzantine = members.filter((m) => m.byzantine.size > 0);
  const groupA = new Set(honest.slice(0, Math.ceil(honest.length / 2)).map((m) => m.index));

  // Oracle: digests of submissions the simulator knows are invalid, and of honest readings.
  const invalid = new Set<string>();
  const honestDigests = new Set<string>();
  const acceptedBy = new Map<string, Set<string>>();
  const evidenceKeys = new Map<string, string>();
  const stats = { published: 0, delivered: 0, lost: 0 };
  /** Readings honest members took (none while down). */
  let honestReadings = 0;

  const q = new EventQueue<SimEvent>();
  const B = params.blockRounds;
  const heights = Math.ceil(opts.rounds / B);
  const lastRound = heights * B - 1;
  const endOfRounds = roundStart(manifest, lastRound + 1);
  const drain = opts.drainMs ?? 30 * params.timeoutMs;
  const horizon = endOfRounds + params.skewMs + params.timeoutMs + drain;

  for (const m of members) {
    for (let r = 0; r < opts.rounds; r++) {
      q.push({ kind: 'reading', node: m.index, round: r, at: roundStart(manifest, r) + m.rng.int(50, Math.floor(params.roundMs / 4)) });
    }
    schedule(m, GENESIS);
  }
  for (const x of opts.restarts ?? []) {
    const m = members[x.member];
    if (!m || m.byzantine.size > 0) continue;
    q.push({ kind: 'down', node: m.index, at: GENESIS + x.at });
    q.push({ kind: 'up', node: m.index, at: GENESIS + x.at + x.downMs });
  }

  function schedule(m: Member, at: number): void {
    if (at >= m.nextTick) return;
    m.nextTick = at;
    q.push({ kind: 'tick', node: m.index, at });
  }

  function partitioned(a: number, b: number, at: number): boolean {
    for (const p of net.partitions) {
      if (at < GENESIS + p.from || at >= GENESIS + p.to) continue;
      const ga = p.groups.findIndex((g) => g.includes(a));
      const gb = p.groups.findIndex((g) => g.includes(b));
      if (ga !== gb) return true;
    }
    return false;
  }

  function send(from: Member, topic: Topic, bytes: Uint8Array, to: number[] | undefined, now: number): void {
    stats.published++;
    const targets = to ?? members.filter((x) => x.index !== from.index).map((x) => x.index);
    for (const d of targets) {
      if (d === from.index) continue;
      if (partitioned(from.index, d, now) || netRng.chance(net.loss)) {
        stats.lost++;
        continue;
      }
      const delay = net.minDelayMs + netRng.next() * (net.maxDelayMs - net.minDelayMs);
      q.push({ kind: 'deliver', node: d, topic, bytes, at: now + Math.round(delay) });
    }
  }

  function indexOfAddress(address: Uint8Array): number {
    const hex = toHex(address);
    return manifest.members.findIndex((x) => toHex(x.address) === hex);
  }

  function noteSeen(m: Member, bytes: Uint8Array): void {
    const o = openSubmission(manifest, bytes, sha256);
    if (!o.ok) return;
    let byRound = m.seen.get(o.submission.round);
    if (!byRound) m.seen.set(o.submission.round, (byRound = new Map()));
    const list = byRound.get(o.submission.index) ?? [];
    list.push(bytes);
    byRound.set(o.submission.index, list);
  }

  // ---- byzantine rewrites of outgoing messages ----

  function byzantineVote(m: Member, bytes: Uint8Array, now: number, to: number[] | undefined): void {
    const d = decodeVoteMessage(bytes);
    if (!d.ok) return;
    const round = d.message.vote.round;
    let records = d.message.judgments;
    if (m.byzantine.has('vote-invalid')) {
      records = records.slice();
      const seen = m.seen.get(round) ?? new Map<number, Uint8Array[]>();
      for (const [i, list] of seen) {
        const pick = list.find((b) => invalid.has(toHex(sha256(concat0(b))))) ?? list[0]!;
        setJudgment(records, i, Verdict.ACCEPT, 0, sha256(concat0(pick)));
      }
      const v = signVote(manifest, round, m.signer, manifest.members[m.index]!.address, records, sha256);
      bytes = v.bytes;
    }
    if (m.byzantine.has('equivocate')) {
      // The second vote rejects what the first accepts, and accepts the member's own twin submission: each half of
      // the cluster sees one vote, and under majority each half may accept a different twin.
      const other = records.slice();
      for (let i = 0; i < n; i++) if (other[i * 34] === Verdict.ACCEPT) other[i * 34] = Verdict.REJECT;
      const twin = m.twins.get(round);
      if (twin) {
        setJudgment(other, m.index, Verdict.ACCEPT, 0, sha256(concat0(twin)));
        setJudgment(records, m.index, Verdict.ACCEPT, 0, sha256(concat0(m.previousEnvelopes[m.previousEnvelopes.length - 1]!)));
        bytes = signVote(manifest, round, m.signer, manifest.members[m.index]!.address, records, sha256).bytes;
      }
      if (other.every((x, i) => x === records[i])) other[m.index * 34] = Verdict.REJECT;
      const v2 = signVote(manifest, round, m.signer, manifest.members[m.index]!.address, fixAbsent(other), sha256);
      if (to) {
        send(m, 'vote', bytes, to, now);
        send(m, 'vote', v2.bytes, to, now);
      } else {
        send(m, 'vote', bytes, splitTargets(m, true), now);
        send(m, 'vote', v2.bytes, splitTargets(m, false), now);
      }
      return;
    }
    send(m, 'vote', bytes, to, now);
  }

  function splitTargets(m: Member, a: boolean): number[] {
    return members.filter((x) => x.index !== m.index && (x.byzantine.size > 0 || groupA.has(x.index) === a)).map((x) => x.index);
  }

  function forkProposal(m: Member, bytes: Uint8Array, now: number): void {
    const d = decode(bytes, undefined, { maxBytes: 1 << 26 });
    if (!d.ok) return;
    const p = d.value as { header: Uint8Array; body?: Uint8Array; compact?: Uint8Array; view: number; vote: Uint8Array; timeouts: unknown; lock: unknown };
    const h = decodeHeader(p.header);
    if (!h.ok) return;
    // The second block holds the same readings (members refuse one that leaves out readings they hold certificates
    // for) under another header: it names another full member as its proposer, which no check ties to the view.
    const other = manifest.members.find((x, i) => i !== m.index && x.role === 'full');
    if (!other) return;
    const headerB = encodeHeader({ ...h.header, proposer: other.address });
    const hashB = sha256(headerB);
    const voteB = blockVoteBodyFor(manifest, m.signer, h.header.height, p.view, Phase.PREPARE, hashB);
    const rest: { [key: string]: CborValue } = p.body ? { body: p.body } : { compact: p.compact! };
    const proposalB = encode({ header: headerB, ...rest, view: p.view, vote: voteB, timeouts: p.timeouts as never, lock: p.lock as never });
    forkSide.set(toHex(sha256(p.header)), true);
    forkSide.set(toHex(hashB), false);
    send(m, 'proposal', bytes, splitTargets(m, true), now);
    send(m, 'proposal', proposalB, splitTargets(m, false), now);
    forkCosign(m, proposalB, now);
  }

  /** A forking member co-signs every block it sees, prepare and commit, at every height and view. */
  function forkCosign(m: Member, proposalBytes: Uint8Array, now: number): void {
    const d = decode(proposalBytes, undefined, { maxBytes: 1 << 26 });
    if (!d.ok) return;
    const p = d.value as { header: Uint8Array; view: number };
    const h = decodeHeader(p.header);
    if (!h.ok) return;
    const hash = sha256(p.header);
    const key = `${h.header.height}:${p.view}:${toHex(hash)}`;
    if (forkSigned.has(`${m.index}:${key}`)) return;
    forkSigned.add(`${m.index}:${key}`);
    // Votes for each side of a fork go to that side only, so that neither side sees the other's double signature.
    const side = forkSide.get(toHex(hash));
    const targets = side === undefined ? undefined : splitTargets(m, side);
    for (const phase of [Phase.PREPARE, Phase.COMMIT]) {
      send(m, 'block-vote', blockVoteBodyFor(manifest, m.signer, h.header.height, p.view, phase, hash), targets, now);
    }
  }
  const forkSigned = new Set<string>();
  const forkSide = new Map<string, boolean>();

  function outgoing(m: Member, e: Extract<Effect, { type: 'publish' }>, now: number): void {
    const to = e.to ? [indexOfAddress(e.to)] : undefined;
    if (m.byzantine.has('silent')) return;
    if (m.byzantine.size === 0) return send(m, e.topic, e.bytes, to, now);
    if (e.topic === 'submission') return; // byzantine members publish their own submissions (see reading events)
    if (e.topic === 'vote' && (m.byzantine.has('vote-invalid') || m.byzantine.has('equivocate'))) return byzantineVote(m, e.bytes, now, to);
    if ((e.topic === 'proposal' || e.topic === 'block') && m.byzantine.has('withhold')) return;
    if (e.topic === 'block-vote' && m.byzantine.has('fork')) return; // a forking member signs block votes itself (forkCosign)
    if (e.topic === 'proposal' && m.byzantine.has('fork')) {
      forkProposal(m, e.bytes, now);
      return forkCosign(m, e.bytes, now);
    }
    send(m, e.topic, e.bytes, to, now);
  }

  function handle(m: Member, effects: Effect[], now: number): void {
    opts.trace?.(m.index, effects);
    for (const e of effects) {
      if (e.type === 'publish') outgoing(m, e, now);
      else if (e.type === 'persist') m.state.persist(e.record);
      else if (e.type === 'sync-request') {
        // A block its node no longer holds in memory: answered from the member's store, as the Linux runtime does.
        const block = m.state.blocks.get(e.height);
        if (block) outgoing(m, { type: 'publish', topic: 'block', bytes: block, to: e.from }, now);
      } else if (e.type === 'committed') {
        m.state.committed(e.height, e.last, e.block);
        if (m.byzantine.size === 0) m.committed.set(e.height, { hash: toHex(e.hash), block: e.block });
      } else if (m.byzantine.size > 0) continue;
      else if (e.type === 'accepted') {
        const key = `${toHex(e.member)}:${e.round}`;
        const set = acceptedBy.get(key) ?? new Set<string>();
        set.add(toHex(e.digest));
        acceptedBy.set(key, set);
      } else if (e.type === 'evidence') {
        const o = openEvidence(manifest, e.evidence, sha256);
        if (o.ok) evidenceKeys.set(o.claim.key, toHex(e.accused));
      }
    }
  }

  function step(m: Member, ev: Parameters<ConsensusNode['step']>[0], now: number): void {
    handle(m, effectsOf(m.node.step(ev)), now);
    schedule(m, Math.max(m.node.wakeAt() - m.skew, now + 1));
  }

  function reading(m: Member, round: number, now: number): void {
    const local = now + m.skew;
    const address = manifest.members[m.index]!.address;
    const honestReading = nextReading(m.model, m.rng, manifest.cluster, address, local, params.roundMs);
    if (m.byzantine.size === 0) {
      honestReadings++;
      const effects = effectsOf(m.node.step({ type: 'reading', now: local, reading: honestReading }));
      for (const e of effects) if (e.type === 'publish' && e.topic === 'submission') honestDigests.add(toHex(sha256(concat0(e.bytes))));
      handle(m, effects, now);
      schedule(m, Math.max(m.node.wakeAt() - m.skew, now + 1));
      return;
    }
    if (m.byzantine.has('silent')) return;
    let r = honestReading;
    let bogus = false;
    if (m.byzantine.has('forge') && round % 2 === 1) {
      r = forgeReading(honestReading, (round - 1) / 2);
      bogus = true;
    }
    if (m.byzantine.has('replay') && m.previousReadings.length >= 3 && round % 3 === 0) {
      // Replay: the old envelope as it was, and the old reading re-signed with a fresh timestamp.
      send(m, 'submission', m.previousEnvelopes[m.previousEnvelopes.length - 3]!, undefined, now);
      r = { ...m.previousReadings[m.previousReadings.length - 3]!, ts: local };
      bogus = true;
    }
    if (m.byzantine.has('bad-signature') && round % 2 === 0) {
      const env = signReading(r, m.signer);
      const bad = corrupt(env);
      invalid.add(toHex(sha256(concat0(bad))));
      send(m, 'submission', bad, undefined, now);
      // And one in an honest member's name.
      const victim = honest.length > 0 ? honest[round % honest.length]! : undefined;
      if (victim) {
        const fake = nextReading({ ...victim.model }, m.rng, manifest.cluster, manifest.members[victim.index]!.address, local, params.roundMs);
        const forged = corrupt(sealEnvelope(Domain.READING, encodeReading(fake), m.signer));
        invalid.add(toHex(sha256(concat0(forged))));
        send(m, 'submission', forged, undefined, now);
      }
      m.previousReadings.push(r);
      m.previousEnvelopes.push(env);
      return;
    }
    if (bogus) invalid.add(toHex(sha256(concat0(signReading(r, m.signer)))));
    const env = signReading(r, m.signer);
    m.previousReadings.push(r);
    m.previousEnvelopes.push(env);
    // Let the member's own state machine know its submission (it signs the same bytes: Ed25519 is deterministic).
    handle(m, effectsOf(m.node.step({ type: 'reading', now: local, reading: r })), now);
    noteSeen(m, env);
    if (m.byzantine.has('equivocate')) {
      const twin = { ...r, channels: r.channels.map((c, i) => (i === 3 ? { ...c, value: c.value + 1 } : c)) };
      const env2 = signReading(twin, m.signer);
      m.twins.set(round, env2);
      send(m, 'submission', env, splitTargets(m, true), now);
      send(m, 'submission', env2, splitTargets(m, false), now);
    } else {
      send(m, 'submission', env, undefined, now);
    }
  }

  // ---- main loop ----
  let now = GENESIS;
  let events = 0;
  const maxEvents = 50_000_000;
  while (q.size > 0 && events < maxEvents) {
    const ev = q.pop()!;
    if (ev.at > horizon) break;
    now = ev.at;
    events++;
    const m = members[ev.node]!;
    if (ev.kind === 'down') {
      m.down = true;
      m.nextTick = Number.POSITIVE_INFINITY;
    } else if (ev.kind === 'up') {
      // Restarted: a new node restored from what the member persisted and its last stored block.
      m.down = false;
      m.node = new ConsensusNode({ ...m.config, restore: m.state.restore() });
      schedule(m, now);
    } else if (m.down) {
      // Down: no tick, no reading taken, and what reaches it is lost.
      if (ev.kind === 'deliver') stats.lost++;
    } else if (ev.kind === 'tick') {
      if (ev.at !== m.nextTick) continue;
      m.nextTick = Number.POSITIVE_INFINITY;
      step(m, { type: 'tick', now: now + m.skew }, now);
    } else if (ev.kind === 'reading') {
      reading(m, ev.round, now);
    } else if (ev.kind === 'deliver') {
      stats.delivered++;
      if (ev.topic === 'submission' && m.byzantine.size > 0) noteSeen(m, ev.bytes);
      if (ev.topic === 'proposal' && m.byzantine.has('fork')) forkCosign(m, ev.bytes, now);
      step(m, { type: 'message', now: now + m.skew, topic: ev.topic, bytes: ev.bytes }, now);
    }
    if (now > endOfRounds && honest.every((h) => h.committed.size >= heights)) break;
  }

  return finish();

  function finish(): SimResult {
    // Conflicts between honest members' commits.
    const byHeight = new Map<number, Set<string>>();
    for (const h of honest) for (const [height, c] of h.committed) {
      const s = byHeight.get(height) ?? new Set<string>();
      s.add(c.hash);
      byHeight.set(height, s);
    }
    let conflictingCommits = 0;
    for (const s of byHeight.values()) if (s.size > 1) conflictingCommits++;
    let conflictingAcceptances = 0;
    for (const s of acceptedBy.values()) if (s.size > 1) conflictingAcceptances++;

    // The reference chain: the longest contiguous honest chain.
    let reference: Member | undefined;
    let best = -1;
    for (const h of honest) {
      let len = 0;
      while (h.committed.has(len)) len++;
      if (len > best) {
        best = len;
        reference = h;
      }
    }
    const blocks: Uint8Array[] = [];
    if (reference) for (let i = 0; i < best; i++) blocks.push(reference.committed.get(i)!.block);

    // Every honest chain verifies from the manifest alone (the shared memory makes this cheap).
    let chainsVerify = true;
    let chainError: string | undefined;
    for (const h of opts.verifyChains === 'longest' ? (reference ? [reference] : []) : honest) {
      const chain: Uint8Array[] = [];
      while (h.committed.has(chain.length)) chain.push(h.committed.get(chain.length)!.block);
      const v = verifyChain([{ manifest, digest: mv.ok ? mv.digest : new Uint8Array(32) }], chain, memo, sha256);
      if (!v.ok) {
        chainsVerify = false;
        chainError = `member ${h.index}, block ${v.index}: ${v.fault}: ${v.reason}`;
      }
    }

    let accepted = 0;
    let rejected = 0;
    let undecided = 0;
    let invalidAccepted = 0;
    let honestAccepted = 0;
    for (const bytes of blocks) {
      const s = decodeStoredBlock(bytes);
      if (!s.ok) continue;
      const h = decodeHeader(s.block.header);
      const b = decodeBody(s.block.body);
      if (!h.ok || !b.ok) continue;
      for (const r of h.header.rounds) {
        rejected += r.rejected;
        undecided += r.undecided;
      }
      for (const sub of b.body.submissions) {
        accepted++;
        const d = toHex(sha256(concat0(sub)));
        if (invalid.has(d)) invalidAccepted++;
        if (honestDigests.has(d)) honestAccepted++;
      }
    }
    const roundsRun = Math.max(1, Math.ceil((now - GENESIS) / params.roundMs));
    let verifications = 0;
    for (const h of honest) verifications += h.verifier.count;
    const accused = [...new Set(evidenceKeys.values())].sort().map((hex) => 'mc' + hex);
    const report: SimReport = {
      meters: n,
      rounds: opts.rounds,
      rule,
      voteMode,
      seed,
      threshold: t,
      byzantine: byzantine.map((b) => ({ index: b.index, address: 'mc' + toHex(manifest.members[b.index]!.address), behaviours: [...b.byzantine] })),
      accepted,
      rejected,
      notEnoughVotes: undecided,
      evidence: evidenceKeys.size,
      accused,
      blocksCommitted: blocks.length,
      blocksExpected: heights,
      invalidSubmissionsAccepted: invalidAccepted,
      conflictingCommits,
      conflictingAcceptances,
      honestReadings,
      honestAccepted,
      honestAcceptedRatio: honestReadings === 0 ? 1 : honestAccepted / honestReadings,
      chainsVerify,
      verificationsPerMemberPerRound: honest.length === 0 ? 0 : verifications / honest.length / roundsRun,
      messages: stats,
      simulatedMs: now - GENESIS,
    };
    if (chainError) report.chainError = chainError;
    return { report, manifest: manifestBytes, blocks, keys: members.map((m) => ({ address: 'mc' + toHex(manifest.members[m.index]!.address), seedText: m.seedText })) };
  }
}

/** 0x00 || bytes: the RFC 6962 leaf input, whose hash is a submission's digest. */
function concat0(bytes: Uint8Array): Uint8Array {
  const out = new Uint8Array(bytes.length + 1);
  out.set(bytes, 1);
  return out;
}

/** The same envelope with one signature bit flipped (the signature is the last 64 bytes of the encoding). */
function corrupt(envelope: Uint8Array): Uint8Array {
  const out = envelope.slice();
  out[out.length - 1]! ^= 0x01;
  return out;
}

/** Absent records must be all zero; a flipped verdict on an absent record is put back. */
function fixAbsent(records: Uint8Array): Uint8Array {
  for (let i = 0; i < records.length; i += 34) {
    let zero = true;
    for (let j = i + 2; j < i + 34; j++) if (records[j] !== 0) zero = false;
    if (zero) records[i] = 0;
  }
  return records;
}
