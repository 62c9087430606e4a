// The block-agreement machine (docs/protocol.md §9–§10): a member's part in agreeing on each block. It composes the
// parts that share the height under agreement (agreement-state.ts): proposing (proposer.ts), checking proposals
// (proposal-check.ts), block votes and the lock (block-votes.ts), view change (view-change.ts) and commit
// (commit.ts). It reads the rounds through RoundsView (rounds-view.ts), and tells them only what a commit settles;
// what comes for later heights, and the blocks it lacks, it hands to the catch-up machine.
import { expectation, newHeight, type AgreementState, type Content } from './agreement-state.ts';
import { blockCertificateFromCbor, decodeHeader, decodeStoredBlock, type BlockHeader } from './block.ts';
import { BlockVotes } from './block-votes.ts';
import type { CatchUp } from './catch-up.ts';
import { inspectBlock } from './chain.ts';
import { consensusError } from './codes.ts';
import { Commit } from './commit.ts';
import { hexKey, type NodeContext } from './context.ts';
import type { PersistRecord } from './effects.ts';
import type { EvidenceKind } from './evidence.ts';
import type { EvidencePool } from './evidence-pool.ts';
import { ProposalCheck } from './proposal-check.ts';
import { Proposer } from './proposer.ts';
import type { RoundsView } from './rounds-view.ts';
import { ViewChange } from './view-change.ts';
import { decodeLockRecord } from './wire/records.ts';

export type { RoundsView } from './rounds-view.ts';

/** What block agreement needs of the rest of the node. */
export interface BlocksNeed {
  /** Two different signed messages of a member for one slot (block votes): evidence. */
  recordEvidence(kind: EvidenceKind, a: Uint8Array, b: Uint8Array): void;
}

export class BlockAgreement {
  private readonly st: AgreementState;
  private readonly votes: BlockVotes;
  private readonly views: ViewChange;
  private readonly proposer: Proposer;
  private readonly check: ProposalCheck;
  private readonly commits: Commit;
  /** Records of the current height restored after a restart, counted at the first step (resume). */
  private resumed: PersistRecord[];

  constructor(
    private readonly ctx: NodeContext,
    cfg: { manifestDigest: Uint8Array; labCensor?: boolean },
    private readonly rounds: RoundsView,
    evidence: EvidencePool,
    private readonly catchUp: CatchUp,
    need: BlocksNeed,
  ) {
    const st: AgreementState = { tipHeight: -1, tipHash: cfg.manifestDigest, hs: newHeight(0), lock: null };
    this.st = st;
    const keepLater = (height: number, topic: Parameters<CatchUp['keep']>[1], bytes: Uint8Array, signer: number): void => catchUp.keep(height, topic, bytes, signer);
    const enterView = (view: number): void => this.enterView(view);
    this.votes = new BlockVotes(ctx, st, rounds, {
      keepLater,
      recordEvidence: (kind, a, b) => need.recordEvidence(kind, a, b),
      commitQuorum: (view, block) => this.commits.onCommitQuorum(view, block),
    });
    this.views = new ViewChange(ctx, st, { keepLater, enterView });
    this.proposer = new Proposer(ctx, st, rounds, evidence, this.votes, cfg.labCensor === true);
    this.check = new ProposalCheck(ctx, st, rounds, this.votes, { keepLater, enterView, giveUp: (view) => this.views.giveUp(view), syncRequest: (height, view) => catchUp.request(height, view) });
    this.commits = new Commit(ctx, st, rounds, this.votes, evidence, catchUp);
    this.resumed = [];
  }

  // ---- what the node asks ----

  /** Height of the last committed block (−1 before the first). */
  get height(): number {
    return this.st.tipHeight;
  }

  /** Hash of the last committed header (the manifest digest before the first block). */
  get tip(): Uint8Array {
    return this.st.tipHash;
  }

  /** The height under agreement (the one after the last committed block). */
  get agreeing(): number {
    return this.st.hs.height;
  }

  /** This node's whole proposal at the height under agreement in `view`, if it made one (what a sync request for it
   * is answered with). */
  fullProposal(view: number): Uint8Array | undefined {
    return this.st.hs.fullProposals[view];
  }

  /** The earliest time a tick has something to do for block agreement, or `at` if that is earlier. */
  wakeAt(at: number): number {
    const hs = this.st.hs;
    if (!hs.entered) at = Math.min(at, this.ctx.readyAt(hs.height));
    else if (this.ctx.isVoter) {
      if (hs.early) at = Math.min(at, this.ctx.closeAt(this.ctx.lastRoundOf(hs.height)));
      at = Math.min(at, this.views.wakeAt());
    }
    return at;
  }

  /** The node's first step: what it signed at this height before a restart counts again (resume). */
  start(): void {
    if (this.resumed.length > 0) this.resume();
  }

  // ---- messages ----

  onProposal(bytes: Uint8Array): void {
    this.check.onProposal(bytes);
  }

  onBlockVote(bytes: Uint8Array): void {
    this.votes.onBlockVote(bytes);
  }

  onTimeout(bytes: Uint8Array): void {
    this.views.onTimeout(bytes);
  }

  onBlock(bytes: Uint8Array): void {
    this.commits.onBlock(bytes);
  }

  /** A round certificate or submission came in: the view's proposal may now leave out a reading this node holds. */
  heldMore(): void {
    this.check.reconsider();
  }

  /** The link to the other members went down or came back: the view timer is held meanwhile (view-change.ts). */
  link(up: boolean): void {
    this.views.link(up);
  }

  // ---- restart ----

  /** Takes up the last committed block (stored bytes) after a restart; returns its header. */
  restoreTip(tip: Uint8Array): BlockHeader {
    const s = decodeStoredBlock(tip);
    if (!s.ok) throw consensusError('BAD_RESTORE', `consensus node: restore tip: ${s.reason}`);
    const h = decodeHeader(s.block.header);
    if (!h.ok) throw consensusError('BAD_RESTORE', `consensus node: restore tip: ${h.reason}`);
    this.st.tipHeight = h.header.height;
    this.st.tipHash = this.ctx.hash(s.block.header);
    this.catchUp.committed(this.st.tipHeight, tip);
    this.st.hs = newHeight(this.st.tipHeight + 1);
    return h.header;
  }

  /** Takes up a record of block agreement: a block vote, a timeout, a lock. */
  restoreRecord(rec: PersistRecord): void {
    const height = this.st.hs.height;
    if (rec.kind === 'prepare' || rec.kind === 'commit') {
      this.votes.restoreRecord(rec);
      if (rec.height === height) this.resumed.push(rec);
    } else if (rec.kind === 'timeout') {
      this.views.restoreRecord(rec);
      if (rec.height === height) this.resumed.push(rec);
    } else if (rec.kind === 'lock' && rec.height === height) {
      this.restoreLock(rec);
    }
  }

  /** Once every record is taken up: the node was in the view of its last block signature or timeout at this height,
   * and resumes there (in view 0 it could sign nothing more, its marks being higher, and would re-send none of it). */
  restored(): void {
    const hs = this.st.hs;
    for (const rec of this.resumed) if (rec.view > hs.view) hs.view = rec.view;
  }

  /**
   * Counts what the node signed at this height before the restart exactly as when it signed it, and re-sends its
   * block votes (a timeout is re-sent by the view's tick): its own timeout is one of the t a view change needs, and
   * its votes may never have left (a crash between persist and publish, a broker outage). Done at the first step, not
   * in the constructor, so that what it leads to (a view change, a proposal, a commit) comes out as effects.
   */
  private resume(): void {
    const order = ['prepare', 'commit', 'timeout'];
    const resumed = this.resumed.sort((a, b) => order.indexOf(a.kind) - order.indexOf(b.kind));
    this.resumed = [];
    for (const rec of resumed) {
      if (rec.height !== this.st.hs.height) continue;
      if (rec.kind === 'timeout') {
        this.views.resume(rec);
        continue;
      }
      this.votes.resume(rec);
      if (this.st.hs.height !== rec.height) return;
    }
  }

  private restoreLock(rec: PersistRecord): void {
    const d = decodeLockRecord(rec.bytes);
    if (!d.ok) throw consensusError('BAD_RESTORE', `consensus node: restore lock: ${d.reason}`);
    const o = d.value;
    const m = this.ctx.manifest;
    const cert = blockCertificateFromCbor(o.cert);
    const expect = expectation(m, this.ctx.epochStart, this.st);
    const verdict = inspectBlock(m, this.ctx.hash, o.header, o.body, undefined, expect, () => true);
    if (!verdict.ok) throw consensusError('BAD_RESTORE', `consensus node: restore lock: ${verdict.reason}`);
    const content: Content = { header: o.header, body: o.body, hash: verdict.block.hash, checked: verdict.block };
    this.st.hs.contents[hexKey(content.hash)] = content;
    this.st.lock = { view: cert.view, hash: cert.block, cert, content };
  }

  // ---- the height ----

  /** Enters the height once it is ready, proposes in its turn, prepares a proposal kept until its rounds closed,
   * times a view out and says so again until the view changes. */
  tick(): void {
    const hs = this.st.hs;
    if (this.ctx.now < this.ctx.readyAt(hs.height)) return;
    if (!hs.entered) {
      // View 0, or the view a restarted node resumes (restore).
      hs.entered = true;
      hs.viewStart = this.ctx.now;
    }
    if (this.ctx.isVoter && this.ctx.proposerIndex(hs.height, hs.view) === this.ctx.selfIndex && !hs.proposed[hs.view]) this.proposer.propose();
    if (!this.ctx.isVoter) return;
    const early = hs.early;
    if (early && this.rounds.roundsClosed(this.ctx.lastRoundOf(hs.height))) {
      hs.early = undefined;
      this.check.considerPrepare(early.view, early.hash);
    }
    this.views.tick(hs);
  }

  private enterView(view: number): void {
    const hs = this.st.hs;
    if (view <= hs.view && hs.entered) return;
    hs.entered = true;
    hs.view = view;
    hs.viewStart = this.ctx.now;
    if (this.ctx.isVoter && this.ctx.proposerIndex(hs.height, view) === this.ctx.selfIndex && !hs.proposed[view]) this.proposer.propose();
  }
}
