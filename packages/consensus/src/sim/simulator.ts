// The deterministic cluster simulator: N members each running the consensus state machine with real Ed25519, over a
// seeded network (delay, loss, reordering, partitions that heal), with byzantine members. Same seed, same run. Members
// run the production paths around the node too: a member that restarts (members.ts, state.ts) keeps what its node
// persists and is restored from it; a node keeps one committed block in memory, as the Linux runtime runs it, and the
// sync requests for older ones are answered from the member's store.
import { Domain, encodeReading, sealEnvelope, signReading, toHex, type ManifestParams } from '@meterchain/core';
import {
  ConsensusNode,
  openEvidence,
  openSubmission,
  roundStart,
  threshold,
  effectsOf,
  type Outcome,
  type Publish,
  type StepResult,
  type Topic,
} from '../index.ts';
import { EventQueue } from './heap.ts';
import { makeCluster, type Member } from './members.ts';
import { forgeReading, nextReading } from './readings.ts';
import { Rng } from './rng.ts';
import { ByzantineRewrites } from './byzantine.ts';
import { concat0, reportRun, type SimReport, type SimResult } from './report.ts';
import { BEHAVIOURS, type NetworkOptions, type SimCrypto, type SimOptions } from './options.ts';

export type { SimReport, SimResult };

export { BEHAVIOURS, type Behaviour, type NetworkOptions, type Partition, type Restart, type SimCrypto, type SimOptions } from './options.ts';

/** A frame a member publishes (to one member when `to` is set). */
type Frame = Pick<Publish, 'topic' | 'bytes' | 'to'>;

type SimEvent =
  | { at: number; seq: number; kind: 'tick'; node: number }
  | { at: number; seq: number; kind: 'deliver'; node: number; topic: Topic; bytes: Uint8Array }
  | { at: number; seq: number; kind: 'reading'; node: number; round: number }
  | { at: number; seq: number; kind: 'down' | 'up'; node: number };

const GENESIS = 1767225600000; // 2026-01-01T00:00:00Z
const DEFAULT_PARAMS: ManifestParams = { roundMs: 1000, blockRounds: 5, skewMs: 250, timeoutMs: 1000 };

/** Runs one simulation to the end and reports. Deterministic for a given set of options. */
export function simulate(opts: SimOptions, crypto: SimCrypto): SimResult {
  const { sha256 } = crypto;
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

  const { manifestBytes, manifest, digest, memo, members } = makeCluster(opts, crypto, { rule, voteMode, params, genesisMs: GENESIS }, behaviours, rng);
  const t = threshold(rule, n);
  const honest = members.filter((m) => m.byzantine.size === 0);
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

  function send(from: { index: number }, topic: Topic, bytes: Uint8Array, to: number[] | undefined, now: number): void {
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

  const rewrites = new ByzantineRewrites(manifest, sha256, members, groupA, invalid, send);

  function outgoing(m: Member, e: Frame, now: number): void {
    const to = e.to ? [indexOfAddress(e.to)] : undefined;
    if (m.byzantine.has('silent')) return;
    if (m.byzantine.size === 0) return send(m, e.topic, e.bytes, to, now);
    if (e.topic === 'submission') return; // byzantine members publish their own submissions (see reading events)
    if (e.topic === 'vote' && (m.byzantine.has('vote-invalid') || m.byzantine.has('equivocate'))) return rewrites.vote(m, e.bytes, now, to);
    if ((e.topic === 'proposal' || e.topic === 'block') && m.byzantine.has('withhold')) return;
    if (e.topic === 'block-vote' && m.byzantine.has('fork')) return; // a forking member signs block votes itself (forkCosign)
    if (e.topic === 'proposal' && m.byzantine.has('fork')) {
      rewrites.forkProposal(m, e.bytes, now);
      return rewrites.forkCosign(m, e.bytes, now);
    }
    send(m, e.topic, e.bytes, to, now);
  }

  /** Performs a step's record, item by item in the order the node produced them (the trace reads them as effects). */
  function handle(m: Member, r: StepResult, now: number): void {
    if (opts.trace) opts.trace(m.index, effectsOf(r));
    for (const item of r.order) {
      const i = item.index;
      if (item.list === 'publish') outgoing(m, r.publish[i]!, now);
      else if (item.list === 'persist') m.state.persist(r.persist[i]!);
      else if (item.list === 'syncRequests') {
        // A block its node no longer holds in memory: answered from the member's store, as the Linux runtime does.
        const e = r.syncRequests[i]!;
        const block = m.state.blocks.get(e.height);
        if (block) outgoing(m, { topic: 'block', bytes: block, to: e.from }, now);
      } else if (item.list === 'committed') {
        const e = r.committed[i]!;
        m.state.committed(e.height, e.last, e.block);
        if (m.byzantine.size === 0) m.committed.set(e.height, { hash: toHex(e.hash), block: e.block });
      } else if (m.byzantine.size === 0) outcome(r.outcomes[i]!);
    }
  }

  /** What the oracle learns from an honest member's outcome. */
  function outcome(e: Outcome): void {
    if (e.type === 'accepted') {
      const key = `${toHex(e.member)}:${e.round}`;
      const set = acceptedBy.get(key) ?? new Set<string>();
      set.add(toHex(e.digest));
      acceptedBy.set(key, set);
    } else if (e.type === 'evidence') {
      const o = openEvidence(manifest, e.evidence, sha256);
      if (o.ok) evidenceKeys.set(o.claim.key, toHex(e.accused));
    }
  }

  function step(m: Member, ev: Parameters<ConsensusNode['step']>[0], now: number): void {
    handle(m, m.node.step(ev), now);
    schedule(m, Math.max(m.node.wakeAt() - m.skew, now + 1));
  }

  function reading(m: Member, round: number, now: number): void {
    const local = now + m.skew;
    const address = manifest.members[m.index]!.address;
    const honestReading = nextReading(m.model, m.rng, manifest.cluster, address, local, params.roundMs);
    if (m.byzantine.size === 0) {
      honestReadings++;
      const r = m.node.step({ type: 'reading', now: local, reading: honestReading });
      for (const p of r.publish) if (p.topic === 'submission') honestDigests.add(toHex(sha256(concat0(p.bytes))));
      handle(m, r, now);
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
    handle(m, m.node.step({ type: 'reading', now: local, reading: r }), now);
    noteSeen(m, env);
    if (m.byzantine.has('equivocate')) {
      const twin = { ...r, channels: r.channels.map((c, i) => (i === 3 ? { ...c, value: c.value + 1 } : c)) };
      const env2 = signReading(twin, m.signer);
      m.twins.set(round, env2);
      send(m, 'submission', env, rewrites.splitTargets(m, true), now);
      send(m, 'submission', env2, rewrites.splitTargets(m, false), now);
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
      if (ev.topic === 'proposal' && m.byzantine.has('fork')) rewrites.forkCosign(m, ev.bytes, now);
      step(m, { type: 'message', now: now + m.skew, topic: ev.topic, bytes: ev.bytes }, now);
    }
    if (now > endOfRounds && honest.every((h) => h.committed.size >= heights)) break;
  }

  return reportRun({
    opts,
    manifest,
    manifestBytes,
    digest,
    verifier: memo,
    sha256,
    threshold: t,
    heights,
    members,
    invalid,
    honestDigests,
    acceptedBy,
    evidenceKeys,
    stats,
    honestReadings,
    simulatedMs: now - GENESIS,
  });
}

/** The same envelope with one signature bit flipped (the signature is the last 64 bytes of the encoding). */
function corrupt(envelope: Uint8Array): Uint8Array {
  const out = envelope.slice();
  out[out.length - 1]! ^= 0x01;
  return out;
}
