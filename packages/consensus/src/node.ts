// A member's consensus state machine: the voting rounds and the block protocol of docs/protocol.md, driven by
// events (a tick with the time, an own reading, a message) and answering with effects (persist, publish, outcomes,
// evidence, committed blocks) for the runtime to perform in the order given. No I/O, no clock, no randomness.
import {
  Domain,
  encode,
  equalBytes,
  signReading,
  signingInput,
  toHex,
  type CborValue,
  type Hash,
  type Manifest,
  type Reading,
  type Signer,
  type Verifier,
} from '@meterchain/core';
import {
  BLOCK_VERSION,
  Phase,
  addReadingToSummary,
  blockCertificateFromCbor,
  blockCertificateToCbor,
  decodeBlockVote,
  decodeHeader,
  decodeSigned,
  decodeStoredBlock,
  decodeTimeout,
  encodeBody,
  encodeHeader,
  encodeStoredBlock,
  signBlockVote,
  timeoutBody,
  timeoutSigningInput,
  type BlockCertificate,
  type BlockHeader,
  type Timeout,
} from './block.ts';
import {
  buildRoundCertificate,
  certificateSignatures,
  decodeRoundCertificate,
  emptyTally,
  roundCertificateFromCbor,
  roundCertificateToCbor,
  encodeRoundCertificate,
  tallyAddAgain,
  tallyAddRemembering,
  tallyCertificate,
  type HeldVote,
  type RoundCertificate,
  type RoundTally,
  type SignatureCheck,
} from './certificate.ts';
import { checkBlockCertificate, countCertificates, evidenceBounds, excludedVoters, firstRoundOf, inspectBlock, proposerOf, type BlockVerdict, type CheckedBlock } from './chain.ts';
import { Reason, Verdict, consensusError } from './codes.ts';
import { makeEvidence, openEvidence, type EvidenceClaim, type EvidenceKind } from './evidence.ts';
import { baseJudge, defaultJudges, DEFAULT_REJECT_QUALITY, type Judges, type MemberMemory } from './judge.ts';
import { leafHash, merkleRoot } from './merkle.ts';
import { memberIndex, openSubmission, roundOf, roundStart, signBatch, submissionDomain, type Batch, type Submission } from './submission.ts';
import { BoundedMemo } from './memo.ts';
import type { SharedChecks } from './shared.ts';
import { FUTURE_HEIGHTS, FutureBuffer, SyncAnswerLimit } from './catch-up.ts';
import type { DropReason } from './drops.ts';
import { EvidencePool } from './evidence-pool.ts';
import { Quorum, QuorumCounts } from './quorum.ts';
import { decodeCommitNotice, decodeCompactBody, decodeProposalMessage, decodeSyncBody, decodeSyncMessage, decodeTimeoutMessage } from './wire/block-agreement.ts';
import { decodeLockRecord, decodeRoundRecord } from './wire/records.ts';
import { decodeVoteMessage, emptyJudgments, judgmentsProblem, judgmentsRoot, setJudgment, signVote, voteBodyFor, voteEnvelope, voteSigningInput } from './vote.ts';

import type { Topic } from './topics.ts';

export type { Topic };

export type NodeEvent =
  | { type: 'tick'; now: number }
  | { type: 'reading'; now: number; reading: Reading }
  | { type: 'batch'; now: number; batch: Batch }
  | { type: 'message'; now: number; topic: Topic; bytes: Uint8Array };

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
  | { type: 'publish'; topic: Topic; bytes: Uint8Array; to?: Uint8Array }
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

interface SubSlot {
  sub: Submission;
  /** Reason found on arrival (FUTURE), else 0. */
  reason: number;
  /** Arrived after this node voted the round: kept for blocks, not judged. */
  late: boolean;
  /** A second, different signed submission of the same member and round. */
  other?: Submission;
}

interface Held extends HeldVote {
  body: Uint8Array;
}

interface RoundState {
  round: number;
  subs: (SubSlot | undefined)[];
  badSig: (Uint8Array | undefined)[];
  received: number;
  votes: (Held | undefined)[];
  excluded: { [voter: number]: boolean };
  tally: RoundTally;
  /** Where each distinct list (by root) landed in the tally: honest voters send the same list. */
  placed: { [root: string]: Int32Array };
  voted: boolean;
  myVote?: Uint8Array;
  decided: number[];
  /** The digest each member was reported accepted or rejected with (what an exclusion checks). */
  decidedDigest: (Uint8Array | undefined)[];
  /** Outcomes reported and then taken back by an exclusion, not reported again yet, by member. */
  takenBack: { [member: number]: { outcome: 'accepted' | 'rejected'; digest: Uint8Array } };
  closed: boolean;
  certSent: boolean;
  certSeen: boolean;
  fallbackSent: boolean;
  /** Accepted members, and submissions of theirs held, in the last round record persisted (persistRound). */
  recorded: { accepted: number; subs: number };
  /** Members whose acceptance certificate completed only after the round's close time here: reported when the block
   * covering the round commits, `accepted` if it holds the reading, else `too-late` (reportLate). */
  lateAccepted: { member: number; digest: Uint8Array }[];
  /** Taken up from its round record after a restart (restoreRound), not lived through since. */
  restored: boolean;
  /** This node took the round up, or cast its vote, after every honest member's vote deadline (a restart, a lag): the
   * others may close the round before its vote reaches them, and it may count votes they no longer do, so its
   * certificates in the round are reported only when the block covering the round commits (decideClosed). */
  lateHere: boolean;
}

interface Content {
  header: Uint8Array;
  body: Uint8Array;
  hash: Uint8Array;
  checked: CheckedBlock;
}

interface TimeoutEntry {
  voter: number;
  /** The timeout message as its signer sent it (re-sent as is to a member lagging a view behind). */
  bytes: Uint8Array;
  lockView: number | null;
  lock: Uint8Array | null;
  sig: Uint8Array;
  cert?: BlockCertificate;
}

interface Lock {
  view: number;
  hash: Uint8Array;
  cert: BlockCertificate;
  content: Content;
}

interface SignedVote {
  hash: string;
  bytes: Uint8Array;
}

interface HeightState {
  height: number;
  view: number;
  viewStart: number;
  entered: boolean;
  proposed: { [view: number]: boolean };
  contents: { [hash: string]: Content };
  prepares: { [view: number]: { [hash: string]: { [voter: number]: Uint8Array } } };
  commits: { [view: number]: { [hash: string]: { [voter: number]: Uint8Array } } };
  /** Signatures counted per phase, view and header (key `phase:view:hash`) and timeouts per view (key `t:view`). */
  counts: QuorumCounts;
  signedBy: { [slot: string]: SignedVote };
  timeouts: { [view: number]: { [voter: number]: TimeoutEntry } };
  myTimeout: { [view: number]: Uint8Array };
  lastTimeoutSent: number;
  /** When this node last re-sent a left view's timeouts to a member lagging behind (answerLagging). */
  lastLagAnswer: number;
  syncAskedAt: number;
  syncTurn: number;
  /** This node's proposals with the whole body, by view: the answer to a member that asks for one. */
  fullProposals: { [view: number]: Uint8Array };
  /** Views whose whole proposal this node has asked its proposer for. */
  askedProposal: { [view: number]: boolean };
  /** Blocks re-proposed under their prepare certificate (a lock), by hash: prepared whatever they hold. */
  justified: { [hash: string]: boolean };
  /** A proposal that came while the rounds it covers were still open here: considered once they close. */
  early?: { view: number; hash: Uint8Array };
  /** Views in which this node refused a proposal and handed over the certificates it left out. */
  handedOver: { [view: number]: boolean };
}

const NEVER = 9007199254740991;
const ACCEPTED = 1;
const REJECTED = 2;
const UNDECIDED = 3;
/** How far through a round block agreement starts, in tenths (see readyAt): 7, as an integer because Espruino reads the
 * literal 0.7 as 0.7000000000000001 (gate rule decimal-literal). */
const BLOCK_PHASE_TENTHS = 7;

function hexKey(b: Uint8Array): string {
  return toHex(b);
}

function newRoundState(round: number, n: number): RoundState {
  return {
    round,
    subs: [],
    badSig: [],
    received: 0,
    votes: [],
    excluded: {},
    tally: emptyTally(n),
    placed: {},
    voted: false,
    decided: [],
    decidedDigest: [],
    takenBack: {},
    closed: false,
    certSent: false,
    certSeen: false,
    fallbackSent: false,
    recorded: { accepted: 0, subs: 0 },
    lateAccepted: [],
    lateHere: false,
    restored: false,
  };
}

function newHeight(height: number): HeightState {
  return {
    height,
    view: 0,
    viewStart: 0,
    entered: false,
    proposed: {},
    contents: {},
    prepares: {},
    commits: {},
    counts: new QuorumCounts(),
    signedBy: {},
    timeouts: {},
    myTimeout: {},
    lastTimeoutSent: 0,
    lastLagAnswer: -NEVER,
    syncAskedAt: -NEVER,
    syncTurn: 0,
    fullProposals: {},
    askedProposal: {},
    justified: {},
    handedOver: {},
  };
}

/** (h, v, p) ordering of block signatures: a node signs only above its last mark. */
function markBelow(h: number, v: number, p: number, mark: { height: number; view: number; phase: number }): boolean {
  if (h !== mark.height) return h < mark.height;
  if (v !== mark.view) return v < mark.view;
  return p <= mark.phase;
}

export class ConsensusNode {
  readonly manifest: Manifest;
  readonly self: Uint8Array;
  readonly selfIndex: number;
  readonly isVoter: boolean;
  readonly threshold: number;
  private readonly quorum: Quorum;
  readonly stats: NodeStats;
  private readonly signer: Signer;
  private readonly verifier: Verifier;
  private readonly shared: SharedChecks | undefined;
  /** The manifest's digest in hex: what a shared block verdict is keyed by, with the block's place. */
  private readonly manifestKey: string;
  private readonly hash: Hash;
  private readonly judges: Judges;
  private readonly base: (s: Submission, m: MemberMemory) => number;
  private readonly voterIndexes: number[];
  private readonly n: number;
  private readonly leaderMode: boolean;
  private readonly keepBlocks: number;
  private readonly maxRounds: number;
  private readonly epochStart: number;
  private readonly labCensor: boolean;
  private rounds: { [round: number]: RoundState };
  private openRounds: number[];
  private nextRound: number;
  /** Rounds stopped at the window's end (windowEnd) with the clock past it: block agreement is behind. */
  private heldBack: boolean;
  /** The highest height a member signed a message for (a proposal, block vote or timeout kept for later). */
  private seenHeight: number;
  private started: boolean;
  private memory: MemberMemory[];
  private subMark: number;
  private voteMark: number;
  private voteRecord: PersistRecord | undefined;
  private blockMark: { height: number; view: number; phase: number };
  private timeoutMark: { height: number; view: number };
  /** Evidence known, by claim key: its bytes while pending (kept for a block), else empty (known, not kept). */
  private readonly evidence: EvidencePool;
  /** Evidence already in a committed block, with the height that holds it (forgotten 256 heights later). */
  private flagged: { [member: number]: boolean };
  private tipHeight: number;
  private tipHash: Uint8Array;
  private blocks: { [height: number]: Uint8Array };
  private hs: HeightState;
  private lock: Lock | null;
  /** Messages for later heights, kept until this node gets there (catch-up.ts). */
  private readonly future: FutureBuffer;
  /** Sync requests answered and checked per member in the current window of timeoutMs. */
  private readonly syncLimits: SyncAnswerLimit;
  /** Records of the current height restored after a restart, counted at the first step (resumeBlockAgreement). */
  private resumed: PersistRecord[];
  /** A round restored from its record and open again, whose recorded vote the first tick re-sends (reopenRestored). */
  private resendVote: RoundState | undefined;
  /** This node's own submissions restored from its signing records, by round, until a round state holds them. */
  private ownSubmissions: { [round: number]: Uint8Array };
  /** Signatures verified, by signature (hex): a signature verified once is not verified again. */
  private memo: BoundedMemo<{ pk: Uint8Array; msg: Uint8Array }>;
  /** Judgment lists checked, by root (hex). */
  private rootMemo: BoundedMemo<Uint8Array>;
  /** Submissions held in open rounds, by digest (hex), so checking a block does not decode them again. */
  private byDigest: { [digest: string]: Submission };
  /** Roots of judgment lists by the SHA-256 of the list: one hash instead of a Merkle tree of n leaves per list seen
   * again (in votes, in the round certificates of every proposal and block). */
  private listRoots: BoundedMemo<Uint8Array>;
  private readonly rootOf: (list: Uint8Array) => Uint8Array;
  private out: Effect[];
  private now: number;

  constructor(cfg: NodeConfig) {
    const m = cfg.manifest;
    this.manifest = m;
    this.signer = cfg.signer;
    this.verifier = cfg.verifier;
    this.shared = cfg.shared;
    this.hash = cfg.hash;
    // The member is found by its key; its address is the manifest's (one object, the same on every platform).
    let selfIndex = -1;
    for (let i = 0; i < m.members.length; i++) if (equalBytes(m.members[i]!.publicKey, cfg.signer.publicKey)) selfIndex = i;
    if (selfIndex < 0) throw consensusError('NOT_MEMBER', 'consensus node: the signer is not a member of the manifest');
    this.selfIndex = selfIndex;
    this.self = m.members[selfIndex]!.address;
    this.isVoter = m.members[this.selfIndex]!.role === 'full';
    this.n = m.members.length;
    this.voterIndexes = [];
    for (let i = 0; i < this.n; i++) if (m.members[i]!.role === 'full') this.voterIndexes.push(i);
    this.quorum = new Quorum(m.rule, this.voterIndexes.length, this.n);
    this.threshold = this.quorum.t;
    this.leaderMode = m.voteMode === 'leader';
    this.judges = cfg.judges ?? defaultJudges();
    this.base = baseJudge(cfg.rejectQuality ?? DEFAULT_REJECT_QUALITY);
    this.keepBlocks = cfg.keepBlocks ?? 64;
    this.maxRounds = Math.max(8 * m.params.blockRounds, 64);
    this.epochStart = cfg.epochStartHeight ?? 0;
    this.labCensor = cfg.labCensor === true;
    this.stats = { verifications: 0, recalled: 0, votesCast: 0, blocksCommitted: 0, proposals: 0, timeouts: 0, dropped: 0, drops: {}, surplus: 0, surplusVotes: 0 };
    this.rounds = {};
    this.openRounds = [];
    this.nextRound = 0;
    this.heldBack = false;
    this.seenHeight = -1;
    this.started = false;
    this.memory = [];
    for (let i = 0; i < this.n; i++) this.memory.push({ lastSeq: -1 });
    this.subMark = -1;
    this.voteMark = -1;
    this.voteRecord = undefined;
    this.blockMark = { height: -1, view: -1, phase: -1 };
    this.timeoutMark = { height: -1, view: -1 };
    this.evidence = new EvidencePool(m);
    this.flagged = {};
    this.tipHeight = -1;
    this.tipHash = cfg.manifestDigest;
    this.manifestKey = toHex(cfg.manifestDigest);
    this.blocks = {};
    this.hs = newHeight(0);
    this.lock = null;
    // The largest compact proposal of a valid block (see proposalLimit): a larger one for a later height is not kept.
    this.future = new FutureBuffer(this.n, proposalLimit(m));
    this.syncLimits = new SyncAnswerLimit(this.n, m.params.timeoutMs);
    this.resumed = [];
    this.resendVote = undefined;
    this.ownSubmissions = {};
    this.memo = new BoundedMemo(cfg.shared ? 1 : 8192);
    this.rootMemo = new BoundedMemo(512);
    this.listRoots = cfg.shared ? cfg.shared.listRoots : new BoundedMemo(2048);
    this.rootOf = (list) => this.listRoot(list);
    this.byDigest = {};
    this.out = [];
    this.now = 0;
    if (cfg.restore) this.restore(cfg.restore);
  }

  // ---- public surface ----

  /** Feeds one event; returns the effects to perform, in order. */
  step(event: NodeEvent): Effect[] {
    this.out = [];
    this.now = event.now;
    if (!this.started) this.start(event.now);
    if (event.type === 'tick') this.tick();
    else if (event.type === 'reading') this.ownReading(event.reading);
    else if (event.type === 'batch') this.ownBatch(event.batch);
    else this.message(event.topic, event.bytes);
    const effects = this.out;
    this.out = [];
    return effects;
  }

  /** The earliest time a tick has something to do (the runtime may tick more often). */
  wakeAt(): number {
    // Held back at the window's end (tick), the next round's deadline lies in the past and would wake the node at once,
    // in a loop: only a block moves the window, and once one has brought the current round inside it, the next tick
    // resumes the rounds.
    let at = !this.heldBack ? this.voteDeadline(this.nextRound) : roundOf(this.manifest, this.now) <= this.windowEnd() ? this.now : NEVER;
    for (const r of this.openRounds) {
      const rs = this.rounds[r]!;
      if (!rs.voted) at = Math.min(at, this.voteDeadline(r));
      else if (!rs.closed) {
        at = Math.min(at, this.closeAt(r));
        // Only deadlines tick() still acts on: one it has already acted on (a fallback sent) or never will (a node
        // that holds no vote of its own) would lie in the past and wake the node again at once, in a loop.
        if (this.leaderMode && !rs.certSent && !rs.certSeen) {
          if (this.leaderOf(r) === this.selfIndex) at = Math.min(at, this.certAt(r));
          else if (this.isVoter && !rs.fallbackSent && rs.myVote) at = Math.min(at, this.fallbackAt(r));
        }
      }
    }
    const hs = this.hs;
    const ready = this.readyAt(hs.height);
    if (!hs.entered) at = Math.min(at, ready);
    else if (this.isVoter) {
      if (hs.early) at = Math.min(at, this.closeAt(this.lastRoundOf(hs.height)));
      if (!hs.myTimeout[hs.view]) at = Math.min(at, hs.viewStart + this.viewTimeout(hs.view));
      else at = Math.min(at, hs.lastTimeoutSent + this.manifest.params.timeoutMs);
    }
    return at;
  }

  /** Height of the last committed block (−1 before the first). */
  get height(): number {
    return this.tipHeight;
  }

  /** Hash of the last committed header (the manifest digest before the first block). */
  get tip(): Uint8Array {
    return this.tipHash;
  }

  /** Members caught equivocating, by index in the manifest. */
  flaggedMembers(): number[] {
    const out: number[] = [];
    for (const k of Object.keys(this.flagged)) out.push(Number(k));
    return out.sort((a, b) => a - b);
  }

  /** Messages for later heights kept until this node gets there, and their bytes; evidence kept for a block. */
  buffered(): { messages: number; bytes: number; evidence: number } {
    const kept = this.future.size;
    return { messages: kept.messages, bytes: kept.bytes, evidence: this.evidence.pendingCount };
  }

  /** A committed block this node still holds in memory. */
  storedBlock(height: number): Uint8Array | undefined {
    return this.blocks[height];
  }

  // ---- time ----

  private voteDeadline(r: number): number {
    return roundStart(this.manifest, r + 1) + this.manifest.params.skewMs;
  }

  private certAt(r: number): number {
    return this.voteDeadline(r) + Math.floor(this.manifest.params.timeoutMs / 2);
  }

  private fallbackAt(r: number): number {
    return this.voteDeadline(r) + Math.floor((3 * this.manifest.params.timeoutMs) / 4);
  }

  private closeAt(r: number): number {
    return this.voteDeadline(r) + this.manifest.params.timeoutMs;
  }

  private lastRoundOf(height: number): number {
    return firstRoundOf(this.manifest, height, this.epochStart) + this.manifest.params.blockRounds - 1;
  }

  /**
   * When agreement on block `height` starts: once its last round is closed, at the next point BLOCK_PHASE_TENTHS tenths of the way
   * through a round. Readings are taken at a round's start, so a round's submissions and votes fill its first part;
   * block agreement (every member checks the proposal and signs two votes at once) is kept out of their way.
   */
  private readyAt(height: number): number {
    const closed = this.closeAt(this.lastRoundOf(height));
    const m = this.manifest;
    const at = roundStart(m, Math.max(0, roundOf(m, closed))) + Math.floor((m.params.roundMs * BLOCK_PHASE_TENTHS) / 10);
    return at >= closed ? at : at + m.params.roundMs;
  }

  private viewTimeout(view: number): number {
    return this.manifest.params.timeoutMs * (view + 1);
  }

  private leaderOf(round: number): number {
    return this.voterIndexes[round % this.voterIndexes.length]!;
  }

  private start(now: number): void {
    this.started = true;
    const r = roundOf(this.manifest, now);
    if (this.nextRound < r) this.nextRound = r < 0 ? 0 : r;
    // Restarted while its last voted round is still open: take that round up again to re-send the recorded vote.
    const last = this.voteRecord;
    if (last && now < this.closeAt(last.round) && last.round < this.nextRound) this.nextRound = last.round;
    for (const round of this.openRounds) this.reopenRestored(this.rounds[round]!);
    if (this.resumed.length > 0) this.resumeBlockAgreement();
  }

  /**
   * A round restored from its record is closed, as it was when the node went down, unless its close time has not come
   * (a quick restart): then it is open again, as a round this node lived through, with the outcomes its record holds
   * decided, and the recorded vote re-sent at the first tick if it is this round's (as when a round is taken up).
   */
  private reopenRestored(rs: RoundState): void {
    if (!rs.restored || this.now >= this.closeAt(rs.round)) return;
    rs.restored = false;
    rs.closed = false;
    rs.certSent = false;
    rs.certSeen = false;
    rs.fallbackSent = false;
    rs.voted = rs.round <= this.voteMark;
    if (rs.voted && this.voteRecord && this.voteRecord.round === rs.round && this.isVoter) {
      rs.myVote = this.voteRecord.bytes;
      this.resendVote = rs;
    }
  }

  // ---- restart ----

  private restore(restore: NodeRestore): void {
    if (restore.tip) {
      const s = decodeStoredBlock(restore.tip);
      if (!s.ok) throw consensusError('BAD_RESTORE', `consensus node: restore tip: ${s.reason}`);
      const h = decodeHeader(s.block.header);
      if (!h.ok) throw consensusError('BAD_RESTORE', `consensus node: restore tip: ${h.reason}`);
      this.tipHeight = h.header.height;
      this.tipHash = this.hash(s.block.header);
      this.blocks[this.tipHeight] = restore.tip;
      this.hs = newHeight(this.tipHeight + 1);
      // A tip of the previous epoch: this epoch's rounds start again at 0.
      this.nextRound = h.header.epoch === this.manifest.epoch ? h.header.last + 1 : 0;
    }
    for (const rec of restore.records) {
      if (rec.kind === 'submission') {
        this.subMark = Math.max(this.subMark, rec.round);
        this.ownSubmissions[rec.round] = rec.bytes;
      }
      else if (rec.kind === 'vote') {
        if (rec.round > this.voteMark) {
          this.voteMark = rec.round;
          this.voteRecord = rec;
        }
      } else if (rec.kind === 'prepare' || rec.kind === 'commit') {
        const phase = rec.kind === 'prepare' ? Phase.PREPARE : Phase.COMMIT;
        if (!markBelow(rec.height, rec.view, phase, this.blockMark)) this.blockMark = { height: rec.height, view: rec.view, phase };
        this.rememberOwnBlockVote(rec);
        if (rec.height === this.hs.height) this.resumed.push(rec);
      } else if (rec.kind === 'timeout') {
        if (rec.height > this.timeoutMark.height || (rec.height === this.timeoutMark.height && rec.view > this.timeoutMark.view)) {
          this.timeoutMark = { height: rec.height, view: rec.view };
        }
        if (rec.height === this.hs.height) {
          this.hs.myTimeout[rec.view] = rec.bytes;
          this.resumed.push(rec);
        }
      } else if (rec.kind === 'lock' && rec.height === this.hs.height) {
        this.restoreLock(rec);
      } else if (rec.kind === 'round') {
        this.restoreRound(rec);
      }
    }
    // Its own submissions of rounds no committed block covers: held again in those rounds (placeOwn).
    const covered = this.tipHeight >= 0 ? this.lastRoundOf(this.tipHeight) : -1;
    for (const k of Object.keys(this.ownSubmissions)) {
      const r = Number(k);
      if (r <= covered) delete this.ownSubmissions[r];
      else if (this.rounds[r]) this.placeOwn(this.rounds[r]!);
    }
    // The node was in the view of its last block signature or timeout at this height: it resumes there (in view 0 it
    // could sign nothing more, its marks being higher, and would re-send none of it).
    for (const rec of this.resumed) if (rec.view > this.hs.view) this.hs.view = rec.view;
  }

  /**
   * Counts what the node signed at this height before the restart exactly as when it signed it, and re-sends its
   * block votes (a timeout is re-sent by blockTick): its own timeout is one of the t a view change needs, and its
   * votes may never have left (a crash between persist and publish, a broker outage). Done at the first step, not
   * in the constructor, so that what it leads to (a view change, a proposal, a commit) comes out as effects.
   */
  private resumeBlockAgreement(): void {
    const order = ['prepare', 'commit', 'timeout'];
    const resumed = this.resumed.sort((a, b) => order.indexOf(a.kind) - order.indexOf(b.kind));
    this.resumed = [];
    for (const rec of resumed) {
      if (rec.height !== this.hs.height) continue;
      if (rec.kind === 'timeout') {
        const entry = this.ownTimeoutEntry(rec.bytes);
        if (entry) this.countTimeout(entry, rec.view);
        continue;
      }
      const d = decodeSigned(rec.bytes);
      if (!d.ok) continue;
      const v = decodeBlockVote(d.body);
      if (!v.ok || v.vote.height !== this.hs.height) continue;
      this.publish('block-vote', rec.bytes);
      this.countBlockVote(v.vote.phase, v.vote.view, v.vote.block, this.selfIndex, rec.bytes);
      if (this.hs.height !== rec.height) return;
    }
  }

  /** This node's own timeout message as counted (its lock and signature), from the bytes it persisted. */
  private ownTimeoutEntry(bytes: Uint8Array): TimeoutEntry | undefined {
    const d = decodeTimeoutMessage(bytes);
    if (!d.ok) return undefined;
    const o = d.value;
    const t = decodeTimeout(o.body);
    if (!t.ok) return undefined;
    const entry: TimeoutEntry = { voter: this.selfIndex, bytes, lockView: t.timeout.lockView ?? null, lock: t.timeout.lock ?? null, sig: o.sig };
    if (o.cert !== null) entry.cert = blockCertificateFromCbor(o.cert);
    if ((entry.lock === null) !== (entry.cert === undefined)) return undefined;
    return entry;
  }

  private rememberOwnBlockVote(rec: PersistRecord): void {
    if (rec.height !== this.hs.height) return;
    const d = decodeSigned(rec.bytes);
    if (!d.ok) return;
    const v = decodeBlockVote(d.body);
    if (!v.ok) return;
    this.hs.signedBy[`${v.vote.phase}:${v.vote.view}:${this.selfIndex}`] = { hash: hexKey(v.vote.block), bytes: rec.bytes };
  }

  /**
   * Takes a round up again from its record, closed, as the node held it: its certificate's votes (tallied, the
   * outcomes decided as they stand) and the accepted submissions. The node then refuses blocks that leave them out
   * and can hand them over (docs/protocol.md §10), as before the restart. The record is the node's own, written
   * after the signatures in it were checked: they are not checked again. A round the tip covers, or of another epoch,
   * is left out.
   */
  private restoreRound(rec: PersistRecord): void {
    const d = decodeRoundRecord(rec.bytes, this.n);
    if (!d.ok) throw consensusError('BAD_RESTORE', `consensus node: restore round ${rec.round}: ${d.reason}`);
    const o = d.value;
    if (o.cluster !== this.manifest.cluster || o.epoch !== this.manifest.epoch) return;
    const cert = roundCertificateFromCbor(o.cert);
    if (cert.round !== rec.round) throw consensusError('BAD_RESTORE', `consensus node: restore round ${rec.round}: the record holds round ${cert.round}`);
    if (this.tipHeight >= 0 && cert.round <= this.lastRoundOf(this.tipHeight)) return;
    const s = certificateSignatures(this.manifest, cert, this.hash, this.rootOf);
    if (!s.ok) throw consensusError('BAD_RESTORE', `consensus node: restore round ${rec.round}: ${s.reason}`);
    const rs = newRoundState(cert.round, this.n);
    rs.voted = true;
    rs.closed = true;
    rs.certSent = true;
    rs.certSeen = true;
    rs.fallbackSent = true;
    rs.restored = true;
    for (let k = 0; k < cert.votes.length; k++) {
      const v = cert.votes[k]!;
      const body = s.checks[k]!.message.subarray(Domain.VOTE.length + 1);
      rs.votes[v.voter] = { voter: v.voter, records: cert.lists[v.list]!, root: s.roots[v.list]!, sig: v.sig, body };
      this.tallyVote(rs, cert.lists[v.list]!, s.roots[v.list]!);
    }
    for (const bytes of o.subs) {
      const opened = openSubmission(this.manifest, bytes, this.hash);
      if (!opened.ok || opened.submission.round !== rs.round || rs.subs[opened.submission.index]) continue;
      const sub = opened.submission;
      rs.subs[sub.index] = { sub, reason: 0, late: true };
      this.byDigest[hexKey(sub.digest)] = sub;
      rs.received++;
    }
    for (let i = 0; i < this.n; i++) {
      const outcome = this.quorum.outcome(rs.tally[i]!);
      if (outcome.outcome === 'accepted') {
        rs.decided[i] = ACCEPTED;
        rs.decidedDigest[i] = outcome.digest;
        rs.recorded.accepted++;
        if (this.submissionWithDigest(rs, i, outcome.digest)) rs.recorded.subs++;
      } else if (outcome.outcome === 'rejected') {
        rs.decided[i] = REJECTED;
        rs.decidedDigest[i] = outcome.digest;
      } else if (outcome.outcome !== 'none' || rs.subs[i]) rs.decided[i] = UNDECIDED;
    }
    if (!this.rounds[rs.round]) {
      let i = this.openRounds.length;
      while (i > 0 && this.openRounds[i - 1]! > rs.round) i--;
      this.openRounds.splice(i, 0, rs.round);
    }
    this.rounds[rs.round] = rs;
  }

  /**
   * Holds this node's own submission of the round again, as restored from its signing records: after a power cut of
   * every node it may be the only copy left, and the votes re-sent after the restart may accept it.
   */
  private placeOwn(rs: RoundState): boolean {
    const bytes = this.ownSubmissions[rs.round];
    if (!bytes) return false;
    delete this.ownSubmissions[rs.round];
    if (rs.subs[this.selfIndex]) return false;
    const o = openSubmission(this.manifest, bytes, this.hash);
    if (!o.ok || o.submission.round !== rs.round || o.submission.index !== this.selfIndex) return false;
    rs.subs[this.selfIndex] = { sub: o.submission, reason: 0, late: rs.voted };
    this.byDigest[hexKey(o.submission.digest)] = o.submission;
    rs.received++;
    return true;
  }

  private restoreLock(rec: PersistRecord): void {
    const d = decodeLockRecord(rec.bytes);
    if (!d.ok) throw consensusError('BAD_RESTORE', `consensus node: restore lock: ${d.reason}`);
    const o = d.value;
    const cert = blockCertificateFromCbor(o.cert);
    const verdict = inspectBlock(this.manifest, this.hash, o.header, o.body, undefined, this.expectation(), () => true);
    if (!verdict.ok) throw consensusError('BAD_RESTORE', `consensus node: restore lock: ${verdict.reason}`);
    const content: Content = { header: o.header, body: o.body, hash: verdict.block.hash, checked: verdict.block };
    this.hs.contents[hexKey(content.hash)] = content;
    this.lock = { view: cert.view, hash: cert.block, cert, content };
  }

  // ---- effects ----

  private emit(e: Effect): void {
    this.out.push(e);
  }

  private persistThenPublish(record: PersistRecord, topic: Topic, bytes: Uint8Array, to?: Uint8Array): void {
    this.emit({ type: 'persist', record });
    this.publish(topic, bytes, to);
  }

  private publish(topic: Topic, bytes: Uint8Array, to?: Uint8Array): void {
    if (to !== undefined) this.emit({ type: 'publish', topic, bytes, to });
    else this.emit({ type: 'publish', topic, bytes });
  }

  // ---- verification with memory (a signature verified once is not verified again) ----

  private verify(pk: Uint8Array, msg: Uint8Array, sig: Uint8Array): boolean {
    const key = hexKey(sig);
    const shared = this.shared;
    if (shared) {
      // The process's memory is this node's too: a second memory per node would hold the same signatures again (at
      // 16 nodes a process and 64 members, some 200 MB of messages).
      if (shared.recall(key, pk, msg)) {
        this.stats.recalled++;
        return true;
      }
    } else {
      const hit = this.memo.get(key);
      if (hit && equalBytes(hit.msg, msg) && equalBytes(hit.pk, pk)) return true;
    }
    this.stats.verifications++;
    const ok = this.verifier.verify(pk, msg, sig);
    if (ok) {
      if (shared) shared.remember(key, pk, msg);
      else this.memo.set(key, { pk, msg });
    }
    return ok;
  }

  private knownSubmission(): (digest: Uint8Array) => Submission | undefined {
    return (digest) => this.byDigest[hexKey(digest)];
  }

  private oracle(): (c: SignatureCheck) => boolean {
    return (c) => this.verify(c.publicKey, c.message, c.signature);
  }

  /**
   * The judgment records if they are well formed and hash to `root`, else undefined. Lists already checked are
   * remembered (honest voters send identical lists) and the remembered copy is returned, so a node holds one copy of
   * a list however many voters sent it.
   */
  private listRoot(list: Uint8Array): Uint8Array {
    const key = hexKey(this.hash(list));
    const hit = this.listRoots.get(key);
    if (hit) return hit;
    const root = judgmentsRoot(this.hash, list);
    this.listRoots.set(key, root);
    return root;
  }

  private checkedRecords(records: Uint8Array, root: Uint8Array): Uint8Array | undefined {
    const key = hexKey(root);
    const hit = this.rootMemo.get(key);
    if (hit && equalBytes(hit, records)) return hit;
    if (judgmentsProblem(records, this.n) !== '') return undefined;
    if (!equalBytes(this.rootOf(records), root)) return undefined;
    this.rootMemo.set(key, records);
    return records;
  }

  // ---- rounds ----

  private roundState(r: number, create: boolean): RoundState | undefined {
    const have = this.rounds[r];
    if (have || !create) return have;
    const current = roundOf(this.manifest, this.now);
    if (r < this.nextRound) {
      // Older than the oldest round this node took up (rounds restored from their records do not count: the rounds
      // between them were not taken up).
      let oldest = -1;
      for (const x of this.openRounds) {
        if (this.rounds[x]!.restored) continue;
        oldest = x;
        break;
      }
      if (oldest >= 0 && r < oldest) return undefined;
    }
    if (r > current + 2) return undefined;
    if (r <= this.lastRoundOf(this.tipHeight) && this.tipHeight >= 0) return undefined;
    if (r > this.windowEnd()) return undefined;
    const rs = newRoundState(r, this.n);
    // Taken up after every honest member's vote deadline (a restart, a lag): what it gathers now may complete
    // certificates the others, closing on time, never could (decideClosed).
    if (this.now > this.voteDeadline(r) + this.manifest.params.skewMs) rs.lateHere = true;
    // Its own submission restored after a restart, in a round still open: sent again (the same signed bytes), as the
    // recorded vote is below: it may never have left, and after a power cut of every node no one else holds it.
    if (this.placeOwn(rs) && this.now < this.closeAt(r)) this.publish('submission', rs.subs[this.selfIndex]!.sub.bytes);
    if (r <= this.voteMark) {
      // Voted before a restart: never sign this round again; re-send the recorded vote if it is this round's.
      rs.voted = true;
      if (this.voteRecord && this.voteRecord.round === r && this.isVoter) {
        rs.myVote = this.voteRecord.bytes;
        this.publishVote(rs, this.voteRecord.bytes);
      }
    }
    this.rounds[r] = rs;
    let i = this.openRounds.length;
    while (i > 0 && this.openRounds[i - 1]! > r) i--;
    this.openRounds.splice(i, 0, r);
    return rs;
  }

  /**
   * The last round this node may open, vote or submit in: `maxRounds` past the last round of its last committed block
   * (back-pressure, docs/protocol.md §10 "Round window"). Rounds no committed block covers are kept, with their
   * certificates, until a block covers them; the window is what bounds them, not forgetting.
   */
  private windowEnd(): number {
    return firstRoundOf(this.manifest, this.hs.height, this.epochStart) - 1 + this.maxRounds;
  }

  private tick(): void {
    const resend = this.resendVote;
    if (resend) {
      this.resendVote = undefined;
      const own = resend.subs[this.selfIndex];
      if (!resend.closed && own) this.publish('submission', own.sub.bytes);
      if (!resend.closed && resend.myVote) this.publishVote(resend, resend.myVote);
    }
    const current = roundOf(this.manifest, this.now);
    if (current - this.nextRound > this.maxRounds) this.nextRound = current - this.maxRounds;
    const end = this.windowEnd();
    if (this.heldBack && current <= end) {
      // Block agreement has caught up: rounds resume at the current one. The rounds that passed meanwhile are not
      // taken up (this node dropped their submissions and votes, and refused its own readings): nothing to vote.
      this.heldBack = false;
      if (this.nextRound < current) this.nextRound = current;
    }
    while (this.nextRound <= current && !this.heldBack) {
      if (this.nextRound > end) {
        this.heldBack = true;
        break;
      }
      this.roundState(this.nextRound, true);
      this.nextRound++;
    }
    const list = this.openRounds.slice(0);
    let allVoted = true;
    for (const r of list) {
      const rs = this.rounds[r];
      if (!rs) continue;
      if (!rs.voted && allVoted && this.now >= this.voteDeadline(r)) this.castVote(rs);
      if (!rs.voted) allVoted = false;
      if (rs.voted && this.leaderMode && !rs.closed) {
        if (this.leaderOf(r) === this.selfIndex) {
          if (!rs.certSent && this.now >= this.certAt(r)) this.publishCertificate(rs);
        } else if (this.isVoter && !rs.certSeen && !rs.fallbackSent && rs.myVote && this.now >= this.fallbackAt(r)) {
          // The leader is silent: fall back to broadcasting the same vote (no new signature).
          rs.fallbackSent = true;
          this.publish('vote', rs.myVote);
        }
      }
      if (rs.voted && !rs.closed && this.now >= this.closeAt(r)) this.closeRound(rs);
    }
    this.blockTick();
    this.pruneRounds();
  }

  private ownReading(reading: Reading): void {
    const r = roundOf(this.manifest, reading.ts);
    if (r < 0) {
      this.emit({ type: 'refused', what: 'reading', reason: 'timestamp before genesis' });
      return;
    }
    if (r <= this.subMark) {
      this.emit({ type: 'refused', what: 'reading', reason: `a submission for round ${r} was already signed` });
      return;
    }
    if (this.refusedBehind('reading', r)) return;
    const rs = this.roundState(r, true);
    if (!rs || rs.voted) {
      this.emit({ type: 'refused', what: 'reading', reason: `round ${r} is already voted or out of the window`, round: r });
      return;
    }
    const bytes = signReading(reading, this.signer);
    this.subMark = r;
    this.persistThenPublish({ kind: 'submission', round: r, height: -1, view: -1, bytes }, 'submission', bytes);
    this.onSubmission(bytes);
  }

  private ownBatch(batch: Batch): void {
    const r = batch.round;
    if (r <= this.subMark) {
      this.emit({ type: 'refused', what: 'batch', reason: `a submission for round ${r} was already signed` });
      return;
    }
    if (this.refusedBehind('batch', r)) return;
    const rs = this.roundState(r, true);
    if (!rs || rs.voted) {
      this.emit({ type: 'refused', what: 'batch', reason: `round ${r} is already voted or out of the window`, round: r });
      return;
    }
    const bytes = signBatch(batch, this.signer, () => this.self);
    this.subMark = r;
    this.persistThenPublish({ kind: 'submission', round: r, height: -1, view: -1, bytes }, 'submission', bytes);
    this.onSubmission(bytes);
  }

  /** Refuses an own submission for a round past the round window (windowEnd): nothing is signed for it. */
  private refusedBehind(what: string, r: number): boolean {
    const end = this.windowEnd();
    if (r <= end) return false;
    const committed = end - this.maxRounds;
    this.emit({ type: 'refused', what, reason: `round ${r} is past the round window: no block covers the rounds after ${committed} (block agreement ${r - committed} rounds behind)`, round: r, behind: true });
    return true;
  }

  private message(topic: Topic, bytes: Uint8Array): void {
    if (topic === 'submission') this.onSubmission(bytes);
    else if (topic === 'vote') this.onVote(bytes);
    else if (topic === 'certificate') this.onCertificate(bytes);
    else if (topic === 'evidence') this.onEvidence(bytes);
    else if (topic === 'proposal') this.onProposal(bytes);
    else if (topic === 'block-vote') this.onBlockVote(bytes);
    else if (topic === 'timeout') this.onTimeout(bytes);
    else if (topic === 'block') this.onBlock(bytes);
    else if (topic === 'sync') this.onSync(bytes);
    else this.drop('unknown-topic');
  }

  private onSubmission(bytes: Uint8Array): void {
    const shared = this.shared;
    // Another node of the process opened these very bytes and found them validly signed: take its submission.
    const known = shared ? shared.openedSubmission(this.manifestKey, bytes) : undefined;
    if (known) this.stats.recalled++;
    // Opened from a copy when shared: what is remembered must not be a view into the transport's larger buffer.
    const o = known ? undefined : openSubmission(this.manifest, shared ? new Uint8Array(bytes) : bytes, this.hash);
    if (o && !o.ok) {
      // Not attributable to a member and round (malformed, wrong cluster, not a member): nothing to judge.
      this.drop('unattributable');
      return;
    }
    const s = known ?? o!.submission;
    const rs = this.roundState(s.round, true);
    if (!rs || (rs.closed && !this.acceptedUnheld(rs, s))) {
      // A closed round's outcomes are final: a submission that comes after it is not worth a verification (a node
      // working off a backlog sheds it here instead of falling further behind), unless it is one the round accepted
      // and this node lacks (handed over by a member that refused a block without it: the node may propose next).
      this.drop('round-not-open');
      return;
    }
    const i = s.index;
    if (!known) {
      const msg = signingInput(submissionDomain(s.kind), s.envelope.body);
      if (!this.verify(s.member.publicKey, msg, s.envelope.sig)) {
        // Anyone can forge a bad signature in a member's name: remember it only in case nothing valid comes.
        if (!rs.subs[i]) rs.badSig[i] = s.digest;
        return;
      }
      if (shared) shared.rememberSubmission(this.manifestKey, s);
    }
    const slot = rs.subs[i];
    if (!slot) {
      let reason = 0;
      if (s.reading && s.reading.ts > this.now + this.manifest.params.skewMs) reason = Reason.FUTURE;
      rs.subs[i] = { sub: s, reason, late: rs.voted };
      this.byDigest[hexKey(s.digest)] = s;
      rs.received++;
      // An accepted member's submission that came after its certificate: the round record gets it too.
      if (rs.recorded.accepted > 0 || rs.closed) this.persistRound(rs, true);
      if (!rs.voted && rs.received === this.n) this.voteEarly(rs);
      return;
    }
    if (equalBytes(slot.sub.digest, s.digest) || slot.other) return;
    slot.other = s;
    this.recordEvidence('submission', slot.sub.bytes, bytes);
  }

  /** Whether the votes held here accept exactly this submission of a member whose submission is not held. */
  private acceptedUnheld(rs: RoundState, s: Submission): boolean {
    if (rs.subs[s.index] || rs.tally[s.index]!.length === 0) return false;
    const o = this.quorum.outcome(rs.tally[s.index]!);
    return o.outcome === 'accepted' && equalBytes(o.digest, s.digest);
  }

  /** Votes as soon as every member's submission is in, if every earlier round is voted (judging runs in order). */
  private voteEarly(rs: RoundState): void {
    for (const r of this.openRounds) {
      if (r >= rs.round) break;
      if (!this.rounds[r]!.voted) return;
    }
    this.castVote(rs);
    const next = this.rounds[rs.round + 1];
    if (next && !next.voted && next.received === this.n) this.voteEarly(next);
  }

  /** Judges every member's submission of the round (docs/protocol.md, "Judging"). */
  private judge(rs: RoundState): Uint8Array {
    const records = emptyJudgments(this.n);
    const passing: Submission[] = [];
    const verdicts: number[] = [];
    for (let i = 0; i < this.n; i++) {
      verdicts.push(0);
      const slot = rs.subs[i];
      if (!slot) {
        const bad = rs.badSig[i];
        if (bad) setJudgment(records, i, Verdict.REJECT, Reason.BAD_SIGNATURE, bad);
        continue;
      }
      const s = slot.sub;
      const memory = this.memory[i]!;
      let reason: number = slot.other || this.flaggedFor(i, rs.round) ? Reason.EQUIVOCATION : slot.reason;
      if (reason === 0) reason = this.base(s, memory);
      for (let j = 0; j < this.judges.submission.length && reason === 0; j++) reason = this.judges.submission[j]!(s, memory);
      if (s.seq > memory.lastSeq) memory.lastSeq = s.seq;
      if (reason !== 0) setJudgment(records, i, Verdict.REJECT, reason, s.digest);
      else passing.push(s);
    }
    for (const judge of this.judges.round) {
      const found = judge(passing);
      for (const f of found) verdicts[f.index] = f.reason === 0 ? Reason.CROSS_CHECK : f.reason;
    }
    for (const s of passing) {
      const reason = verdicts[s.index]!;
      if (reason !== 0) setJudgment(records, s.index, Verdict.REJECT, reason, s.digest);
      else {
        setJudgment(records, s.index, Verdict.ACCEPT, Reason.OK, s.digest);
        if (s.reading) this.memory[s.index]!.lastReading = s.reading;
      }
    }
    return records;
  }

  private flaggedFor(member: number, round: number): boolean {
    return this.evidence.has(`submission:${toHex(this.manifest.members[member]!.address)}:${round}`);
  }

  private castVote(rs: RoundState): void {
    rs.voted = true;
    if (!this.isVoter) return;
    if (this.now > this.voteDeadline(rs.round) + this.manifest.params.skewMs) rs.lateHere = true;
    if (rs.round <= this.voteMark) {
      if (this.voteRecord && this.voteRecord.round === rs.round) {
        rs.myVote = this.voteRecord.bytes;
        this.publishVote(rs, this.voteRecord.bytes);
      }
      return;
    }
    const records = this.judge(rs);
    const v = signVote(this.manifest, rs.round, this.signer, this.self, records, this.hash);
    this.voteMark = rs.round;
    this.stats.votesCast++;
    rs.myVote = v.bytes;
    this.emit({ type: 'persist', record: { kind: 'vote', round: rs.round, height: -1, view: -1, bytes: v.bytes } });
    this.publishVote(rs, v.bytes);
    this.addVote(rs, this.selfIndex, records, v.root, v.sig, v.body);
  }

  private publishVote(rs: RoundState, bytes: Uint8Array): void {
    if (!this.leaderMode) this.publish('vote', bytes);
    else {
      const leader = this.leaderOf(rs.round);
      if (leader !== this.selfIndex) this.publish('vote', bytes, this.manifest.members[leader]!.address);
    }
  }

  /** Counts a dropped message under its reason. */
  private drop(reason: DropReason): void {
    this.stats.dropped++;
    this.stats.drops[reason] = (this.stats.drops[reason] ?? 0) + 1;
  }

  private onVote(bytes: Uint8Array): void {
    const d = decodeVoteMessage(bytes);
    if (!d.ok) {
      this.drop('malformed');
      return;
    }
    const m = d.message;
    const v = m.vote;
    if (v.cluster !== this.manifest.cluster || v.epoch !== this.manifest.epoch || v.n !== this.n) {
      this.drop('foreign');
      return;
    }
    const voter = memberIndex(this.manifest, v.voter);
    if (voter < 0 || this.manifest.members[voter]!.role !== 'full') {
      this.drop('not-a-voter');
      return;
    }
    const rs = this.roundState(v.round, true);
    if (!rs || rs.closed) {
      this.drop('round-not-open');
      return;
    }
    const held = rs.votes[voter];
    if (held && equalBytes(held.body, m.body)) return;
    if (this.leaderMode && !held && this.allDecided(rs)) {
      // Leader mode, every member this round's votes name decided: a further vote (one that reached the leader late,
      // or a fallback broadcast) changes no outcome, and the held votes already make the deciding certificate every
      // member holds, so it is dropped unverified. An equivocation hidden in it goes unreported. (In broadcast mode
      // every vote is kept: a block's certificates are built from its proposer's votes, and members that had dropped
      // different ones would verify them at block time, in the block's burst.)
      this.stats.surplusVotes++;
      return;
    }
    const records = this.checkedRecords(m.judgments, v.root);
    if (!records) {
      this.drop('bad-judgments');
      return;
    }
    if (!this.verify(this.manifest.members[voter]!.publicKey, voteSigningInput(m.body), m.sig)) {
      this.drop('bad-signature');
      return;
    }
    this.addVote(rs, voter, records, v.root, m.sig, m.body);
  }

  private addVote(rs: RoundState, voter: number, records: Uint8Array, root: Uint8Array, sig: Uint8Array, body: Uint8Array): void {
    const held = rs.votes[voter];
    if (held) {
      if (equalBytes(held.body, body)) return;
      this.recordEvidence('vote', voteEnvelope(held.body, held.sig), voteEnvelope(body, sig));
      return;
    }
    rs.votes[voter] = { voter, records, root, sig, body };
    if (rs.excluded[voter]) return;
    this.tallyVote(rs, records, root);
    // A closed round's outcomes are final, but a certificate handed over for it counts in what blocks must hold.
    if (rs.closed) this.persistRound(rs, true);
    this.decide(rs);
    if (this.leaderMode && !rs.certSent && this.leaderOf(rs.round) === this.selfIndex && rs.voted) {
      // The certificate goes out once it decides the round: every voter's vote is in, or every member the votes
      // name is accepted or rejected (a late voter cannot change that, and waiting for it would hold up everyone).
      let all = true;
      for (const x of this.voterIndexes) if (!rs.votes[x] && !rs.excluded[x]) all = false;
      if (all || this.allDecided(rs)) this.publishCertificate(rs);
    }
  }

  /** Whether every member with a candidate in the round's tally is accepted or rejected (and at least one is). */
  private allDecided(rs: RoundState): boolean {
    let any = false;
    for (let i = 0; i < this.n; i++) {
      if (rs.tally[i]!.length === 0) continue;
      if (rs.decided[i] !== ACCEPTED && rs.decided[i] !== REJECTED) return false;
      any = true;
    }
    return any;
  }

  private tallyVote(rs: RoundState, records: Uint8Array, root: Uint8Array): void {
    const key = hexKey(root);
    const where = rs.placed[key];
    if (where) tallyAddAgain(rs.tally, where, records);
    else {
      const w = new Int32Array(this.n);
      tallyAddRemembering(rs.tally, records, w);
      rs.placed[key] = w;
    }
  }

  /**
   * Drops a voter's votes from a round's tally (it was caught equivocating), and decides again the members whose
   * reported outcome rested on them: a block counts no vote of a voter caught equivocating in that round (§9), so an
   * `accepted` that needed the voter would stand for a reading no block may hold. Each such outcome is taken back and
   * reported again, naming what it corrects: at once if the round is closed, else when the tally reaches an outcome
   * or the round closes (docs/protocol.md §7).
   */
  private exclude(rs: RoundState, voter: number): void {
    if (rs.excluded[voter]) return;
    rs.excluded[voter] = true;
    rs.tally = emptyTally(this.n);
    rs.placed = {};
    for (const v of rs.votes) if (v && !rs.excluded[v.voter]) this.tallyVote(rs, v.records, v.root);
    let changed = false;
    for (let i = 0; i < this.n; i++) {
      const d = rs.decided[i];
      if (d !== ACCEPTED && d !== REJECTED) continue;
      const digest = rs.decidedDigest[i]!;
      const o = rs.tally[i]!.length > 0 ? this.quorum.outcome(rs.tally[i]!) : undefined;
      const kind = d === ACCEPTED ? 'accepted' : 'rejected';
      // Rejected stands while the rejects still reach t (whichever digest has the most); accepted, for the same digest.
      if (o && o.outcome === kind && (kind === 'rejected' || equalBytes((o as { digest: Uint8Array }).digest, digest))) continue;
      rs.decided[i] = 0;
      rs.decidedDigest[i] = undefined;
      changed = true;
      // An acceptance not reported yet (it completed after the round closed, and waits for its block): nothing to take
      // back, it is simply not reported.
      const late = rs.lateAccepted.findIndex((x) => x.member === i);
      if (late >= 0) {
        rs.lateAccepted.splice(late, 1);
        continue;
      }
      rs.takenBack[i] = { outcome: kind, digest };
    }
    if (!changed) return;
    // The round record follows: without the voter, before the corrected outcomes.
    this.persistRound(rs, false);
    if (!rs.closed) {
      this.decide(rs);
      return;
    }
    // A closed round takes no more votes: what the tally no longer reaches is not-enough-votes now.
    this.decideClosed(rs);
    for (const k of Object.keys(rs.takenBack)) {
      const i = Number(k);
      if (rs.decided[i]) continue;
      this.report(rs, i, UNDECIDED, rs.takenBack[i]!.digest, 0);
    }
  }

  private decide(rs: RoundState): void {
    if (rs.closed) return;
    this.decideClosed(rs);
  }

  /**
   * Reports every member the tally now accepts or rejects and that is not decided yet. New acceptances are persisted
   * first (the round record). One that completes at or after the round's close time (a restarted or lagging node taking
   * up votes the others no longer count), or in a round this node took up or voted in after every honest member's vote
   * deadline, is held like any, but its outcome waits for the block covering the round (reportLate): that block may be
   * committed without it (docs/protocol.md §7).
   */
  private decideClosed(rs: RoundState): void {
    const late = this.now >= this.closeAt(rs.round) || rs.lateHere;
    const found: { i: number; decided: number; digest: Uint8Array; reason: number }[] = [];
    let accepted = false;
    for (let i = 0; i < this.n; i++) {
      if (rs.decided[i]) continue;
      const cands = rs.tally[i]!;
      if (cands.length === 0) continue;
      const o = this.quorum.outcome(cands);
      if (o.outcome === 'accepted') {
        found.push({ i, decided: ACCEPTED, digest: o.digest, reason: 0 });
        accepted = true;
      } else if (o.outcome === 'rejected') found.push({ i, decided: REJECTED, digest: o.digest, reason: o.reason });
    }
    if (accepted) this.persistRound(rs, false);
    for (const f of found) {
      if (f.decided === ACCEPTED && late && !rs.takenBack[f.i]) {
        rs.decided[f.i] = ACCEPTED;
        rs.decidedDigest[f.i] = f.digest;
        rs.lateAccepted.push({ member: f.i, digest: f.digest });
        continue;
      }
      this.report(rs, f.i, f.decided, f.digest, f.reason);
    }
  }

  /**
   * Persists the round record (ROUND_RECORD_SCHEMA): the votes held (without excluded voters) and the submissions of
   * the members they accept. With `onlyIfGrown`, only when it would hold more accepted members or submissions than the
   * last one. Rounds no committed block covers only: a covered round has no state here.
   */
  private persistRound(rs: RoundState, onlyIfGrown: boolean): void {
    const subs: Uint8Array[] = [];
    let accepted = 0;
    for (let i = 0; i < this.n; i++) {
      if (rs.tally[i]!.length === 0) continue;
      const o = this.quorum.outcome(rs.tally[i]!);
      if (o.outcome !== 'accepted') continue;
      accepted++;
      const s = this.submissionWithDigest(rs, i, o.digest);
      if (s) subs.push(s.bytes);
    }
    // None accepted: nothing to hold, unless a record written before must be replaced (an exclusion took it back).
    if (accepted === 0 && rs.recorded.accepted === 0) return;
    if (onlyIfGrown && accepted <= rs.recorded.accepted && subs.length <= rs.recorded.subs) return;
    rs.recorded = { accepted, subs: subs.length };
    const cert = roundCertificateToCbor(buildRoundCertificate(rs.round, this.heldVotes(rs)));
    const bytes = encode({ cluster: this.manifest.cluster, epoch: this.manifest.epoch, cert, subs });
    this.emit({ type: 'persist', record: { kind: 'round', round: rs.round, height: -1, view: -1, bytes } });
  }

  /**
   * The outcomes of certificates that completed after their round's close time (decide), now that `block`, covering
   * their rounds, is committed: `accepted` for a reading it holds, `too-late` for one it does not.
   */
  private reportLate(block: CheckedBlock): void {
    const header = block.header;
    let inBlock: { [slot: string]: Submission } | undefined;
    for (let r = header.first; r <= header.last; r++) {
      const rs = this.rounds[r];
      if (!rs || rs.lateAccepted.length === 0) continue;
      if (!inBlock) {
        inBlock = {};
        for (const s of block.submissions) inBlock[`${s.round}:${s.index}`] = s;
      }
      for (const x of rs.lateAccepted) {
        const member = this.manifest.members[x.member]!.address;
        const s = inBlock[`${r}:${x.member}`];
        if (s && equalBytes(s.digest, x.digest)) this.emit({ type: 'accepted', round: r, member, digest: x.digest, submission: s.bytes });
        else this.emit({ type: 'too-late', round: r, member, digest: x.digest });
      }
      rs.lateAccepted = [];
    }
  }

  /**
   * Records and emits a member's outcome. After an outcome was taken back (exclude), the new one names it in
   * `corrects`, unless it is the same outcome for the same digest again (still true: nothing to report).
   */
  private report(rs: RoundState, i: number, decided: number, digest: Uint8Array | undefined, reason: number): void {
    rs.decided[i] = decided;
    if (decided !== UNDECIDED) rs.decidedDigest[i] = digest;
    const back = rs.takenBack[i];
    delete rs.takenBack[i];
    const kind = decided === ACCEPTED ? 'accepted' : decided === REJECTED ? 'rejected' : 'not-enough-votes';
    if (back && back.outcome === kind && (kind === 'rejected' || (digest !== undefined && equalBytes(back.digest, digest)))) return;
    const member = this.manifest.members[i]!.address;
    let e: Effect;
    if (decided === ACCEPTED) {
      e = { type: 'accepted', round: rs.round, member, digest: digest! };
      const sub = this.submissionWithDigest(rs, i, digest!);
      if (sub) e.submission = sub.bytes;
    } else if (decided === REJECTED) e = { type: 'rejected', round: rs.round, member, digest: digest!, reason };
    else {
      e = { type: 'not-enough-votes', round: rs.round, member };
      if (digest) e.digest = digest;
    }
    if (back) e.corrects = back.outcome;
    this.emit(e);
  }

  private submissionWithDigest(rs: RoundState, i: number, digest: Uint8Array): Submission | undefined {
    const slot = rs.subs[i];
    if (!slot) return undefined;
    if (equalBytes(slot.sub.digest, digest)) return slot.sub;
    if (slot.other && equalBytes(slot.other.digest, digest)) return slot.other;
    return undefined;
  }

  private closeRound(rs: RoundState): void {
    this.decide(rs);
    rs.closed = true;
    for (let i = 0; i < this.n; i++) {
      if (rs.decided[i]) continue;
      const o = this.quorum.outcome(rs.tally[i]!);
      const slot = rs.subs[i];
      const back = rs.takenBack[i];
      if (o.outcome === 'none' && !slot && !back) continue;
      const digest = o.outcome !== 'none' ? (o as { digest: Uint8Array }).digest : slot ? slot.sub.digest : back!.digest;
      this.report(rs, i, UNDECIDED, digest, 0);
    }
  }

  private heldVotes(rs: RoundState): HeldVote[] {
    const out: HeldVote[] = [];
    for (const v of rs.votes) if (v && !rs.excluded[v.voter]) out.push(v);
    return out;
  }

  private publishCertificate(rs: RoundState): void {
    rs.certSent = true;
    const votes = this.heldVotes(rs);
    if (votes.length === 0) return;
    this.publish('certificate', encodeRoundCertificate(buildRoundCertificate(rs.round, votes)));
  }

  private onCertificate(bytes: Uint8Array): void {
    const d = decodeRoundCertificate(bytes);
    if (!d.ok) {
      this.drop('malformed');
      return;
    }
    const cert = d.cert;
    const rs = this.roundState(cert.round, true);
    if (!rs) {
      this.drop('outside-window');
      return;
    }
    const s = certificateSignatures(this.manifest, cert, this.hash, this.rootOf);
    if (!s.ok) {
      this.drop('bad-certificate');
      return;
    }
    for (const c of s.checks) {
      if (!this.verify(c.publicKey, c.message, c.signature)) {
        this.drop('bad-signature');
        return;
      }
    }
    rs.certSeen = true;
    for (let k = 0; k < cert.votes.length; k++) {
      const v = cert.votes[k]!;
      const root = s.roots[v.list]!;
      const body = s.checks[k]!.message.subarray(Domain.VOTE.length + 1);
      this.addVote(rs, v.voter, cert.lists[v.list]!, root, v.sig, body);
    }
  }

  /** Forgets the rounds a committed block covers (the window keeps the others bounded: windowEnd). */
  private pruneRounds(): void {
    const lastCommitted = this.tipHeight >= 0 ? this.lastRoundOf(this.tipHeight) : -1;
    for (const k of Object.keys(this.ownSubmissions)) if (Number(k) <= lastCommitted) delete this.ownSubmissions[Number(k)];
    while (this.openRounds.length > 0) {
      const r = this.openRounds[0]!;
      const rs = this.rounds[r]!;
      if (r > lastCommitted) break;
      // An outcome taken back in a round that a block covers before it closed: the node's last word is not that one.
      for (const k of Object.keys(rs.takenBack)) this.report(rs, Number(k), UNDECIDED, rs.takenBack[Number(k)]!.digest, 0);
      for (const slot of rs.subs) if (slot) delete this.byDigest[hexKey(slot.sub.digest)];
      delete this.rounds[r];
      this.openRounds.shift();
    }
  }

  // ---- evidence ----

  private recordEvidence(kind: EvidenceKind, a: Uint8Array, b: Uint8Array): void {
    const bytes = makeEvidence(kind, a, b);
    const o = openEvidence(this.manifest, bytes, this.hash);
    if (!o.ok || this.evidence.has(o.claim.key) || !this.evidenceInWindow(o.claim)) return;
    if (this.learnEvidence(o.claim, bytes)) this.publish('evidence', bytes);
  }

  /**
   * Whether evidence is about a slot this node may still put in a block or judge (evidenceBounds): a round from the
   * window before the current block's first round up to the rounds it accepts, a height from the window below the
   * current one up to the heights whose messages it keeps.
   */
  private evidenceInWindow(claim: EvidenceClaim): boolean {
    const b = this.evidence.limits;
    if (claim.kind === 'block') return claim.slot >= this.hs.height - b.heights && claim.slot <= this.hs.height + FUTURE_HEIGHTS;
    const first = firstRoundOf(this.manifest, this.hs.height, this.epochStart);
    return claim.slot >= first - b.rounds && claim.slot <= roundOf(this.manifest, this.now) + 2;
  }

  /** Acts on verified evidence; the pool keeps its bytes for a block (returns true) unless evidenceBounds' share of
   * evidence against that member is pending already (one is enough to flag it). */
  private learnEvidence(claim: EvidenceClaim, bytes: Uint8Array): boolean {
    const keep = this.evidence.add(claim, bytes);
    this.flagged[claim.accused] = true;
    if (claim.kind === 'vote') {
      const rs = this.rounds[claim.slot];
      if (rs) this.exclude(rs, claim.accused);
    }
    this.emit({ type: 'evidence', kind: claim.kind, accused: this.manifest.members[claim.accused]!.address, slot: claim.slot, evidence: bytes });
    return keep;
  }

  private onEvidence(bytes: Uint8Array): void {
    const o = openEvidence(this.manifest, bytes, this.hash);
    if (!o.ok) {
      this.drop('malformed');
      return;
    }
    if (this.evidence.has(o.claim.key)) return;
    if (!this.evidenceInWindow(o.claim)) {
      // Checked before its signatures: a member's equivocations over any round number cost nothing here.
      this.drop('outside-window');
      return;
    }
    for (const c of o.claim.checks) {
      if (!this.verify(c.publicKey, c.message, c.signature)) {
        this.drop('bad-signature');
        return;
      }
    }
    this.learnEvidence(o.claim, bytes);
  }

  // ---- blocks ----

  private expectation(): { height: number; prev: Uint8Array; first: number } {
    return { height: this.hs.height, prev: this.tipHash, first: firstRoundOf(this.manifest, this.hs.height, this.epochStart) };
  }

  private blockTick(): void {
    const hs = this.hs;
    if (this.now < this.readyAt(hs.height)) return;
    if (!hs.entered) {
      // View 0, or the view a restarted node resumes (restore).
      hs.entered = true;
      hs.viewStart = this.now;
    }
    if (this.isVoter && this.proposerIndex(hs.height, hs.view) === this.selfIndex && !hs.proposed[hs.view]) this.propose();
    if (!this.isVoter) return;
    const early = hs.early;
    if (early && this.roundsClosed(this.lastRoundOf(hs.height))) {
      hs.early = undefined;
      this.considerPrepare(early.view, early.hash);
    }
    const mine = hs.myTimeout[hs.view];
    if (!mine && this.now >= hs.viewStart + this.viewTimeout(hs.view)) this.sendTimeout();
    else if (mine && this.now >= hs.lastTimeoutSent + this.manifest.params.timeoutMs) {
      // Messages get lost: say it again (same bytes, no new signature) until the view changes.
      hs.lastTimeoutSent = this.now;
      this.publish('timeout', mine);
    }
  }

  private proposerIndex(height: number, view: number): number {
    return memberIndex(this.manifest, proposerOf(this.manifest, height, view));
  }

  /** Assembles this node's block for the current height from its certificates (docs/protocol.md, "Proposing"). */
  private buildBlock(): Content | undefined {
    const m = this.manifest;
    const height = this.hs.height;
    const first = firstRoundOf(m, height, this.epochStart);
    const last = first + m.params.blockRounds - 1;
    const pooled = this.evidence.forBlock(this.hash, height, first, last);
    const evidence = pooled.evidence;
    const claims = pooled.claims;
    const certs: RoundCertificate[] = [];
    for (let r = first; r <= last; r++) {
      const rs = this.rounds[r];
      if (!rs || this.labCensor) continue;
      const votes = this.heldVotes(rs);
      if (votes.length > 0) certs.push(buildRoundCertificate(r, votes));
    }
    const counted = countCertificates(m, first, last, certs, excludedVoters(claims));
    const subs: Uint8Array[] = [];
    for (const c of certs) {
      const rs = this.rounds[c.round]!;
      const tally = counted.tallies[c.round]!;
      const summary = counted.summaries[c.round - first]!;
      for (let i = 0; i < this.n; i++) {
        const o = this.quorum.outcome(tally[i]!);
        if (o.outcome !== 'accepted') continue;
        const s = this.submissionWithDigest(rs, i, o.digest);
        if (!s) continue;
        subs.push(s.bytes);
        summary.accepted++;
        if (s.reading) addReadingToSummary(summary, s.reading);
      }
    }
    const bodyBytes = encodeBody({ v: BLOCK_VERSION, submissions: subs, certs, evidence });
    const header: BlockHeader = {
      v: BLOCK_VERSION,
      cluster: m.cluster,
      epoch: m.epoch,
      height,
      prev: this.tipHash,
      first,
      last,
      root: merkleRoot(this.hash, subs),
      count: subs.length,
      rounds: counted.summaries,
      body: this.hash(bodyBytes),
      proposer: this.self,
    };
    const headerBytes = encodeHeader(header);
    // Check it as every member will: a bug here must not go out as a block.
    const verdict = inspectBlock(m, this.hash, headerBytes, bodyBytes, undefined, this.expectation(), () => true, this.knownSubmission(), this.rootOf);
    if (!verdict.ok) throw consensusError('BAD_BLOCK', `consensus node: built an invalid block: ${verdict.reason}`);
    return { header: headerBytes, body: bodyBytes, hash: verdict.block.hash, checked: verdict.block };
  }

  private highestTimeoutLock(entries: TimeoutEntry[]): TimeoutEntry | undefined {
    let best: TimeoutEntry | undefined;
    for (const e of entries) if (e.lockView !== null && (!best || e.lockView > best.lockView!)) best = e;
    return best;
  }

  private propose(): void {
    const hs = this.hs;
    hs.proposed[hs.view] = true;
    const view = hs.view;
    let content: Content | undefined;
    let lockCert: BlockCertificate | null = null;
    const entries: TimeoutEntry[] = [];
    if (view > 0) {
      const tv = hs.timeouts[view - 1] ?? {};
      for (const k of Object.keys(tv)) entries.push(tv[Number(k)]!);
      entries.sort((a, b) => a.voter - b.voter);
      if (!this.quorum.reached(entries.length)) return;
      entries.splice(this.quorum.t);
      const best = this.highestTimeoutLock(entries);
      if (this.lock && (!best || this.lock.view >= best.lockView!)) {
        content = this.lock.content;
        lockCert = this.lock.cert;
      } else if (best) {
        content = hs.contents[hexKey(best.lock!)];
        lockCert = best.cert ?? null;
        if (!content || !lockCert) return;
      }
    } else if (this.lock) {
      content = this.lock.content;
      lockCert = this.lock.cert;
    }
    if (!content) content = this.buildBlock();
    if (!content) return;
    hs.contents[hexKey(content.hash)] = content;
    const vote = this.signBlockVote(Phase.PREPARE, view, content.hash, false);
    if (!vote) return;
    this.stats.proposals++;
    const timeouts: CborValue[] = [];
    for (const e of entries) timeouts.push([e.voter, e.lockView, e.lock, e.sig]);
    const lock = lockCert ? blockCertificateToCbor(lockCert) : null;
    hs.fullProposals[view] = encode({ header: content.header, body: content.body, view, vote, timeouts, lock });
    this.publish('proposal', encode({ header: content.header, compact: compactBody(content.checked), view, vote, timeouts, lock }));
    this.countBlockVote(Phase.PREPARE, view, content.hash, this.selfIndex, vote);
  }

  /** Signs a block vote unless it would sign below or at its mark; persists it; returns the message bytes. */
  private signBlockVote(phase: number, view: number, block: Uint8Array, publish: boolean): Uint8Array | undefined {
    const h = this.hs.height;
    if (markBelow(h, view, phase, this.blockMark)) {
      const same = this.hs.signedBy[`${phase}:${view}:${this.selfIndex}`];
      return same && same.hash === hexKey(block) ? same.bytes : undefined;
    }
    const v = signBlockVote(this.manifest, h, view, phase, block, this.self, this.signer);
    this.blockMark = { height: h, view, phase };
    const record: PersistRecord = { kind: phase === Phase.PREPARE ? 'prepare' : 'commit', round: -1, height: h, view, bytes: v.bytes };
    this.emit({ type: 'persist', record });
    if (publish) this.publish('block-vote', v.bytes);
    return v.bytes;
  }

  private heightOfHeader(header: Uint8Array): number {
    const h = decodeHeader(header);
    return h.ok ? h.header.height : -1;
  }

  /**
   * Keeps a message for a later height, signed by `signer` (the caller has verified its signature): only for the next
   * FUTURE_HEIGHTS heights, at most FUTURE_PER_HEIGHT messages per signer and height, one proposal per signer and
   * height, no proposal larger than a valid one can be. Whatever a peer sends, the buffer holds at most
   * voters × FUTURE_HEIGHTS × (proposalLimit + 3 small messages) bytes (docs/protocol.md §10, step 6).
   */
  private bufferFuture(height: number, topic: Topic, bytes: Uint8Array, signer: number): void {
    if (height > this.seenHeight) this.seenHeight = height;
    this.askSync([signer]);
    const refused = this.future.offer(this.hs.height, height, topic, bytes, signer);
    if (refused) this.drop(refused);
  }

  /**
   * Asks for the block at this node's height, at most once per timeoutMs: each time of members − t + 1 distinct full
   * members, so that one correct member is among them while at most members − t are faulty. The members named (the
   * signers of what showed the block exists) come first, in turn, then the other full members in turn. One faulty
   * member alone, named again and again (a flooder of later-height messages), can no longer take every ask
   * (docs/protocol.md §10, step 6).
   */
  private askSync(named: number[]): void {
    const hs = this.hs;
    // The candidates come from a frame not yet verified: only full members are asked (voter 999 names no one).
    const askable = (i: number) => i >= 0 && i < this.n && i !== this.selfIndex && this.manifest.members[i]!.role === 'full';
    const candidates: number[] = [];
    for (const i of named) if (askable(i) && !candidates.includes(i)) candidates.push(i);
    if (candidates.length === 0 || this.now < hs.syncAskedAt + this.manifest.params.timeoutMs) return;
    hs.syncAskedAt = this.now;
    const want = this.quorum.oneCorrect;
    const asked: number[] = [];
    for (let k = 0; k < candidates.length && asked.length < want; k++) asked.push(candidates[(hs.syncTurn + k) % candidates.length]!);
    const others = this.voterIndexes.filter((i) => askable(i) && !asked.includes(i));
    for (let k = 0; k < others.length && asked.length < want; k++) asked.push(others[(hs.syncTurn + k) % others.length]!);
    hs.syncTurn++;
    const request = this.syncRequest(hs.height, undefined);
    for (const i of asked) this.publish('sync', request, this.manifest.members[i]!.address);
  }

  /** A signed sync request (no slot to persist: it commits the node to nothing). */
  private syncRequest(height: number, view: number | undefined): Uint8Array {
    const o: { [key: string]: CborValue } = { cluster: this.manifest.cluster, epoch: this.manifest.epoch, height, from: this.self };
    if (view !== undefined) o['view'] = view;
    const body = encode(o);
    return encode({ body, sig: this.signer.sign(signingInput(Domain.SYNC, body)) });
  }

  private onProposal(bytes: Uint8Array): void {
    const d = decodeProposalMessage(bytes);
    if (!d.ok) {
      this.drop('malformed');
      return;
    }
    const p = d.value;
    if ((p.body === undefined) === (p.compact === undefined)) {
      this.drop('malformed');
      return;
    }
    const hs = this.hs;
    const height = this.heightOfHeader(p.header);
    if (height < 0) {
      this.drop('bad-header');
      return;
    }
    const proposer = this.proposerIndex(height, p.view);
    if (height < hs.height) return;
    const hash = this.hash(p.header);
    // The proposer's prepare vote signs the proposal.
    const sv = decodeSigned(p.vote);
    if (!sv.ok) return;
    const bv = decodeBlockVote(sv.body);
    if (!bv.ok) return;
    const vote = bv.vote;
    if (vote.phase !== Phase.PREPARE || vote.height !== height || vote.view !== p.view || !equalBytes(vote.block, hash) || !equalBytes(vote.voter, this.manifest.members[proposer]!.address)) {
      this.drop('bad-proposer-vote');
      return;
    }
    if (vote.cluster !== this.manifest.cluster || vote.epoch !== this.manifest.epoch) return;
    if (!this.verify(this.manifest.members[proposer]!.publicKey, signingInput(Domain.BLOCK, sv.body), sv.sig)) {
      this.drop('bad-signature');
      return;
    }
    if (height > hs.height) {
      // Kept only once its proposer's signature is checked (the check is remembered for when it is taken up).
      this.bufferFuture(height, 'proposal', bytes, proposer);
      return;
    }
    // Justification of a view change: t timeouts for the view before, and the prepare certificate of the lock.
    const lockCert = p.lock === null ? null : blockCertificateFromCbor(p.lock);
    if (p.view > 0) {
      const ok = this.checkJustification(height, p.view, hash, p.timeouts, lockCert);
      if (!ok) {
        this.drop('bad-justification');
        return;
      }
    }
    const key = hexKey(hash);
    if (!hs.contents[key]) {
      const body = p.body ?? this.sharedBody(hash) ?? this.expand(p.compact!);
      if (body === undefined) {
        // A submission it names is not held here (this node was away, or the proposer holds a second submission of
        // a member): ask the proposer for the whole proposal.
        this.askProposal(height, p.view, proposer);
        return;
      }
      const verdict = this.inspectProposal(p.header, body, hash);
      if (!verdict.ok) {
        this.drop('bad-block');
        return;
      }
      hs.contents[key] = { header: p.header, body, hash, checked: verdict.block };
    }
    this.countBlockVote(Phase.PREPARE, p.view, hash, proposer, p.vote);
    this.compareWithBlock(hs.contents[key]!.checked);
    if (p.view > hs.view) this.enterView(p.view);
    if (p.view !== hs.view || !this.isVoter) return;
    // Locked on another block: prepare only when the justification shows a lock at least as recent.
    if (this.lock && !equalBytes(this.lock.hash, hash) && (!lockCert || lockCert.view < this.lock.view)) return;
    if (lockCert !== null || (this.lock && equalBytes(this.lock.hash, hash))) hs.justified[key] = true;
    this.considerPrepare(p.view, hash);
  }

  /**
   * Prepares a proposed block this node holds, unless it covers rounds still open here (the proposal is kept and
   * considered when they close) or leaves out a reading this node holds an acceptance certificate for (refused, and
   * the certificates handed over). A block re-proposed under its prepare certificate is prepared whatever it holds:
   * t members prepared it, one of them may have committed it, and refusing it could stall the cluster for good
   * (docs/protocol.md §10, "What a member prepares").
   */
  private considerPrepare(view: number, hash: Uint8Array): void {
    const hs = this.hs;
    const key = hexKey(hash);
    const content = hs.contents[key];
    if (!content || view !== hs.view || !this.isVoter) return;
    if (!hs.justified[key]) {
      if (!this.roundsClosed(content.checked.header.last)) {
        hs.early = { view, hash };
        return;
      }
      const missing = this.missingAccepted(content.checked);
      if (missing.length > 0) {
        this.refuseProposal(view, missing);
        return;
      }
    }
    const mine = this.signBlockVote(Phase.PREPARE, view, hash, true);
    if (mine) this.countBlockVote(Phase.PREPARE, view, hash, this.selfIndex, mine);
  }

  /** Whether every round up to `last` is closed here: by this node's clock, and in its state. */
  private roundsClosed(last: number): boolean {
    if (this.now < this.closeAt(last)) return false;
    for (const r of this.openRounds) if (r <= last && !this.rounds[r]!.closed) return false;
    return true;
  }

  /**
   * The readings this node holds an acceptance certificate for (t accept votes it holds for one digest, without the
   * voters it knows equivocated and those the block's evidence names) and the submission of, in the block's rounds,
   * that the block leaves out. A certificate without its submission is not one: this node cannot hand the reading
   * over, and if no member holds it any more (lost in a power cut of every node) no block could hold it and refusing
   * would stall the cluster for good (docs/protocol.md §10).
   */
  private missingAccepted(block: CheckedBlock): { round: number; member: number; digest: Uint8Array }[] {
    const inBlock: { [slot: string]: string } = {};
    for (const s of block.submissions) inBlock[`${s.round}:${s.index}`] = hexKey(s.digest);
    const excluded = excludedVoters(block.evidence);
    const missing: { round: number; member: number; digest: Uint8Array }[] = [];
    for (let r = block.header.first; r <= block.header.last; r++) {
      const rs = this.rounds[r];
      if (!rs) continue;
      let tally = rs.tally;
      const ex = excluded[r];
      if (ex) {
        const votes: HeldVote[] = [];
        for (const v of this.heldVotes(rs)) if (!ex[v.voter]) votes.push(v);
        tally = votes.length > 0 ? tallyCertificate(this.n, buildRoundCertificate(r, votes), undefined) : emptyTally(this.n);
      }
      for (let i = 0; i < this.n; i++) {
        if (tally[i]!.length === 0) continue;
        const o = this.quorum.outcome(tally[i]!);
        if (o.outcome !== 'accepted') continue;
        if (inBlock[`${r}:${i}`] !== hexKey(o.digest) && this.submissionWithDigest(rs, i, o.digest)) missing.push({ round: r, member: i, digest: o.digest });
      }
    }
    return missing;
  }

  /**
   * Refuses a proposal that leaves out readings this node holds certificates for, and hands them over (once per
   * view): the round certificates and the submissions it holds, to everyone, so that the next proposer, and every
   * member, holds them too.
   */
  private refuseProposal(view: number, missing: { round: number; member: number; digest: Uint8Array }[]): void {
    const hs = this.hs;
    const first = missing[0]!;
    this.emit({ type: 'refused', what: 'proposal', reason: `block ${hs.height} view ${view} leaves out ${missing.length} accepted reading(s), the first of member ${first.member} in round ${first.round}` });
    if (hs.handedOver[view]) return;
    hs.handedOver[view] = true;
    let lastRound = -1;
    for (const x of missing) {
      const rs = this.rounds[x.round]!;
      if (x.round !== lastRound) {
        lastRound = x.round;
        this.publish('certificate', encodeRoundCertificate(buildRoundCertificate(x.round, this.heldVotes(rs))));
      }
      const sub = this.submissionWithDigest(rs, x.member, x.digest);
      if (sub) this.publish('submission', sub.bytes);
    }
  }

  /** The body of a proposed block another node of this process has checked where this node expects the block. */
  private sharedBody(hash: Uint8Array): Uint8Array | undefined {
    if (!this.shared) return undefined;
    return this.shared.blocks.get(this.proposalKey(hash))?.body;
  }

  private proposalKey(hash: Uint8Array): string {
    const expect = this.expectation();
    return `${this.manifestKey}:${expect.height}:${toHex(expect.prev)}:${expect.first}:${hexKey(hash)}`;
  }

  /** The body a compact proposal names, put together from the submissions this node holds; undefined if one is not
   * held or the compact body is malformed (the header's body hash is checked afterwards, as for any body). */
  private expand(compact: Uint8Array): Uint8Array | undefined {
    const d = decodeCompactBody(compact);
    if (!d.ok) return undefined;
    const o = d.value;
    const submissions: Uint8Array[] = [];
    for (const digest of o.subs) {
      const s = this.byDigest[hexKey(digest)];
      if (!s) return undefined;
      submissions.push(s.bytes);
    }
    const certs: RoundCertificate[] = [];
    for (const c of o.certs) certs.push(roundCertificateFromCbor(c));
    return encodeBody({ v: o.v, submissions, certs, evidence: o.evidence });
  }

  private askProposal(height: number, view: number, proposer: number): void {
    const hs = this.hs;
    if (hs.askedProposal[view] || proposer === this.selfIndex) return;
    hs.askedProposal[view] = true;
    this.publish('sync', this.syncRequest(height, view), this.manifest.members[proposer]!.address);
  }

  /**
   * Checks a proposed block where this node expects the next one. With checks shared by the nodes of a process, the
   * first node to check a block records the verdict, and the others take it when they expect the block at the same
   * place (manifest, height, previous block, first round) and hold the same body: the verdict depends on nothing else.
   */
  private inspectProposal(header: Uint8Array, body: Uint8Array, hash: Uint8Array): BlockVerdict {
    const expect = this.expectation();
    const shared = this.shared;
    const key = shared ? this.proposalKey(hash) : '';
    if (shared) {
      const hit = shared.blocks.get(key);
      if (hit && equalBytes(hit.body, body)) return { ok: true, block: hit.block };
    }
    const verdict = inspectBlock(this.manifest, this.hash, header, body, undefined, expect, this.oracle(), this.knownSubmission(), this.rootOf);
    if (shared && verdict.ok) shared.blocks.set(key, { body, block: verdict.block });
    return verdict;
  }

  /**
   * A block shows the votes and submissions its proposer holds: one that differs from what this node holds for the
   * same voter or member and round was signed twice, which no one node could see before.
   */
  private compareWithBlock(block: CheckedBlock): void {
    for (let i = 0; i < block.body.certs.length; i++) {
      const c = block.body.certs[i]!;
      const rs = this.rounds[c.round];
      if (!rs) continue;
      for (const v of c.votes) {
        const held = rs.votes[v.voter];
        if (!held) continue;
        const root = block.certRoots[i]![v.list]!;
        if (equalBytes(root, held.root)) continue;
        const body = voteBodyFor(this.manifest, c.round, this.manifest.members[v.voter]!.address, root);
        this.recordEvidence('vote', voteEnvelope(held.body, held.sig), voteEnvelope(body, v.sig));
      }
    }
    for (const sub of block.submissions) {
      const rs = this.rounds[sub.round];
      const slot = rs ? rs.subs[sub.index] : undefined;
      if (slot && !equalBytes(slot.sub.digest, sub.digest) && !slot.other) {
        slot.other = sub;
        this.recordEvidence('submission', slot.sub.bytes, sub.bytes);
      }
    }
  }

  private checkJustification(height: number, view: number, hash: Uint8Array, timeouts: [number, number | null, Uint8Array | null, Uint8Array][], lockCert: BlockCertificate | null): boolean {
    if (!this.quorum.reached(timeouts.length)) return false;
    let highest = -1;
    for (let i = 0; i < timeouts.length; i++) {
      const e = timeouts[i]!;
      const voter = e[0];
      if (i > 0 && timeouts[i - 1]![0] >= voter) return false;
      if (voter >= this.n || this.manifest.members[voter]!.role !== 'full') return false;
      if ((e[1] === null) !== (e[2] === null)) return false;
      const body = timeoutBody(this.manifest, height, view - 1, this.manifest.members[voter]!.address, e[1], e[2]);
      if (!this.verify(this.manifest.members[voter]!.publicKey, timeoutSigningInput(body), e[3])) return false;
      if (e[1] !== null && e[1] > highest) highest = e[1];
    }
    if (lockCert === null) return highest < 0;
    if (lockCert.view < highest || !equalBytes(lockCert.block, hash)) return false;
    return checkBlockCertificate(this.manifest, lockCert, Phase.PREPARE, height, hash, this.oracle()) === '';
  }

  private enterView(view: number): void {
    const hs = this.hs;
    if (view <= hs.view && hs.entered) return;
    hs.entered = true;
    hs.view = view;
    hs.viewStart = this.now;
    if (this.isVoter && this.proposerIndex(hs.height, view) === this.selfIndex && !hs.proposed[view]) this.propose();
  }

  private onBlockVote(bytes: Uint8Array): void {
    const sv = decodeSigned(bytes);
    if (!sv.ok) {
      this.drop('malformed');
      return;
    }
    const bv = decodeBlockVote(sv.body);
    if (!bv.ok) {
      this.drop('malformed');
      return;
    }
    const v = bv.vote;
    if (v.cluster !== this.manifest.cluster || v.epoch !== this.manifest.epoch) return;
    const voter = memberIndex(this.manifest, v.voter);
    if (voter < 0 || this.manifest.members[voter]!.role !== 'full') return;
    if (v.height < this.hs.height) return;
    if (v.height > this.hs.height) {
      if (!this.verify(this.manifest.members[voter]!.publicKey, signingInput(Domain.BLOCK, sv.body), sv.sig)) this.drop('bad-signature');
      else this.bufferFuture(v.height, 'block-vote', bytes, voter);
      return;
    }
    // A prepare vote for a block that already has its prepare quorum changes nothing here: it is not verified (the
    // commit votes follow; an equivocation among such surplus votes goes unnoticed, which costs no safety).
    if (v.phase === Phase.PREPARE && this.quorum.reached(this.hs.counts.get(`${Phase.PREPARE}:${v.view}:${hexKey(v.block)}`))) {
      this.stats.surplus++;
      return;
    }
    if (!this.verify(this.manifest.members[voter]!.publicKey, signingInput(Domain.BLOCK, sv.body), sv.sig)) {
      this.drop('bad-signature');
      return;
    }
    this.countBlockVote(v.phase, v.view, v.block, voter, bytes);
  }

  /** Counts a verified block vote; two different ones from one voter for one slot become evidence. */
  private countBlockVote(phase: number, view: number, block: Uint8Array, voter: number, bytes: Uint8Array): void {
    const hs = this.hs;
    const slot = `${phase}:${view}:${voter}`;
    const key = hexKey(block);
    const prior = hs.signedBy[slot];
    if (prior) {
      if (prior.hash !== key) this.recordEvidence('block', prior.bytes, bytes);
      if (prior.hash !== key || voter !== this.selfIndex) return;
    }
    hs.signedBy[slot] = { hash: key, bytes };
    const table = phase === Phase.PREPARE ? hs.prepares : hs.commits;
    if (!table[view]) table[view] = {};
    const byHash = table[view]!;
    if (!byHash[key]) byHash[key] = {};
    const sigs = byHash[key]!;
    if (sigs[voter]) return;
    const d = decodeSigned(bytes);
    if (!d.ok) return;
    sigs[voter] = d.sig;
    if (!this.quorum.reached(hs.counts.add(`${phase}:${view}:${key}`))) return;
    if (phase === Phase.PREPARE) this.onPrepared(view, block);
    else this.onCommitQuorum(view, block);
  }

  private certificateOf(phase: number, view: number, block: Uint8Array): BlockCertificate {
    const table = phase === Phase.PREPARE ? this.hs.prepares : this.hs.commits;
    const sigs = table[view]![hexKey(block)]!;
    const votes: { voter: number; sig: Uint8Array }[] = [];
    for (const k of Object.keys(sigs)) votes.push({ voter: Number(k), sig: sigs[Number(k)]! });
    votes.sort((a, b) => a.voter - b.voter);
    return { phase, height: this.hs.height, view, block, votes };
  }

  private onPrepared(view: number, block: Uint8Array): void {
    const hs = this.hs;
    const content = hs.contents[hexKey(block)];
    if (!content || !this.isVoter) return;
    if (!this.lock || this.lock.view < view) {
      const cert = this.certificateOf(Phase.PREPARE, view, block);
      this.lock = { view, hash: block, cert, content };
      const bytes = encode({ cert: blockCertificateToCbor(cert), header: content.header, body: content.body });
      this.emit({ type: 'persist', record: { kind: 'lock', round: -1, height: hs.height, view, bytes } });
    }
    if (view < hs.view) return;
    // The commit vote follows this node's own prepare; without one, the block must pass what a prepare checks.
    const key = hexKey(block);
    const own = hs.signedBy[`${Phase.PREPARE}:${view}:${this.selfIndex}`];
    if (!(own && own.hash === key) && !hs.justified[key] && (!this.roundsClosed(content.checked.header.last) || this.missingAccepted(content.checked).length > 0)) return;
    const mine = this.signBlockVote(Phase.COMMIT, view, block, true);
    if (mine) this.countBlockVote(Phase.COMMIT, view, block, this.selfIndex, mine);
  }

  private onCommitQuorum(view: number, block: Uint8Array): void {
    const hs = this.hs;
    const content = hs.contents[hexKey(block)];
    const cert = this.certificateOf(Phase.COMMIT, view, block);
    if (!content) {
      const signers: number[] = [];
      for (const v of cert.votes) signers.push(v.voter);
      this.askSync(signers);
      return;
    }
    this.commit(content, cert, this.proposerIndex(hs.height, view) === this.selfIndex);
  }

  private commit(content: Content, cert: BlockCertificate, announce: boolean): void {
    const stored = encodeStoredBlock({ header: content.header, body: content.body, commit: cert });
    const header = content.checked.header;
    const own: number[] = [];
    const readings: { meter: Uint8Array; seq: number }[] = [];
    for (const s of content.checked.submissions) {
      if (s.index === this.selfIndex && s.reading) own.push(s.reading.seq);
      readings.push({ meter: s.member.address, seq: s.firstSeq });
    }
    this.reportLate(content.checked);
    this.emit({ type: 'committed', height: header.height, view: cert.view, hash: content.hash, block: stored, submissions: content.checked.submissions.length, last: header.last, own, readings });
    if (announce) this.publish('block', encode({ header: content.header, commit: blockCertificateToCbor(cert) }));
    this.stats.blocksCommitted++;
    this.tipHeight = header.height;
    this.tipHash = content.hash;
    this.blocks[header.height] = stored;
    delete this.blocks[header.height - this.keepBlocks];
    this.evidence.committedAt(
      header.height,
      content.checked.evidence.map((c) => c.key),
      firstRoundOf(this.manifest, header.height + 1, this.epochStart),
    );
    this.lock = null;
    this.hs = newHeight(header.height + 1);
    this.pruneRounds();
    const buffered = this.future.drain();
    let ahead = false;
    for (const f of buffered) {
      if (f.height === this.hs.height) this.message(f.topic, f.bytes);
      else if (f.height > this.hs.height) {
        this.future.keep(f);
        ahead = true;
      }
    }
    if (ahead && this.hs.height === header.height + 1) this.hs.syncAskedAt = -NEVER;
    // Still behind a height some member signed for: ask for the next block now, not at the next message of a later
    // height (one block per message would let a node held back by the round window fall further behind). The member
    // asked rotates with the height, so that each answers a share within its SYNC_ANSWERS per timeoutMs.
    if (this.seenHeight > this.hs.height && this.hs.height === header.height + 1 && this.hs.syncAskedAt === -NEVER) {
      const others: number[] = [];
      for (const i of this.voterIndexes) if (i !== this.selfIndex) others.push(i);
      if (others.length > 0) {
        this.hs.syncAskedAt = this.now;
        this.publish('sync', this.syncRequest(this.hs.height, undefined), this.manifest.members[others[this.hs.height % others.length]!]!.address);
      }
    }
  }

  private sendTimeout(): void {
    const hs = this.hs;
    const view = hs.view;
    if (this.timeoutMark.height > hs.height || (this.timeoutMark.height === hs.height && this.timeoutMark.view >= view)) return;
    const lock = this.lock;
    const body = timeoutBody(this.manifest, hs.height, view, this.self, lock ? lock.view : null, lock ? lock.hash : null);
    const sig = this.signer.sign(timeoutSigningInput(body));
    const bytes = encode({ body, sig, cert: lock ? blockCertificateToCbor(lock.cert) : null });
    this.timeoutMark = { height: hs.height, view };
    hs.myTimeout[view] = bytes;
    hs.lastTimeoutSent = this.now;
    this.stats.timeouts++;
    this.persistThenPublish({ kind: 'timeout', round: -1, height: hs.height, view, bytes }, 'timeout', bytes);
    this.countTimeout({ voter: this.selfIndex, bytes, lockView: lock ? lock.view : null, lock: lock ? lock.hash : null, sig, cert: lock ? lock.cert : undefined }, view);
  }

  private onTimeout(bytes: Uint8Array): void {
    const d = decodeTimeoutMessage(bytes);
    if (!d.ok) {
      this.drop('malformed');
      return;
    }
    const o = d.value;
    const t = decodeTimeout(o.body);
    if (!t.ok) {
      this.drop('malformed');
      return;
    }
    const tm: Timeout = t.timeout;
    if (tm.cluster !== this.manifest.cluster || tm.epoch !== this.manifest.epoch) return;
    const voter = memberIndex(this.manifest, tm.voter);
    if (voter < 0 || this.manifest.members[voter]!.role !== 'full') return;
    if (tm.height < this.hs.height) return;
    if (tm.height > this.hs.height) {
      if (!this.verify(this.manifest.members[voter]!.publicKey, timeoutSigningInput(o.body), o.sig)) this.drop('bad-signature');
      else this.bufferFuture(tm.height, 'timeout', bytes, voter);
      return;
    }
    const existing = this.hs.timeouts[tm.view];
    const known = existing ? existing[voter] : undefined;
    if (known) {
      // The same timeout again from a member still in a view this node has left (it restarted, or missed the
      // timeouts that moved the others on): it gets them.
      if (tm.view < this.hs.view && equalBytes(known.bytes, bytes)) this.answerLagging(tm.view, voter);
      return;
    }
    if (!this.verify(this.manifest.members[voter]!.publicKey, timeoutSigningInput(o.body), o.sig)) {
      this.drop('bad-signature');
      return;
    }
    let cert: BlockCertificate | undefined;
    if (tm.lock !== undefined) {
      if (o.cert === null) return;
      cert = blockCertificateFromCbor(o.cert);
      if (cert.view !== tm.lockView || checkBlockCertificate(this.manifest, cert, Phase.PREPARE, tm.height, tm.lock, this.oracle()) !== '') {
        this.drop('bad-certificate');
        return;
      }
    }
    const entry: TimeoutEntry = { voter, bytes, lockView: tm.lockView ?? null, lock: tm.lock ?? null, sig: o.sig };
    if (cert) entry.cert = cert;
    this.countTimeout(entry, tm.view);
    if (tm.view < this.hs.view) this.answerLagging(tm.view, voter);
  }

  /**
   * Re-sends the t timeouts of `view` that moved this node past it (the signers' own bytes, no new signature), at most
   * once per timeoutMs: a restarted member resumes the view of its last signature, and without them would wait for
   * timeouts no one sends again, as those who moved on re-send only their latest. Only the n − t + 1 members after the
   * lagging one (in manifest order) answer, so that one correct member does while at most n − t are faulty: at 64
   * members 22 answers of t timeouts each, not 63.
   */
  private answerLagging(view: number, lagging: number): void {
    const hs = this.hs;
    if (!this.quorum.answersLagging(this.selfIndex, lagging)) return;
    if (this.now < hs.lastLagAnswer + this.manifest.params.timeoutMs) return;
    const tv = hs.timeouts[view];
    if (!tv) return;
    const entries: TimeoutEntry[] = [];
    for (const k of Object.keys(tv)) entries.push(tv[Number(k)]!);
    if (!this.quorum.reached(entries.length)) return;
    hs.lastLagAnswer = this.now;
    entries.sort((a, b) => a.voter - b.voter);
    for (let i = 0; i < this.quorum.t; i++) this.publish('timeout', entries[i]!.bytes);
  }

  private countTimeout(entry: TimeoutEntry, view: number): void {
    const hs = this.hs;
    if (!hs.timeouts[view]) hs.timeouts[view] = {};
    const tv = hs.timeouts[view]!;
    if (tv[entry.voter]) return;
    tv[entry.voter] = entry;
    const count = hs.counts.add(`t:${view}`);
    if (this.quorum.reached(count) && view >= hs.view) this.enterView(view + 1);
    // n − t + 1 timeouts for the view this node is in: at least one correct member gave it up (at most n − t are
    // faulty), so this one gives it up too, at once, instead of waiting out its own timer. A member back from a
    // restart or a full disk, whose timer starts late, would otherwise hold the view change one view timeout longer.
    else if (this.quorum.includesCorrect(count) && view === hs.view && hs.entered && this.isVoter) this.sendTimeout();
  }

  private onBlock(bytes: Uint8Array): void {
    const s = decodeStoredBlock(bytes);
    if (!s.ok) {
      this.onCommitNotice(bytes);
      return;
    }
    const height = this.heightOfHeader(s.block.header);
    if (height < this.hs.height) return;
    if (height > this.hs.height) {
      // Not kept (a stored block is as large as blocks come, and checking it takes t signatures): this node asks for
      // the blocks it lacks, one by one, from the signers.
      const signers: number[] = [];
      for (const v of s.block.commit.votes) signers.push(v.voter);
      this.askSync(signers);
      return;
    }
    // The block this node has checked already (it came as a proposal): only its commit certificate is new. The body
    // committed is the one checked, which the header names by its hash.
    const hash = this.hash(s.block.header);
    const held = this.hs.contents[hexKey(hash)];
    if (held) {
      if (checkBlockCertificate(this.manifest, s.block.commit, Phase.COMMIT, height, hash, this.oracle()) !== '') {
        this.drop('bad-certificate');
        return;
      }
      this.commit(held, s.block.commit, false);
      return;
    }
    const verdict = inspectBlock(this.manifest, this.hash, s.block.header, s.block.body, s.block.commit, this.expectation(), this.oracle(), this.knownSubmission(), this.rootOf);
    if (!verdict.ok) {
      this.drop('bad-block');
      return;
    }
    const content: Content = { header: s.block.header, body: s.block.body, hash: verdict.block.hash, checked: verdict.block };
    this.commit(content, s.block.commit, false);
  }

  /** A committed block's header and commit certificate: committed here if this node holds the block it names. */
  private onCommitNotice(bytes: Uint8Array): void {
    const d = decodeCommitNotice(bytes);
    const height = d.ok ? this.heightOfHeader(d.value.header) : -1;
    if (!d.ok || height < 0) {
      this.drop('malformed');
      return;
    }
    const o = d.value;
    if (height < this.hs.height) return;
    const cert = blockCertificateFromCbor(o.commit);
    const signers: number[] = [];
    for (const v of cert.votes) if (v.voter < this.n) signers.push(v.voter);
    if (height > this.hs.height) {
      this.askSync(signers);
      return;
    }
    const hash = this.hash(o.header);
    const held = this.hs.contents[hexKey(hash)];
    if (checkBlockCertificate(this.manifest, cert, Phase.COMMIT, height, hash, this.oracle()) !== '') {
      this.drop('bad-certificate');
      return;
    }
    if (held) this.commit(held, cert, false);
    else this.askSync(signers);
  }

  /**
   * Answers a member's signed sync request, at most SYNC_ANSWERS times per timeoutMs per member (an answer may be a
   * block read from disk), after at most SYNC_CHECKS signature checks per timeoutMs of requests in its name.
   */
  private onSync(bytes: Uint8Array): void {
    const d = decodeSyncMessage(bytes);
    const b = d.ok ? decodeSyncBody(d.value.body) : d;
    if (!d.ok || !b.ok) {
      this.drop('malformed');
      return;
    }
    const m = d.value;
    const o = b.value;
    const requester = memberIndex(this.manifest, o.from);
    if (requester < 0 || requester === this.selfIndex || o.cluster !== this.manifest.cluster || o.epoch !== this.manifest.epoch) {
      this.drop('foreign');
      return;
    }
    const limited = this.syncLimits.check(requester, this.now);
    if (limited) {
      this.drop(limited);
      return;
    }
    if (!this.verify(this.manifest.members[requester]!.publicKey, signingInput(Domain.SYNC, m.body), m.sig)) {
      this.drop('bad-signature');
      return;
    }
    if (o.view !== undefined) {
      const full = o.height === this.hs.height ? this.hs.fullProposals[o.view] : undefined;
      if (full) {
        this.syncLimits.answered(requester);
        this.publish('proposal', full, o.from);
      }
      return;
    }
    const stored = this.blocks[o.height];
    if (stored || o.height <= this.tipHeight) this.syncLimits.answered(requester);
    if (stored) this.publish('block', stored, o.from);
    else if (o.height <= this.tipHeight) this.emit({ type: 'sync-request', height: o.height, from: o.from });
  }
}


/**
 * The largest compact proposal a valid block of this manifest can make, in bytes: the header (a summary per round),
 * per round every member's submission digest and a certificate with every voter's vote and its own judgment list,
 * the evidence a block may carry, and a view change's t timeouts and lock certificate. Honest proposals are far
 * smaller (voters send the same list); what is larger cannot be valid and is not kept for a later height.
 */
function proposalLimit(m: Manifest): number {
  const n = m.members.length;
  let voters = 0;
  for (const x of m.members) if (x.role === 'full') voters++;
  const rounds = m.params.blockRounds;
  const header = 512 + rounds * 160;
  const perRound = 64 + n * 35 + voters * 80 + voters * (n * 34 + 16);
  const evidence = Math.min(256, evidenceBounds(m).perMember * n) * EVIDENCE_BYTES;
  return 4096 + header + rounds * perRound + evidence + voters * 240;
}

/** The largest evidence a block is expected to carry: two signed messages of a member (readings of up to 4 KiB). */
const EVIDENCE_BYTES = 8448;

/** A block's body with each submission named by its digest (a compact proposal's `compact`). */
function compactBody(block: CheckedBlock): Uint8Array {
  const subs: Uint8Array[] = [];
  for (const s of block.submissions) subs.push(s.digest);
  const certs: CborValue[] = [];
  for (const c of block.body.certs) certs.push(roundCertificateToCbor(c));
  return encode({ v: block.body.v, subs, certs, evidence: block.body.evidence.slice(0) });
}

/** Leaf hash of a submission's bytes: its digest in votes and in blocks. */
export function submissionDigest(hash: Hash, bytes: Uint8Array): Uint8Array {
  return leafHash(hash, bytes);
}
