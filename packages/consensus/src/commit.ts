// Commit (docs/protocol.md §9–§10): a block is committed on t commit votes for it, or on a commit certificate that
// comes with the block (a stored block answering a sync request) or with its header alone (the proposer's commit
// notice, for members holding the proposal). Committing moves the tip, tells the rounds and the evidence pool what the
// block settles, and hands the next height the messages catch-up kept for it. A block for a later height is asked
// for from its signers instead.
import { encode } from '@meterchain/core';
import { expectation, heightOfHeader, newHeight, type AgreementState, type Content } from './agreement-state.ts';
import { Phase, blockCertificateFromCbor, blockCertificateToCbor, decodeStoredBlock, encodeStoredBlock, type BlockCertificate } from './block.ts';
import type { BlockVotes } from './block-votes.ts';
import type { CatchUp } from './catch-up.ts';
import { checkBlockCertificate, firstRoundOf, inspectBlock } from './chain.ts';
import { hexKey, type NodeContext } from './context.ts';
import type { EvidencePool } from './evidence-pool.ts';
import type { RoundsView } from './rounds-view.ts';
import { decodeCommitNotice } from './wire/block-agreement.ts';

type CommitContext = Pick<NodeContext, 'manifest' | 'hash' | 'n' | 'selfIndex' | 'epochStart' | 'stats' | 'oracle' | 'rootOf' | 'emit' | 'publish' | 'drop' | 'proposerIndex'>;

export class Commit {
  constructor(
    private readonly ctx: CommitContext,
    private readonly st: AgreementState,
    private readonly rounds: RoundsView,
    private readonly votes: Pick<BlockVotes, 'certificateOf'>,
    private readonly evidence: Pick<EvidencePool, 'committedAt'>,
    private readonly catchUp: Pick<CatchUp, 'ask' | 'committed' | 'newHeight' | 'takeUpKept'>,
  ) {}

  /** t commit votes for `block` in `view`: committed if this node holds the block, else asked for. */
  onCommitQuorum(view: number, block: Uint8Array): void {
    const hs = this.st.hs;
    const content = hs.contents[hexKey(block)];
    const cert = this.votes.certificateOf(Phase.COMMIT, view, block);
    if (!content) {
      const signers: number[] = [];
      for (const v of cert.votes) signers.push(v.voter);
      this.catchUp.ask(signers);
      return;
    }
    this.commit(content, cert, this.ctx.proposerIndex(hs.height, view) === this.ctx.selfIndex);
  }

  onBlock(bytes: Uint8Array): void {
    const s = decodeStoredBlock(bytes);
    if (!s.ok) {
      this.onCommitNotice(bytes);
      return;
    }
    const hs = this.st.hs;
    const height = heightOfHeader(s.block.header);
    if (height < hs.height) return;
    if (height > hs.height) {
      // Not kept (a stored block is as large as blocks come, and checking it takes t signatures): this node asks for
      // the blocks it lacks, one by one, from the signers.
      const signers: number[] = [];
      for (const v of s.block.commit.votes) signers.push(v.voter);
      this.catchUp.ask(signers);
      return;
    }
    // The block this node has checked already (it came as a proposal): only its commit certificate is new. The body
    // committed is the one checked, which the header names by its hash.
    const m = this.ctx.manifest;
    const hash = this.ctx.hash(s.block.header);
    const held = hs.contents[hexKey(hash)];
    if (held) {
      if (checkBlockCertificate(m, s.block.commit, Phase.COMMIT, height, hash, this.ctx.oracle()) !== '') {
        this.ctx.drop('bad-certificate');
        return;
      }
      this.commit(held, s.block.commit, false);
      return;
    }
    const expect = expectation(m, this.ctx.epochStart, this.st);
    const verdict = inspectBlock(m, this.ctx.hash, s.block.header, s.block.body, s.block.commit, expect, this.ctx.oracle(), this.rounds.knownSubmission(), this.ctx.rootOf);
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
    const height = d.ok ? heightOfHeader(d.value.header) : -1;
    if (!d.ok || height < 0) {
      this.ctx.drop('malformed');
      return;
    }
    const o = d.value;
    const hs = this.st.hs;
    if (height < hs.height) return;
    const cert = blockCertificateFromCbor(o.commit);
    const signers: number[] = [];
    for (const v of cert.votes) if (v.voter < this.ctx.n) signers.push(v.voter);
    if (height > hs.height) {
      this.catchUp.ask(signers);
      return;
    }
    const hash = this.ctx.hash(o.header);
    const held = hs.contents[hexKey(hash)];
    if (checkBlockCertificate(this.ctx.manifest, cert, Phase.COMMIT, height, hash, this.ctx.oracle()) !== '') {
      this.ctx.drop('bad-certificate');
      return;
    }
    if (held) this.commit(held, cert, false);
    else this.catchUp.ask(signers);
  }

  private commit(content: Content, cert: BlockCertificate, announce: boolean): void {
    const st = this.st;
    const stored = encodeStoredBlock({ header: content.header, body: content.body, commit: cert });
    const header = content.checked.header;
    const own: number[] = [];
    const readings: { meter: Uint8Array; seq: number }[] = [];
    for (const s of content.checked.submissions) {
      if (s.index === this.ctx.selfIndex && s.reading) own.push(s.reading.seq);
      readings.push({ meter: s.member.address, seq: s.firstSeq });
    }
    this.rounds.reportLate(content.checked);
    this.ctx.emit({ type: 'committed', height: header.height, view: cert.view, hash: content.hash, block: stored, submissions: content.checked.submissions.length, last: header.last, own, readings });
    if (announce) this.ctx.publish('block', encode({ header: content.header, commit: blockCertificateToCbor(cert) }));
    this.ctx.stats.blocksCommitted++;
    st.tipHeight = header.height;
    st.tipHash = content.hash;
    this.catchUp.committed(header.height, stored);
    this.evidence.committedAt(
      header.height,
      content.checked.evidence.map((c) => c.key),
      firstRoundOf(this.ctx.manifest, header.height + 1, this.ctx.epochStart),
    );
    st.lock = null;
    st.hs = newHeight(header.height + 1);
    this.catchUp.newHeight();
    this.rounds.pruneRounds();
    this.catchUp.takeUpKept(header.height + 1);
  }
}
