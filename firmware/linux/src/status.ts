// What the node's status page shows: its cluster and members, recent rounds and blocks, the fate of its own readings
// and its device's communication, kept from what the node observes (bounded: the last rounds and blocks only).
import { addressToText, qualityNames, type Manifest } from '@meterchain/core';
import type { NodeObserver } from './runtime.ts';

const KEEP_ROUNDS = 20;
const KEEP_BLOCKS = 10;
/** A member whose submissions were not accepted for this many rounds in a row is shown as silent. */
const SILENT_AFTER = 3;

type Outcome = 'accepted' | 'rejected' | 'not-enough-votes' | 'too-late';

interface MemberView {
  address: string;
  name: string | null;
  role: string;
  self: boolean;
  state: 'self' | 'active' | 'rejected' | 'silent' | 'flagged' | 'unknown';
  lastRound: number | null;
  lastOutcome: Outcome | null;
  accepted: number;
  rejected: number;
  notEnoughVotes: number;
  evidence: number;
}

interface RoundView {
  round: number;
  accepted: number;
  rejected: number;
  notEnoughVotes: number;
  own: Outcome | null;
}

interface BlockView {
  height: number;
  hash: string;
  view: number;
  submissions: number;
  lastRound: number;
  own: number;
  at: number;
}

interface OwnView {
  round: number;
  outcome: Outcome;
  reason: number | null;
  flags: string[];
  block: number | null;
}

export interface StatusSnapshot {
  node: {
    address: string;
    name: string | null;
    cluster: string;
    epoch: number;
    rule: string;
    members: number;
    roundMs: number;
    blockRounds: number;
    round: number;
    height: number;
    startedAt: number;
    now: number;
    broker: { connected: boolean; queued: number };
  };
  members: MemberView[];
  rounds: RoundView[];
  blocks: BlockView[];
  own: { accepted: number; rejected: number; notEnoughVotes: number; tooLate: number; recent: OwnView[] };
  device: {
    samples: number;
    gaps: number;
    lastSampleAt: number | null;
    lastError: string | null;
    lastErrorAt: number | null;
    sampleMs: { last: number | null; max: number | null; mean: number | null };
    lastFlags: string[];
    /** The sensor line's own counts (Modbus: requests, replies, timeouts, CRC errors, exceptions ...), if it keeps any. */
    counters: Record<string, number> | null;
  };
}

/** Live figures the node's shell knows (the broker link, the chain height). */
export interface LiveFigures {
  connected: boolean;
  queued: number;
  height: number;
  /** The sensor's line counters, when it has them. */
  device?: Record<string, number>;
}

export class NodeStatus implements NodeObserver {
  private readonly members: MemberView[];
  private readonly rounds = new Map<number, RoundView>();
  private readonly blocks: BlockView[] = [];
  private readonly ownRecent: OwnView[] = [];
  private readonly ownCounts = { accepted: 0, rejected: 0, notEnoughVotes: 0, tooLate: 0 };
  private readonly device = { samples: 0, gaps: 0, lastSampleAt: null as number | null, lastError: null as string | null, lastErrorAt: null as number | null, lastMs: null as number | null, maxMs: 0, totalMs: 0, lastFlags: [] as string[] };
  private latestRound = -1;

  constructor(
    private readonly manifest: Manifest,
    private readonly address: string,
    private readonly startedAt: number,
  ) {
    this.members = manifest.members.map((m) => {
      const text = addressToText(m.address);
      return { address: text, name: m.name ?? null, role: m.role, self: text === address, state: text === address ? 'self' : 'unknown', lastRound: null, lastOutcome: null, accepted: 0, rejected: 0, notEnoughVotes: 0, evidence: 0 };
    });
  }

  sampled(e: { at: number; ms: number; ok: boolean; reading: boolean; quality?: number; error?: string }): void {
    const d = this.device;
    d.lastMs = e.ms;
    d.maxMs = Math.max(d.maxMs, e.ms);
    d.totalMs += e.ms;
    if (e.ok) {
      d.samples++;
      d.lastSampleAt = e.at;
      d.lastFlags = qualityNames(e.quality ?? 0);
    } else {
      d.gaps++;
      d.lastError = e.error ?? 'unknown error';
      d.lastErrorAt = e.at;
    }
  }

  /** Counts each member's submission of a round once, by its last outcome: a correction (`corrects`) replaces the
   * outcome it names. */
  outcome(e: { at: number; round: number; member: string; outcome: Outcome; reason?: number; reading?: unknown; corrects?: 'accepted' | 'rejected' }): void {
    this.latestRound = Math.max(this.latestRound, e.round);
    let r = this.rounds.get(e.round);
    if (!r) {
      r = { round: e.round, accepted: 0, rejected: 0, notEnoughVotes: 0, own: null };
      this.rounds.set(e.round, r);
      for (const old of this.rounds.keys()) if (old <= this.latestRound - KEEP_ROUNDS) this.rounds.delete(old);
    }
    if (e.corrects === 'accepted') r.accepted = Math.max(0, r.accepted - 1);
    else if (e.corrects === 'rejected') r.rejected = Math.max(0, r.rejected - 1);
    if (e.outcome === 'accepted') r.accepted++;
    else if (e.outcome === 'rejected') r.rejected++;
    else r.notEnoughVotes++;
    const m = this.members.find((x) => x.address === e.member);
    if (m) {
      if (e.round >= (m.lastRound ?? -1)) {
        m.lastRound = e.round;
        m.lastOutcome = e.outcome;
      }
      if (e.corrects === 'accepted') m.accepted = Math.max(0, m.accepted - 1);
      else if (e.corrects === 'rejected') m.rejected = Math.max(0, m.rejected - 1);
      if (e.outcome === 'accepted') m.accepted++;
      else if (e.outcome === 'rejected') m.rejected++;
      else m.notEnoughVotes++;
    }
    if (e.member !== this.address) return;
    r.own = e.outcome;
    if (e.corrects === 'accepted') this.ownCounts.accepted = Math.max(0, this.ownCounts.accepted - 1);
    else if (e.corrects === 'rejected') this.ownCounts.rejected = Math.max(0, this.ownCounts.rejected - 1);
    if (e.outcome === 'accepted') this.ownCounts.accepted++;
    else if (e.outcome === 'rejected') this.ownCounts.rejected++;
    else if (e.outcome === 'too-late') this.ownCounts.tooLate++;
    else this.ownCounts.notEnoughVotes++;
    const quality = (e.reading as { quality?: number } | undefined)?.quality ?? 0;
    const view: OwnView = { round: e.round, outcome: e.outcome, reason: e.reason ?? null, flags: qualityNames(quality), block: null };
    const earlier = e.corrects ? this.ownRecent.findIndex((x) => x.round === e.round) : -1;
    if (earlier >= 0) this.ownRecent[earlier] = view;
    else {
      this.ownRecent.push(view);
      if (this.ownRecent.length > KEEP_ROUNDS) this.ownRecent.shift();
    }
  }

  committed(e: { at: number; height: number; view: number; hash: string; submissions: number; last: number; own: number[] }): void {
    this.blocks.push({ height: e.height, hash: e.hash, view: e.view, submissions: e.submissions, lastRound: e.last, own: e.own.length, at: e.at });
    if (this.blocks.length > KEEP_BLOCKS) this.blocks.shift();
    // The node numbers its readings by round: its own readings in the block are named by their rounds.
    for (const o of this.ownRecent) if (e.own.includes(o.round)) o.block = e.height;
  }

  evidence(e: { at: number; kind: string; accused: string; slot: number }): void {
    const m = this.members.find((x) => x.address === e.accused);
    if (m) m.evidence++;
  }

  snapshot(now: number, live: LiveFigures): StatusSnapshot {
    const p = this.manifest.params;
    const round = Math.floor((now - this.manifest.genesisMs) / p.roundMs);
    const members = this.members.map((m): MemberView => ({ ...m, state: stateOf(m, this.latestRound) }));
    const d = this.device;
    const tried = d.samples + d.gaps;
    return {
      node: {
        address: this.address,
        name: this.members.find((m) => m.self)?.name ?? null,
        cluster: this.manifest.cluster,
        epoch: this.manifest.epoch,
        rule: this.manifest.rule,
        members: this.manifest.members.length,
        roundMs: p.roundMs,
        blockRounds: p.blockRounds,
        round,
        height: live.height,
        startedAt: this.startedAt,
        now,
        broker: { connected: live.connected, queued: live.queued },
      },
      members,
      rounds: [...this.rounds.values()].sort((a, b) => b.round - a.round),
      blocks: [...this.blocks].reverse(),
      own: { ...this.ownCounts, recent: [...this.ownRecent].reverse() },
      device: {
        samples: d.samples,
        gaps: d.gaps,
        lastSampleAt: d.lastSampleAt,
        lastError: d.lastError,
        lastErrorAt: d.lastErrorAt,
        sampleMs: { last: d.lastMs, max: tried ? d.maxMs : null, mean: tried ? d.totalMs / tried : null },
        lastFlags: d.lastFlags,
        counters: live.device ?? null,
      },
    };
  }
}

function stateOf(m: MemberView, latestRound: number): MemberView['state'] {
  if (m.evidence > 0) return 'flagged';
  if (m.self) return 'self';
  if (m.lastRound === null) return 'unknown';
  if (m.lastOutcome === 'rejected') return 'rejected';
  if (m.lastOutcome !== 'accepted' || latestRound - m.lastRound >= SILENT_AFTER) return 'silent';
  return 'active';
}
