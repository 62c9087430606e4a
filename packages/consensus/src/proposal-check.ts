// Checking a proposal (docs/protocol.md §9–§10, "What a member prepares"): the proposer's prepare vote signs it; a view
// change is justified by t timeouts of the view before and the lock's prepare certificate; a compact body is put
// together from the submissions this node holds (or the whole proposal asked for); the block is checked where this
// node expects the next one. A proposal is prepared once the rounds it covers are closed here, unless it leaves out
// a reading this node holds an acceptance certificate for: then it is refused and the certificates handed over.
import { Domain, equalBytes, signingInput, toHex } from '@meterchain/core';
import { expectation, heightOfHeader, type AgreementState } from './agreement-state.ts';
import { Phase, blockCertificateFromCbor, decodeBlockVote, decodeSigned, encodeBody, timeoutBody, timeoutSigningInput, type BlockCertificate } from './block.ts';
import type { BlockVotes } from './block-votes.ts';
import { buildRoundCertificate, encodeRoundCertificate, roundCertificateFromCbor, type RoundCertificate } from './certificate.ts';
import { checkBlockCertificate, inspectBlock, type BlockVerdict } from './chain.ts';
import { hexKey, type NodeContext } from './context.ts';
import type { Missing, RoundsView } from './rounds-view.ts';
import type { Topic } from './topics.ts';
import { decodeCompactBody, decodeProposalMessage } from './wire/block-agreement.ts';

type CheckContext = Pick<
  NodeContext,
  'manifest' | 'hash' | 'n' | 'selfIndex' | 'isVoter' | 'quorum' | 'epochStart' | 'shared' | 'manifestKey' | 'verify' | 'oracle' | 'rootOf' | 'emit' | 'publish' | 'drop' | 'proposerIndex'
>;

/** What checking a proposal needs of the rest of block agreement. */
export interface CheckNeed {
  /** Keeps a checked message for a later height (catch-up). */
  keepLater(height: number, topic: Topic, bytes: Uint8Array, signer: number): void;
  /** A signed request for the whole proposal of `view` at `height` (catch-up). */
  syncRequest(height: number, view: number): Uint8Array;
  /** A justified proposal of a later view: this node enters it. */
  enterView(view: number): void;
  /** A proposal of the view this node is in that it refuses for a reason it can show: it gives the view up at once. */
  giveUp(view: number): void;
}

export class ProposalCheck {
  constructor(
    private readonly ctx: CheckContext,
    private readonly st: AgreementState,
    private readonly rounds: RoundsView,
    private readonly votes: Pick<BlockVotes, 'sign' | 'count'>,
    private readonly need: CheckNeed,
  ) {}

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
    const m = this.ctx.manifest;
    const hs = this.st.hs;
    const height = heightOfHeader(p.header);
    if (height < 0) {
      this.ctx.drop('bad-header');
      return;
    }
    const proposer = this.ctx.proposerIndex(height, p.view);
    if (height < hs.height) return;
    const hash = this.ctx.hash(p.header);
    // The proposer's prepare vote signs the proposal.
    const sv = decodeSigned(p.vote);
    const bv = sv.ok ? decodeBlockVote(sv.body) : undefined;
    if (!sv.ok || !bv || !bv.ok) {
      this.ctx.drop('bad-proposer-vote');
      return;
    }
    const vote = bv.vote;
    if (vote.phase !== Phase.PREPARE || vote.height !== height || vote.view !== p.view || !equalBytes(vote.block, hash) || !equalBytes(vote.voter, m.members[proposer]!.address)) {
      this.ctx.drop('bad-proposer-vote');
      return;
    }
    if (vote.cluster !== m.cluster || vote.epoch !== m.epoch) {
      this.ctx.drop('foreign');
      return;
    }
    if (!this.ctx.verify(m.members[proposer]!.publicKey, signingInput(Domain.BLOCK, sv.body), sv.sig)) {
      this.ctx.drop('bad-signature');
      return;
    }
    if (height > hs.height) {
      // Kept only once its proposer's signature is checked (the check is remembered for when it is taken up).
      this.need.keepLater(height, 'proposal', bytes, proposer);
      return;
    }
    // Justification of a view change: t timeouts for the view before, and the prepare certificate of the lock.
    const lockCert = p.lock === null ? null : blockCertificateFromCbor(p.lock);
    if (p.view > 0) {
      const ok = this.checkJustification(height, p.view, hash, p.timeouts, lockCert);
      if (!ok) {
        this.ctx.drop('bad-justification');
        // Signed by the view's proposer: it is faulty, and this view will not commit its block here.
        this.need.giveUp(p.view);
        return;
      }
    }
    const key = hexKey(hash);
    // A second, different proposal of the proposer for this view (its two signed prepares are evidence, block-votes.ts):
    // whichever one others prepare, this node gives the view up rather than wait out its timer.
    const before = hs.signedBy[`${Phase.PREPARE}:${p.view}:${proposer}`];
    if (before && before.hash !== key) this.need.giveUp(p.view);
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
        // A block its proposer signed that fails the checks of §9 where every member expects it: no correct member
        // prepares it, so this node gives the view up at once.
        this.need.giveUp(p.view);
        return;
      }
      hs.contents[key] = { header: p.header, body, hash, checked: verdict.block };
    }
    this.votes.count(Phase.PREPARE, p.view, hash, proposer, p.vote);
    this.rounds.compareWithBlock(hs.contents[key]!.checked);
    if (p.view > hs.view) this.need.enterView(p.view);
    if (p.view !== hs.view || !this.ctx.isVoter) return;
    // Locked on another block: prepare only when the justification shows a lock at least as recent.
    const lock = this.st.lock;
    if (lock && !equalBytes(lock.hash, hash) && (!lockCert || lockCert.view < lock.view)) return;
    if (lockCert !== null || (lock && equalBytes(lock.hash, hash))) hs.justified[key] = true;
    this.considerPrepare(p.view, hash);
  }

  /**
   * Prepares a proposed block this node holds, unless it covers rounds still open here (the proposal is kept and
   * considered when they close) or leaves out a reading this node holds an acceptance certificate for (refused, and
   * the certificates handed over). A block re-proposed under its prepare certificate is prepared whatever it holds:
   * t members prepared it, one of them may have committed it, and refusing it could stall the cluster for good
   * (docs/protocol.md §10, "What a member prepares").
   */
  considerPrepare(view: number, hash: Uint8Array): void {
    const hs = this.st.hs;
    const key = hexKey(hash);
    const content = hs.contents[key];
    if (!content || view !== hs.view || !this.ctx.isVoter) return;
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
    const mine = this.votes.sign(Phase.PREPARE, view, hash, true);
    if (mine) this.votes.count(Phase.PREPARE, view, hash, this.ctx.selfIndex, mine);
  }

  /**
   * Gives the view up at once when the view's proposal (prepared here or not) leaves out a reading this node now holds
   * the certificate and the submission of: handed over by a member that refused it, they show this node what it
   * would have refused the proposal for, and without it the view waits out every other timer (one refusing member's
   * timeout moves no one). A re-proposed lock is exempt, as for a prepare, and so is a block with t prepares here.
   */
  reconsider(): void {
    const hs = this.st.hs;
    const view = hs.view;
    if (!this.ctx.isVoter || !hs.entered || hs.myTimeout[view]) return;
    const proposed = hs.signedBy[`${Phase.PREPARE}:${view}:${this.ctx.proposerIndex(hs.height, view)}`];
    if (!proposed || hs.justified[proposed.hash]) return;
    // t prepares already: the block is locked and will be re-proposed whatever this node does; giving up only delays it.
    if (this.ctx.quorum.reached(hs.counts.get(`${Phase.PREPARE}:${view}:${proposed.hash}`))) return;
    const content = hs.contents[proposed.hash];
    if (!content || !this.rounds.roundsClosed(content.checked.header.last)) return;
    if (this.rounds.missingAccepted(content.checked).length === 0) return;
    this.need.giveUp(view);
  }

  /**
   * Refuses a proposal that leaves out readings this node holds certificates for, hands them over (once per view):
   * the round certificates and the submissions it holds, to everyone, so that the next proposer, and every member,
   * holds them too; then gives the view up at once (its timeout after them, so they reach the next proposer first).
   */
  private refuseProposal(view: number, missing: readonly Missing[]): void {
    const hs = this.st.hs;
    const first = missing[0]!;
    this.ctx.emit({ type: 'refused', what: 'proposal', reason: `block ${hs.height} view ${view} leaves out ${missing.length} accepted reading(s), the first of member ${first.member} in round ${first.round}` });
    if (!hs.handedOver[view]) this.handOver(view, missing);
    this.need.giveUp(view);
  }

  private handOver(view: number, missing: readonly Missing[]): void {
    const hs = this.st.hs;
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
    const expect = expectation(this.ctx.manifest, this.ctx.epochStart, this.st);
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
    const hs = this.st.hs;
    if (hs.askedProposal[view] || proposer === this.ctx.selfIndex) return;
    hs.askedProposal[view] = true;
    this.ctx.publish('sync', this.need.syncRequest(height, view), this.ctx.manifest.members[proposer]!.address);
  }

  /**
   * Checks a proposed block where this node expects the next one. With checks shared by the nodes of a process, the
   * first node to check a block records the verdict, and the others take it when they expect the block at the same
   * place (manifest, height, previous block, first round) and hold the same body: the verdict depends on nothing else.
   */
  private inspectProposal(header: Uint8Array, body: Uint8Array, hash: Uint8Array): BlockVerdict {
    const expect = expectation(this.ctx.manifest, this.ctx.epochStart, this.st);
    const shared = this.ctx.shared;
    const key = shared ? this.proposalKey(hash) : '';
    if (shared) {
      const hit = shared.blocks.get(key);
      if (hit && equalBytes(hit.body, body)) return { ok: true, block: hit.block };
    }
    const verdict = inspectBlock(this.ctx.manifest, this.ctx.hash, header, body, undefined, expect, this.ctx.oracle(), this.rounds.knownSubmission(), this.ctx.rootOf);
    if (shared && verdict.ok) shared.blocks.set(key, { body, block: verdict.block });
    return verdict;
  }

  private checkJustification(height: number, view: number, hash: Uint8Array, timeouts: [number, number | null, Uint8Array | null, Uint8Array][], lockCert: BlockCertificate | null): boolean {
    const m = this.ctx.manifest;
    if (!this.ctx.quorum.reached(timeouts.length)) return false;
    let highest = -1;
    for (let i = 0; i < timeouts.length; i++) {
      const e = timeouts[i]!;
      const voter = e[0];
      if (i > 0 && timeouts[i - 1]![0] >= voter) return false;
      if (voter >= this.ctx.n || m.members[voter]!.role !== 'full') return false;
      if ((e[1] === null) !== (e[2] === null)) return false;
      const body = timeoutBody(m, height, view - 1, m.members[voter]!.address, e[1], e[2]);
      if (!this.ctx.verify(m.members[voter]!.publicKey, timeoutSigningInput(body), e[3])) return false;
      if (e[1] !== null && e[1] > highest) highest = e[1];
    }
    if (lockCert === null) return highest < 0;
    if (lockCert.view < highest || !equalBytes(lockCert.block, hash)) return false;
    return checkBlockCertificate(m, lockCert, Phase.PREPARE, height, hash, this.ctx.oracle()) === '';
  }
}
