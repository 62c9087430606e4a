// The block-agreement machine (docs/protocol.md §9–§10): a member's part in agreeing on each block. It proposes a
// block of the closed rounds' certificates, checks proposals, signs prepare and commit votes, locks on a prepare
// certificate, changes view on timeout and commits. It reads the rounds through RoundsView, and tells them only what
// a commit settles; what comes for later heights, and the blocks it lacks, it hands to the catch-up machine.
import { Domain, encode, equalBytes, signingInput, toHex, type CborValue, type Hash, type Manifest } from '@meterchain/core';
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
import { buildRoundCertificate, encodeRoundCertificate, roundCertificateFromCbor, roundCertificateToCbor, type HeldVote, type RoundCertificate } from './certificate.ts';
import { checkBlockCertificate, countCertificates, excludedVoters, firstRoundOf, inspectBlock, type BlockVerdict, type CheckedBlock } from './chain.ts';
import { consensusError } from './codes.ts';
import { hexKey, type NodeContext } from './context.ts';
import type { PersistRecord } from './effects.ts';
import type { EvidenceKind } from './evidence.ts';
import type { EvidencePool } from './evidence-pool.ts';
import type { CatchUp } from './catch-up.ts';
import { merkleRoot } from './merkle.ts';
import { QuorumCounts, type Quorum } from './quorum.ts';
import { memberIndex, type Submission } from './submission.ts';
import { decodeCommitNotice, decodeCompactBody, decodeProposalMessage, decodeTimeoutMessage } from './wire/block-agreement.ts';
import { decodeLockRecord } from './wire/records.ts';

/** What block agreement reads of the rounds (rounds.ts), and the two things a commit tells them. */
export interface RoundsView {
  /** Whether every round up to `last` is closed here: by this node's clock, and in its state. */
  roundsClosed(last: number): boolean;
  /** The votes held for a round (without voters excluded), if the round is held here. */
  heldVotesOf(round: number): HeldVote[] | undefined;
  /** The submission of `member` in `round` with `digest`, if held. */
  submissionOf(round: number, member: number, digest: Uint8Array): Submission | undefined;
  /** A submission held in an open round, by digest. */
  heldSubmission(digest: Uint8Array): Submission | undefined;
  knownSubmission(): (digest: Uint8Array) => Submission | undefined;
  /** The accepted readings held here that a block of these rounds leaves out. */
  missingAccepted(block: CheckedBlock): { round: number; member: number; digest: Uint8Array }[];
  /** Compares a block's votes and submissions with those held: a difference is evidence. */
  compareWithBlock(block: CheckedBlock): void;
  /** A block covering these rounds is committed: the outcomes that waited for it. */
  reportLate(block: CheckedBlock): void;
  /** Forgets the rounds the last committed block covers. */
  pruneRounds(): void;
}

/** What block agreement needs of the rest of the node. */
export interface BlocksNeed {
  /** Two different signed messages of a member for one slot (block votes): evidence. */
  recordEvidence(kind: EvidenceKind, a: Uint8Array, b: Uint8Array): void;
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

export class BlockAgreement {
  private readonly manifest: Manifest;
  private readonly hash: Hash;
  private readonly n: number;
  private readonly selfIndex: number;
  private readonly self: Uint8Array;
  private readonly isVoter: boolean;
  private readonly quorum: Quorum;
  private readonly labCensor: boolean;
  private blockMark: { height: number; view: number; phase: number };
  private timeoutMark: { height: number; view: number };
  private tipHeight: number;
  private tipHash: Uint8Array;
  private hs: HeightState;
  private lock: Lock | null;
  /** Records of the current height restored after a restart, counted at the first step (resumeBlockAgreement). */
  private resumed: PersistRecord[];

  constructor(
    private readonly ctx: NodeContext,
    cfg: { manifestDigest: Uint8Array; labCensor?: boolean },
    private readonly rounds: RoundsView,
    private readonly evidence: EvidencePool,
    private readonly catchUp: CatchUp,
    private readonly need: BlocksNeed,
  ) {
    const m = ctx.manifest;
    this.manifest = m;
    this.hash = ctx.hash;
    this.n = ctx.n;
    this.selfIndex = ctx.selfIndex;
    this.self = ctx.self;
    this.isVoter = ctx.isVoter;
    this.quorum = ctx.quorum;
    this.labCensor = cfg.labCensor === true;
    this.blockMark = { height: -1, view: -1, phase: -1 };
    this.timeoutMark = { height: -1, view: -1 };
    this.tipHeight = -1;
    this.tipHash = cfg.manifestDigest;
    this.hs = newHeight(0);
    this.lock = null;
    this.resumed = [];
  }

  // ---- what the node asks ----

  /** Height of the last committed block (−1 before the first). */
  get height(): number {
    return this.tipHeight;
  }

  /** Hash of the last committed header (the manifest digest before the first block). */
  get tip(): Uint8Array {
    return this.tipHash;
  }

  /** The height under agreement (the one after the last committed block). */
  get agreeing(): number {
    return this.hs.height;
  }

  /** This node's whole proposal at the height under agreement in `view`, if it made one (what a sync request for it
   * is answered with). */
  fullProposal(view: number): Uint8Array | undefined {
    return this.hs.fullProposals[view];
  }

  /** The earliest time a tick has something to do for block agreement, or `at` if that is earlier. */
  wakeAt(at: number): number {
    const hs = this.hs;
    const ready = this.ctx.readyAt(hs.height);
    if (!hs.entered) at = Math.min(at, ready);
    else if (this.isVoter) {
      if (hs.early) at = Math.min(at, this.ctx.closeAt(this.ctx.lastRoundOf(hs.height)));
      if (!hs.myTimeout[hs.view]) at = Math.min(at, hs.viewStart + this.ctx.viewTimeout(hs.view));
      else at = Math.min(at, hs.lastTimeoutSent + this.manifest.params.timeoutMs);
    }
    return at;
  }

  /** The node's first step: what it signed at this height before a restart counts again (resumeBlockAgreement). */
  start(): void {
    if (this.resumed.length > 0) this.resumeBlockAgreement();
  }

  /** Takes up the last committed block (stored bytes) after a restart; returns its header. */
  restoreTip(tip: Uint8Array): BlockHeader {
    const s = decodeStoredBlock(tip);
    if (!s.ok) throw consensusError('BAD_RESTORE', `consensus node: restore tip: ${s.reason}`);
    const h = decodeHeader(s.block.header);
    if (!h.ok) throw consensusError('BAD_RESTORE', `consensus node: restore tip: ${h.reason}`);
    this.tipHeight = h.header.height;
    this.tipHash = this.hash(s.block.header);
    this.catchUp.committed(this.tipHeight, tip);
    this.hs = newHeight(this.tipHeight + 1);
    return h.header;
  }

  /** Takes up a record of block agreement: a block vote, a timeout, a lock. */
  restoreRecord(rec: PersistRecord): void {
    if (rec.kind === 'prepare' || rec.kind === 'commit') {
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
    }
  }

  /** Once every record is taken up: the node was in the view of its last block signature or timeout at this height,
   * and resumes there (in view 0 it could sign nothing more, its marks being higher, and would re-send none of it). */
  restored(): void {
    for (const rec of this.resumed) if (rec.view > this.hs.view) this.hs.view = rec.view;
  }

  // ---- restart ----

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
      this.ctx.publish('block-vote', rec.bytes);
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

  // ---- blocks ----

  private expectation(): { height: number; prev: Uint8Array; first: number } {
    return { height: this.hs.height, prev: this.tipHash, first: firstRoundOf(this.manifest, this.hs.height, this.ctx.epochStart) };
  }

  /** Enters the height once it is ready, proposes in its turn, prepares a proposal kept until its rounds closed,
   * times a view out and says so again until the view changes. */
  tick(): void {
    const hs = this.hs;
    if (this.ctx.now < this.ctx.readyAt(hs.height)) return;
    if (!hs.entered) {
      // View 0, or the view a restarted node resumes (restore).
      hs.entered = true;
      hs.viewStart = this.ctx.now;
    }
    if (this.isVoter && this.ctx.proposerIndex(hs.height, hs.view) === this.selfIndex && !hs.proposed[hs.view]) this.propose();
    if (!this.isVoter) return;
    const early = hs.early;
    if (early && this.rounds.roundsClosed(this.ctx.lastRoundOf(hs.height))) {
      hs.early = undefined;
      this.considerPrepare(early.view, early.hash);
    }
    const mine = hs.myTimeout[hs.view];
    if (!mine && this.ctx.now >= hs.viewStart + this.ctx.viewTimeout(hs.view)) this.sendTimeout();
    else if (mine && this.ctx.now >= hs.lastTimeoutSent + this.manifest.params.timeoutMs) {
      // Messages get lost: say it again (same bytes, no new signature) until the view changes.
      hs.lastTimeoutSent = this.ctx.now;
      this.ctx.publish('timeout', mine);
    }
  }

  /** Assembles this node's block for the current height from its certificates (docs/protocol.md, "Proposing"). */
  private buildBlock(): Content | undefined {
    const m = this.manifest;
    const height = this.hs.height;
    const first = firstRoundOf(m, height, this.ctx.epochStart);
    const last = first + m.params.blockRounds - 1;
    const pooled = this.evidence.forBlock(this.hash, height, first, last);
    const evidence = pooled.evidence;
    const claims = pooled.claims;
    const certs: RoundCertificate[] = [];
    for (let r = first; r <= last; r++) {
      const votes = this.labCensor ? undefined : this.rounds.heldVotesOf(r);
      if (votes && votes.length > 0) certs.push(buildRoundCertificate(r, votes));
    }
    const counted = countCertificates(m, first, last, certs, excludedVoters(claims));
    const subs: Uint8Array[] = [];
    for (const c of certs) {
      const tally = counted.tallies[c.round]!;
      const summary = counted.summaries[c.round - first]!;
      for (let i = 0; i < this.n; i++) {
        const o = this.quorum.outcome(tally[i]!);
        if (o.outcome !== 'accepted') continue;
        const s = this.rounds.submissionOf(c.round, i, o.digest);
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
    const verdict = inspectBlock(m, this.hash, headerBytes, bodyBytes, undefined, this.expectation(), () => true, this.rounds.knownSubmission(), this.ctx.rootOf);
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
    this.ctx.stats.proposals++;
    const timeouts: CborValue[] = [];
    for (const e of entries) timeouts.push([e.voter, e.lockView, e.lock, e.sig]);
    const lock = lockCert ? blockCertificateToCbor(lockCert) : null;
    hs.fullProposals[view] = encode({ header: content.header, body: content.body, view, vote, timeouts, lock });
    this.ctx.publish('proposal', encode({ header: content.header, compact: compactBody(content.checked), view, vote, timeouts, lock }));
    this.countBlockVote(Phase.PREPARE, view, content.hash, this.selfIndex, vote);
  }

  /** Signs a block vote unless it would sign below or at its mark; persists it; returns the message bytes. */
  private signBlockVote(phase: number, view: number, block: Uint8Array, publish: boolean): Uint8Array | undefined {
    const h = this.hs.height;
    if (markBelow(h, view, phase, this.blockMark)) {
      const same = this.hs.signedBy[`${phase}:${view}:${this.selfIndex}`];
      return same && same.hash === hexKey(block) ? same.bytes : undefined;
    }
    const v = signBlockVote(this.manifest, h, view, phase, block, this.self, this.ctx.signer);
    this.blockMark = { height: h, view, phase };
    const record: PersistRecord = { kind: phase === Phase.PREPARE ? 'prepare' : 'commit', round: -1, height: h, view, bytes: v.bytes };
    this.ctx.emit({ type: 'persist', record });
    if (publish) this.ctx.publish('block-vote', v.bytes);
    return v.bytes;
  }

  private heightOfHeader(header: Uint8Array): number {
    const h = decodeHeader(header);
    return h.ok ? h.header.height : -1;
  }

  onProposal(bytes: Uint8Array): void {
    const d = decodeProposalMessage(bytes);
    if (!d.ok) {
      this.ctx.drop('malformed');
      return;
    }
    const p = d.value;
    if ((p.body === undefined) === (p.compact === undefined)) {
      this.ctx.drop('malformed');
      return;
    }
    const hs = this.hs;
    const height = this.heightOfHeader(p.header);
    if (height < 0) {
      this.ctx.drop('bad-header');
      return;
    }
    const proposer = this.ctx.proposerIndex(height, p.view);
    if (height < hs.height) return;
    const hash = this.hash(p.header);
    // The proposer's prepare vote signs the proposal.
    const sv = decodeSigned(p.vote);
    if (!sv.ok) return;
    const bv = decodeBlockVote(sv.body);
    if (!bv.ok) return;
    const vote = bv.vote;
    if (vote.phase !== Phase.PREPARE || vote.height !== height || vote.view !== p.view || !equalBytes(vote.block, hash) || !equalBytes(vote.voter, this.manifest.members[proposer]!.address)) {
      this.ctx.drop('bad-proposer-vote');
      return;
    }
    if (vote.cluster !== this.manifest.cluster || vote.epoch !== this.manifest.epoch) return;
    if (!this.ctx.verify(this.manifest.members[proposer]!.publicKey, signingInput(Domain.BLOCK, sv.body), sv.sig)) {
      this.ctx.drop('bad-signature');
      return;
    }
    if (height > hs.height) {
      // Kept only once its proposer's signature is checked (the check is remembered for when it is taken up).
      this.catchUp.keep(height, 'proposal', bytes, proposer);
      return;
    }
    // Justification of a view change: t timeouts for the view before, and the prepare certificate of the lock.
    const lockCert = p.lock === null ? null : blockCertificateFromCbor(p.lock);
    if (p.view > 0) {
      const ok = this.checkJustification(height, p.view, hash, p.timeouts, lockCert);
      if (!ok) {
        this.ctx.drop('bad-justification');
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
        this.ctx.drop('bad-block');
        return;
      }
      hs.contents[key] = { header: p.header, body, hash, checked: verdict.block };
    }
    this.countBlockVote(Phase.PREPARE, p.view, hash, proposer, p.vote);
    this.rounds.compareWithBlock(hs.contents[key]!.checked);
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
      if (!this.rounds.roundsClosed(content.checked.header.last)) {
        hs.early = { view, hash };
        return;
      }
      const missing = this.rounds.missingAccepted(content.checked);
      if (missing.length > 0) {
        this.refuseProposal(view, missing);
        return;
      }
    }
    const mine = this.signBlockVote(Phase.PREPARE, view, hash, true);
    if (mine) this.countBlockVote(Phase.PREPARE, view, hash, this.selfIndex, mine);
  }

  /**
   * Refuses a proposal that leaves out readings this node holds certificates for, and hands them over (once per
   * view): the round certificates and the submissions it holds, to everyone, so that the next proposer, and every
   * member, holds them too.
   */
  private refuseProposal(view: number, missing: { round: number; member: number; digest: Uint8Array }[]): void {
    const hs = this.hs;
    const first = missing[0]!;
    this.ctx.emit({ type: 'refused', what: 'proposal', reason: `block ${hs.height} view ${view} leaves out ${missing.length} accepted reading(s), the first of member ${first.member} in round ${first.round}` });
    if (hs.handedOver[view]) return;
    hs.handedOver[view] = true;
    let lastRound = -1;
    for (const x of missing) {
      if (x.round !== lastRound) {
        lastRound = x.round;
        this.ctx.publish('certificate', encodeRoundCertificate(buildRoundCertificate(x.round, this.rounds.heldVotesOf(x.round)!)));
      }
      const sub = this.rounds.submissionOf(x.round, x.member, x.digest);
      if (sub) this.ctx.publish('submission', sub.bytes);
    }
  }

  /** The body of a proposed block another node of this process has checked where this node expects the block. */
  private sharedBody(hash: Uint8Array): Uint8Array | undefined {
    if (!this.ctx.shared) return undefined;
    return this.ctx.shared.blocks.get(this.proposalKey(hash))?.body;
  }

  private proposalKey(hash: Uint8Array): string {
    const expect = this.expectation();
    return `${this.ctx.manifestKey}:${expect.height}:${toHex(expect.prev)}:${expect.first}:${hexKey(hash)}`;
  }

  /** The body a compact proposal names, put together from the submissions this node holds; undefined if one is not
   * held or the compact body is malformed (the header's body hash is checked afterwards, as for any body). */
  private expand(compact: Uint8Array): Uint8Array | undefined {
    const d = decodeCompactBody(compact);
    if (!d.ok) return undefined;
    const o = d.value;
    const submissions: Uint8Array[] = [];
    for (const digest of o.subs) {
      const s = this.rounds.heldSubmission(digest);
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
    this.ctx.publish('sync', this.catchUp.request(height, view), this.manifest.members[proposer]!.address);
  }

  /**
   * Checks a proposed block where this node expects the next one. With checks shared by the nodes of a process, the
   * first node to check a block records the verdict, and the others take it when they expect the block at the same
   * place (manifest, height, previous block, first round) and hold the same body: the verdict depends on nothing else.
   */
  private inspectProposal(header: Uint8Array, body: Uint8Array, hash: Uint8Array): BlockVerdict {
    const expect = this.expectation();
    const shared = this.ctx.shared;
    const key = shared ? this.proposalKey(hash) : '';
    if (shared) {
      const hit = shared.blocks.get(key);
      if (hit && equalBytes(hit.body, body)) return { ok: true, block: hit.block };
    }
    const verdict = inspectBlock(this.manifest, this.hash, header, body, undefined, expect, this.ctx.oracle(), this.rounds.knownSubmission(), this.ctx.rootOf);
    if (shared && verdict.ok) shared.blocks.set(key, { body, block: verdict.block });
    return verdict;
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
      if (!this.ctx.verify(this.manifest.members[voter]!.publicKey, timeoutSigningInput(body), e[3])) return false;
      if (e[1] !== null && e[1] > highest) highest = e[1];
    }
    if (lockCert === null) return highest < 0;
    if (lockCert.view < highest || !equalBytes(lockCert.block, hash)) return false;
    return checkBlockCertificate(this.manifest, lockCert, Phase.PREPARE, height, hash, this.ctx.oracle()) === '';
  }

  private enterView(view: number): void {
    const hs = this.hs;
    if (view <= hs.view && hs.entered) return;
    hs.entered = true;
    hs.view = view;
    hs.viewStart = this.ctx.now;
    if (this.isVoter && this.ctx.proposerIndex(hs.height, view) === this.selfIndex && !hs.proposed[view]) this.propose();
  }

  onBlockVote(bytes: Uint8Array): void {
    const sv = decodeSigned(bytes);
    if (!sv.ok) {
      this.ctx.drop('malformed');
      return;
    }
    const bv = decodeBlockVote(sv.body);
    if (!bv.ok) {
      this.ctx.drop('malformed');
      return;
    }
    const v = bv.vote;
    if (v.cluster !== this.manifest.cluster || v.epoch !== this.manifest.epoch) return;
    const voter = memberIndex(this.manifest, v.voter);
    if (voter < 0 || this.manifest.members[voter]!.role !== 'full') return;
    if (v.height < this.hs.height) return;
    if (v.height > this.hs.height) {
      if (!this.ctx.verify(this.manifest.members[voter]!.publicKey, signingInput(Domain.BLOCK, sv.body), sv.sig)) this.ctx.drop('bad-signature');
      else this.catchUp.keep(v.height, 'block-vote', bytes, voter);
      return;
    }
    // A prepare vote for a block that already has its prepare quorum changes nothing here: it is not verified (the
    // commit votes follow; an equivocation among such surplus votes goes unnoticed, which costs no safety).
    if (v.phase === Phase.PREPARE && this.quorum.reached(this.hs.counts.get(`${Phase.PREPARE}:${v.view}:${hexKey(v.block)}`))) {
      this.ctx.stats.surplus++;
      return;
    }
    if (!this.ctx.verify(this.manifest.members[voter]!.publicKey, signingInput(Domain.BLOCK, sv.body), sv.sig)) {
      this.ctx.drop('bad-signature');
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
      if (prior.hash !== key) this.need.recordEvidence('block', prior.bytes, bytes);
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
      this.ctx.emit({ type: 'persist', record: { kind: 'lock', round: -1, height: hs.height, view, bytes } });
    }
    if (view < hs.view) return;
    // The commit vote follows this node's own prepare; without one, the block must pass what a prepare checks.
    const key = hexKey(block);
    const own = hs.signedBy[`${Phase.PREPARE}:${view}:${this.selfIndex}`];
    if (!(own && own.hash === key) && !hs.justified[key] && (!this.rounds.roundsClosed(content.checked.header.last) || this.rounds.missingAccepted(content.checked).length > 0)) return;
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
      this.catchUp.ask(signers);
      return;
    }
    this.commit(content, cert, this.ctx.proposerIndex(hs.height, view) === this.selfIndex);
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
    this.rounds.reportLate(content.checked);
    this.ctx.emit({ type: 'committed', height: header.height, view: cert.view, hash: content.hash, block: stored, submissions: content.checked.submissions.length, last: header.last, own, readings });
    if (announce) this.ctx.publish('block', encode({ header: content.header, commit: blockCertificateToCbor(cert) }));
    this.ctx.stats.blocksCommitted++;
    this.tipHeight = header.height;
    this.tipHash = content.hash;
    this.catchUp.committed(header.height, stored);
    this.evidence.committedAt(
      header.height,
      content.checked.evidence.map((c) => c.key),
      firstRoundOf(this.manifest, header.height + 1, this.ctx.epochStart),
    );
    this.lock = null;
    this.hs = newHeight(header.height + 1);
    this.catchUp.newHeight();
    this.rounds.pruneRounds();
    this.catchUp.takeUpKept(header.height + 1);
  }

  private sendTimeout(): void {
    const hs = this.hs;
    const view = hs.view;
    if (this.timeoutMark.height > hs.height || (this.timeoutMark.height === hs.height && this.timeoutMark.view >= view)) return;
    const lock = this.lock;
    const body = timeoutBody(this.manifest, hs.height, view, this.self, lock ? lock.view : null, lock ? lock.hash : null);
    const sig = this.ctx.signer.sign(timeoutSigningInput(body));
    const bytes = encode({ body, sig, cert: lock ? blockCertificateToCbor(lock.cert) : null });
    this.timeoutMark = { height: hs.height, view };
    hs.myTimeout[view] = bytes;
    hs.lastTimeoutSent = this.ctx.now;
    this.ctx.stats.timeouts++;
    this.ctx.persistThenPublish({ kind: 'timeout', round: -1, height: hs.height, view, bytes }, 'timeout', bytes);
    this.countTimeout({ voter: this.selfIndex, bytes, lockView: lock ? lock.view : null, lock: lock ? lock.hash : null, sig, cert: lock ? lock.cert : undefined }, view);
  }

  onTimeout(bytes: Uint8Array): void {
    const d = decodeTimeoutMessage(bytes);
    if (!d.ok) {
      this.ctx.drop('malformed');
      return;
    }
    const o = d.value;
    const t = decodeTimeout(o.body);
    if (!t.ok) {
      this.ctx.drop('malformed');
      return;
    }
    const tm: Timeout = t.timeout;
    if (tm.cluster !== this.manifest.cluster || tm.epoch !== this.manifest.epoch) return;
    const voter = memberIndex(this.manifest, tm.voter);
    if (voter < 0 || this.manifest.members[voter]!.role !== 'full') return;
    if (tm.height < this.hs.height) return;
    if (tm.height > this.hs.height) {
      if (!this.ctx.verify(this.manifest.members[voter]!.publicKey, timeoutSigningInput(o.body), o.sig)) this.ctx.drop('bad-signature');
      else this.catchUp.keep(tm.height, 'timeout', bytes, voter);
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
    if (!this.ctx.verify(this.manifest.members[voter]!.publicKey, timeoutSigningInput(o.body), o.sig)) {
      this.ctx.drop('bad-signature');
      return;
    }
    let cert: BlockCertificate | undefined;
    if (tm.lock !== undefined) {
      if (o.cert === null) return;
      cert = blockCertificateFromCbor(o.cert);
      if (cert.view !== tm.lockView || checkBlockCertificate(this.manifest, cert, Phase.PREPARE, tm.height, tm.lock, this.ctx.oracle()) !== '') {
        this.ctx.drop('bad-certificate');
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
    if (this.ctx.now < hs.lastLagAnswer + this.manifest.params.timeoutMs) return;
    const tv = hs.timeouts[view];
    if (!tv) return;
    const entries: TimeoutEntry[] = [];
    for (const k of Object.keys(tv)) entries.push(tv[Number(k)]!);
    if (!this.quorum.reached(entries.length)) return;
    hs.lastLagAnswer = this.ctx.now;
    entries.sort((a, b) => a.voter - b.voter);
    for (let i = 0; i < this.quorum.t; i++) this.ctx.publish('timeout', entries[i]!.bytes);
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

  onBlock(bytes: Uint8Array): void {
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
      this.catchUp.ask(signers);
      return;
    }
    // The block this node has checked already (it came as a proposal): only its commit certificate is new. The body
    // committed is the one checked, which the header names by its hash.
    const hash = this.hash(s.block.header);
    const held = this.hs.contents[hexKey(hash)];
    if (held) {
      if (checkBlockCertificate(this.manifest, s.block.commit, Phase.COMMIT, height, hash, this.ctx.oracle()) !== '') {
        this.ctx.drop('bad-certificate');
        return;
      }
      this.commit(held, s.block.commit, false);
      return;
    }
    const verdict = inspectBlock(this.manifest, this.hash, s.block.header, s.block.body, s.block.commit, this.expectation(), this.ctx.oracle(), this.rounds.knownSubmission(), this.ctx.rootOf);
    if (!verdict.ok) {
      this.ctx.drop('bad-block');
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
      this.ctx.drop('malformed');
      return;
    }
    const o = d.value;
    if (height < this.hs.height) return;
    const cert = blockCertificateFromCbor(o.commit);
    const signers: number[] = [];
    for (const v of cert.votes) if (v.voter < this.n) signers.push(v.voter);
    if (height > this.hs.height) {
      this.catchUp.ask(signers);
      return;
    }
    const hash = this.hash(o.header);
    const held = this.hs.contents[hexKey(hash)];
    if (checkBlockCertificate(this.manifest, cert, Phase.COMMIT, height, hash, this.ctx.oracle()) !== '') {
      this.ctx.drop('bad-certificate');
      return;
    }
    if (held) this.commit(held, cert, false);
    else this.catchUp.ask(signers);
  }

}


/** A block's body with each submission named by its digest (a compact proposal's `compact`). */
function compactBody(block: CheckedBlock): Uint8Array {
  const subs: Uint8Array[] = [];
  for (const s of block.submissions) subs.push(s.digest);
  const certs: CborValue[] = [];
  for (const c of block.body.certs) certs.push(roundCertificateToCbor(c));
  return encode({ v: block.body.v, subs, certs, evidence: block.body.evidence.slice(0) });
}
