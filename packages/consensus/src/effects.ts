// What goes into a consensus node's step and comes out of it (docs/protocol.md §11–§12): the events, the record of
// what one step asks of the runtime (StepResult: records to persist, frames to publish, outcomes, committed blocks,
// stored blocks asked for, messages dropped), the records a node persists and is restored from, the node's
// configuration and its counters. The machines emit Effects into the step (context.ts files them into the record).
import type { Hash, Manifest, Reading, Signer, Verifier } from '@meterchain/core';
import type { DropReason } from './drops.ts';
import type { EvidenceKind } from './evidence.ts';
import type { Judges } from './judge.ts';
import type { SharedChecks } from './shared.ts';
import type { Batch } from './submission.ts';
import type { Topic } from './topics.ts';

export type NodeEvent =
  | { type: 'tick'; now: number }
  | { type: 'reading'; now: number; reading: Reading }
  | { type: 'batch'; now: number; batch: Batch }
  | { type: 'message'; now: number; topic: Topic; bytes: Uint8Array }
  /** With `confirmOwnVotes`: the broker acknowledged the publish that carried this node's vote of `round` (the publish
   * effect's `confirms`). */
  | { type: 'sent'; now: number; round: number }
  /** The node's link to the other members (its broker connection) went down or came back (docs/protocol.md §10
   * step 5: while it is down the view timer is held, and it starts again when the link is back). */
  | { type: 'link'; now: number; up: boolean };

/** What a node signed for a slot, to be stored durably before the message is published. `lock` is the prepare
 * certificate a node is locked on, with the block it certifies. `round` is the round certificate a node holds for a
 * round no committed block covers, with the accepted submissions it holds (ROUND_RECORD_SCHEMA): it signs nothing,
 * and is stored durably before any outcome or message that rests on it; the newest one of each round replaces the
 * earlier ones, and a restarted node gets every one back (docs/protocol.md §11). */
export interface PersistRecord {
  kind: 'submission' | 'vote' | 'prepare' | 'commit' | 'timeout' | 'lock' | 'round';
  /** Round of a submission, vote or round record; −1 otherwise. */
  round: number;
  /** Height and view of a block signature, timeout or lock; −1 otherwise. */
  height: number;
  view: number;
  bytes: Uint8Array;
}

export type Effect =
  | { type: 'persist'; record: PersistRecord }
  /** `confirms`, with `confirmOwnVotes` only: the round whose own vote this frame carries (a vote, or a leader's
   * certificate); the runtime feeds `{ type: 'sent', round }` once the broker has acknowledged it. `expiresAt`: on
   * this node's own submission or vote of a round, the time (this node's clock) past which every honest member has
   * closed the round and drops the frame on arrival (close + skewMs, docs/protocol.md §3): the runtime has the
   * transport drop it unsent if it is still queued then. */
  | { type: 'publish'; topic: Topic; bytes: Uint8Array; to?: Uint8Array; confirms?: number; expiresAt?: number }
  /** Outcomes of a member's submission of a round (docs/protocol.md §7). `corrects` names an outcome this node
   * reported earlier for the same member and round and has taken back (a voter it counted was caught equivocating):
   * the last outcome reported for a member and round is the node's word on it. */
  | { type: 'accepted'; round: number; member: Uint8Array; digest: Uint8Array; submission?: Uint8Array; corrects?: 'accepted' | 'rejected' }
  | { type: 'rejected'; round: number; member: Uint8Array; digest: Uint8Array; reason: number; corrects?: 'accepted' | 'rejected' }
  | { type: 'not-enough-votes'; round: number; member: Uint8Array; digest?: Uint8Array; corrects?: 'accepted' | 'rejected' }
  /** An acceptance certificate that completed only after the round's close time here, and the block covering the round
   * was committed without that reading (docs/protocol.md §7): the cluster never promised it. */
  | { type: 'too-late'; round: number; member: Uint8Array; digest: Uint8Array }
  | { type: 'evidence'; kind: EvidenceKind; accused: Uint8Array; slot: number; evidence: Uint8Array }
  | {
      type: 'committed';
      height: number;
      view: number;
      hash: Uint8Array;
      block: Uint8Array;
      submissions: number;
      /** The last round the block covers. */
      last: number;
      /** Sequence numbers of this node's own readings in the block. */
      own: number[];
      /** Meter and (first) sequence number of each submission, in block order: what a store indexes. */
      readings: { meter: Uint8Array; seq: number }[];
    }
  /** Something not taken. An own reading or batch refused names its `round`; `behind` when the round lies past the
   * round window (block agreement is behind: back-pressure, docs/protocol.md §10): it was not signed. */
  | { type: 'refused'; what: string; reason: string; round?: number; behind?: boolean }
  | { type: 'sync-request'; height: number; from: Uint8Array };

/** Which machine of a node an item of its step belongs to: the runtime keeps each machine's items in order. */
export type Machine = 'rounds' | 'block-agreement';

/** A frame to publish (to one member when `to` is set). `after` is the index in the step's `persist` of the record
 * that must be durable before it goes out (what it rests on: the submission, vote, block vote or timeout signed, the
 * round record); −1 when it rests on none. If that record fails or is refused, the frame is not published. */
export interface Publish {
  topic: Topic;
  bytes: Uint8Array;
  to?: Uint8Array;
  after: number;
  /** With confirmOwnVotes: the round whose own vote this frame carries (see the publish effect). */
  confirms?: number;
  /** Not worth sending after this time (see the publish effect). */
  expiresAt?: number;
}

/** What the runtime reports: a submission's outcome, evidence caught, something refused. */
export type Outcome = Extract<Effect, { type: 'accepted' | 'rejected' | 'not-enough-votes' | 'too-late' | 'evidence' | 'refused' }>;
/** A block committed: the runtime stores it. */
export type Committed = Extract<Effect, { type: 'committed' }>;
/** A member asked for a committed block this node no longer holds in memory: the runtime answers from its store. */
export type SyncRequest = Extract<Effect, { type: 'sync-request' }>;

/** A message dropped in the step, and why (its topic when the step's event was a message). */
export interface Dropped {
  reason: DropReason;
  topic?: Topic;
}

/** Where an item of the step's record is: its list, its index there, and the machine it belongs to. */
export interface StepEntry {
  list: 'persist' | 'publish' | 'outcomes' | 'committed' | 'syncRequests';
  index: number;
  machine: Machine;
}

/**
 * What one step asks of the runtime, as one record. `order` lists every item in the order the machines produced it:
 * the runtime performs each machine's items in that order (a record durable before the next item of its machine), so
 * that an outcome follows the round record it rests on, and a committed block the votes before it.
 */
export interface StepResult {
  persist: PersistRecord[];
  publish: Publish[];
  outcomes: Outcome[];
  committed: Committed[];
  syncRequests: SyncRequest[];
  dropped: Dropped[];
  order: StepEntry[];
}

export function emptyStep(): StepResult {
  return { persist: [], publish: [], outcomes: [], committed: [], syncRequests: [], dropped: [], order: [] };
}

/** The step's record as one list of effects in the order produced (what the simulator's trace and the recorded
 * effect-stream hashes read; a publish names no record there). */
export function effectsOf(r: StepResult): Effect[] {
  const out: Effect[] = [];
  for (const e of r.order) {
    if (e.list === 'persist') out.push({ type: 'persist', record: r.persist[e.index]! });
    else if (e.list === 'publish') {
      const p = r.publish[e.index]!;
      const publish: Effect = { type: 'publish', topic: p.topic, bytes: p.bytes };
      if (p.to !== undefined) publish.to = p.to;
      if (p.confirms !== undefined) publish.confirms = p.confirms;
      if (p.expiresAt !== undefined) publish.expiresAt = p.expiresAt;
      out.push(publish);
    } else out.push(r[e.list][e.index]!);
  }
  return out;
}

export interface NodeRestore {
  /** The last committed block (stored bytes), if any. */
  tip?: Uint8Array;
  /** The last record of each signing kind the node persisted, its lock, and every round record (the newest of each
   * round) it persisted for rounds its tip does not cover. */
  records: PersistRecord[];
}

export interface NodeConfig {
  manifest: Manifest;
  /** Digest of the signed manifest (the first block's prev). */
  manifestDigest: Uint8Array;
  signer: Signer;
  verifier: Verifier;
  hash: Hash;
  judges?: Judges;
  /** Quality flags that make a reading rejected (default DEFAULT_REJECT_QUALITY). */
  rejectQuality?: number;
  restore?: NodeRestore;
  /** Committed blocks kept in memory to answer sync requests (default 64). */
  keepBlocks?: number;
  /** Height of this epoch's first block (default 0). A new epoch's first block follows the previous epoch's last
   * block; its rounds count from the new manifest's genesis. With `restore.tip` from the previous epoch, the tip's
   * hash is the first block's prev. */
  epochStartHeight?: number;
  /** What the nodes of this process have checked, one for them all (a gateway hosting several meters of the
   * cluster): a signature one node found valid, a judgment list's root or a proposal's verdict, the others do not
   * work out again. */
  shared?: SharedChecks;
  /** The runtime tells the node when its own votes reached the broker (`sent` events for publishes marked
   * `confirms`). An acceptance that needs this node's own vote to reach t is then reported at once only if that vote
   * reached the broker by `vote + skewMs`; otherwise when the block covering the round commits (docs/protocol.md §7).
   * Off (every outcome at once) where nothing reports acknowledgments: the simulator, unit tests. */
  confirmOwnVotes?: boolean;
  /** LAB ONLY (tools/campaign): a censoring proposer, whose blocks leave out every round certificate and so every
   * accepted reading. Never set in production. */
  labCensor?: boolean;
}

export interface NodeStats {
  /** Signatures checked. */
  verifications: number;
  /** Signatures recalled from the shared memory (found valid before, by this or another node of the process), not
   * checked again. */
  recalled: number;
  votesCast: number;
  blocksCommitted: number;
  proposals: number;
  timeouts: number;
  /** Messages dropped, in all and by reason (DropReason). */
  dropped: number;
  drops: { [reason: string]: number };
  /** Prepare votes not verified because their block already had its prepare quorum. */
  surplus: number;
  /** Round votes not verified because every member the round's votes name was already decided. */
  surplusVotes: number;
}
