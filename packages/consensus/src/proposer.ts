// Proposing (docs/protocol.md §9, "Proposing"): the block a member proposes in its turn. In view 0 it is built from the
// closed rounds' certificates and the accepted submissions this node holds, with the evidence pending; after a view
// change it is the block of the highest lock among the t timeouts that justify the view (or this node's own lock).
// The proposal goes out compact (submissions named by digest); the whole one is kept for members that ask for it.
import { encode, type CborValue } from '@meterchain/core';
import { expectation, type AgreementState, type Content, type TimeoutEntry } from './agreement-state.ts';
import { BLOCK_VERSION, Phase, addReadingToSummary, blockCertificateToCbor, encodeBody, encodeHeader, type BlockCertificate, type BlockHeader } from './block.ts';
import type { BlockVotes } from './block-votes.ts';
import { buildRoundCertificate, roundCertificateToCbor, type RoundCertificate } from './certificate.ts';
import { countCertificates, excludedVoters, firstRoundOf, inspectBlock, type CheckedBlock } from './chain.ts';
import { consensusError } from './codes.ts';
import { hexKey, type NodeContext } from './context.ts';
import type { EvidencePool } from './evidence-pool.ts';
import { merkleRoot } from './merkle.ts';
import type { RoundsView } from './rounds-view.ts';

type ProposerContext = Pick<NodeContext, 'manifest' | 'hash' | 'n' | 'self' | 'selfIndex' | 'quorum' | 'epochStart' | 'stats' | 'rootOf' | 'publish'>;

export class Proposer {
  constructor(
    private readonly ctx: ProposerContext,
    private readonly st: AgreementState,
    private readonly rounds: RoundsView,
    private readonly evidence: Pick<EvidencePool, 'forBlock'>,
    private readonly votes: Pick<BlockVotes, 'sign' | 'count'>,
    /** LAB ONLY: leave every round certificate out (NodeConfig.labCensor). */
    private readonly labCensor: boolean,
  ) {}

  /** Proposes in the current view: this node's lock, the lock the view's justification names, or a new block. */
  propose(): void {
    const hs = this.st.hs;
    const lockHeld = this.st.lock;
    hs.proposed[hs.view] = true;
    const view = hs.view;
    let content: Content | undefined;
    let lockCert: BlockCertificate | null = null;
    const entries: TimeoutEntry[] = [];
    if (view > 0) {
      const tv = hs.timeouts[view - 1] ?? {};
      for (const k of Object.keys(tv)) entries.push(tv[Number(k)]!);
      entries.sort((a, b) => a.voter - b.voter);
      if (!this.ctx.quorum.reached(entries.length)) return;
      entries.splice(this.ctx.quorum.t);
      const best = highestTimeoutLock(entries);
      if (lockHeld && (!best || lockHeld.view >= best.lockView!)) {
        content = lockHeld.content;
        lockCert = lockHeld.cert;
      } else if (best) {
        content = hs.contents[hexKey(best.lock!)];
        lockCert = best.cert ?? null;
        if (!content || !lockCert) return;
      }
    } else if (lockHeld) {
      content = lockHeld.content;
      lockCert = lockHeld.cert;
    }
    if (!content) content = this.buildBlock();
    if (!content) return;
    hs.contents[hexKey(content.hash)] = content;
    const vote = this.votes.sign(Phase.PREPARE, view, content.hash, false);
    if (!vote) return;
    this.ctx.stats.proposals++;
    const timeouts: CborValue[] = [];
    for (const e of entries) timeouts.push([e.voter, e.lockView, e.lock, e.sig]);
    const lock = lockCert ? blockCertificateToCbor(lockCert) : null;
    hs.fullProposals[view] = encode({ header: content.header, body: content.body, view, vote, timeouts, lock });
    this.ctx.publish('proposal', encode({ header: content.header, compact: compactBody(content.checked), view, vote, timeouts, lock }));
    this.votes.count(Phase.PREPARE, view, content.hash, this.ctx.selfIndex, vote);
  }

  /** Assembles this node's block for the current height from its certificates (docs/protocol.md, "Proposing"). */
  private buildBlock(): Content | undefined {
    const m = this.ctx.manifest;
    const hash = this.ctx.hash;
    const height = this.st.hs.height;
    const first = firstRoundOf(m, height, this.ctx.epochStart);
    const last = first + m.params.blockRounds - 1;
    const pooled = this.evidence.forBlock(hash, height, first, last);
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
      for (let i = 0; i < this.ctx.n; i++) {
        const o = this.ctx.quorum.outcome(tally[i]!);
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
      prev: this.st.tipHash,
      first,
      last,
      root: merkleRoot(hash, subs),
      count: subs.length,
      rounds: counted.summaries,
      body: hash(bodyBytes),
      proposer: this.ctx.self,
    };
    const headerBytes = encodeHeader(header);
    // Check it as every member will: a bug here must not go out as a block.
    const expect = expectation(m, this.ctx.epochStart, this.st);
    const verdict = inspectBlock(m, hash, headerBytes, bodyBytes, undefined, expect, () => true, this.rounds.knownSubmission(), this.ctx.rootOf);
    if (!verdict.ok) throw consensusError('BAD_BLOCK', `consensus node: built an invalid block: ${verdict.reason}`);
    return { header: headerBytes, body: bodyBytes, hash: verdict.block.hash, checked: verdict.block };
  }
}

/** The timeout among `entries` naming the highest lock, if any names one. */
function highestTimeoutLock(entries: TimeoutEntry[]): TimeoutEntry | undefined {
  let best: TimeoutEntry | undefined;
  for (const e of entries) if (e.lockView !== null && (!best || e.lockView > best.lockView!)) best = e;
  return best;
}

/** A block's body with each submission named by its digest (a compact proposal's `compact`). */
function compactBody(block: CheckedBlock): Uint8Array {
  const subs: Uint8Array[] = [];
  for (const s of block.submissions) subs.push(s.digest);
  const certs: CborValue[] = [];
  for (const c of block.body.certs) certs.push(roundCertificateToCbor(c));
  return encode({ v: block.body.v, subs, certs, evidence: block.body.evidence.slice(0) });
}
