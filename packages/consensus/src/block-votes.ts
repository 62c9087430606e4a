// Block votes (docs/protocol.md §9): a member's prepare and commit votes on the block under agreement. It signs its
// own only above its last mark (never twice for one slot, across restarts), checks and counts the others', locks on a
// prepare certificate and signs the commit vote that follows it; a commit quorum it hands on (commit.ts). Two
// different votes of one voter for one slot become evidence.
import { Domain, encode, signingInput } from '@meterchain/core';
import type { AgreementState } from './agreement-state.ts';
import { Phase, blockCertificateToCbor, decodeBlockVote, decodeSigned, signBlockVote, type BlockCertificate } from './block.ts';
import { hexKey, type NodeContext } from './context.ts';
import type { PersistRecord } from './effects.ts';
import type { EvidenceKind } from './evidence.ts';
import type { RoundsView } from './rounds-view.ts';
import type { Topic } from './topics.ts';

type VotesContext = Pick<NodeContext, 'manifest' | 'selfIndex' | 'self' | 'isVoter' | 'quorum' | 'signer' | 'stats' | 'verify' | 'voterOf' | 'emit' | 'publish' | 'drop'>;

/** What block votes need of the rest of block agreement. */
export interface VotesNeed {
  /** Keeps a checked message for a later height (catch-up). */
  keepLater(height: number, topic: Topic, bytes: Uint8Array, signer: number): void;
  /** Two different signed block votes of a voter for one slot: evidence. */
  recordEvidence(kind: EvidenceKind, a: Uint8Array, b: Uint8Array): void;
  /** t commit votes for one block in one view. */
  commitQuorum(view: number, block: Uint8Array): void;
}

/** (h, v, p) ordering of block signatures: a node signs only above its last mark. */
function markBelow(h: number, v: number, p: number, mark: { height: number; view: number; phase: number }): boolean {
  if (h !== mark.height) return h < mark.height;
  if (v !== mark.view) return v < mark.view;
  return p <= mark.phase;
}

export class BlockVotes {
  /** The last block signature this node made: (height, view, phase). */
  private mark: { height: number; view: number; phase: number };

  constructor(
    private readonly ctx: VotesContext,
    private readonly st: AgreementState,
    private readonly rounds: RoundsView,
    private readonly need: VotesNeed,
  ) {
    this.mark = { height: -1, view: -1, phase: -1 };
  }

  /** Takes up a block vote this node persisted: its mark, and at the current height the vote itself. */
  restoreRecord(rec: PersistRecord): void {
    const phase = rec.kind === 'prepare' ? Phase.PREPARE : Phase.COMMIT;
    if (!markBelow(rec.height, rec.view, phase, this.mark)) this.mark = { height: rec.height, view: rec.view, phase };
    this.rememberOwn(rec);
  }

  private rememberOwn(rec: PersistRecord): void {
    const hs = this.st.hs;
    if (rec.height !== hs.height) return;
    const d = decodeSigned(rec.bytes);
    if (!d.ok) return;
    const v = decodeBlockVote(d.body);
    if (!v.ok) return;
    hs.signedBy[`${v.vote.phase}:${v.vote.view}:${this.ctx.selfIndex}`] = { hash: hexKey(v.vote.block), bytes: rec.bytes };
  }

  /** Re-sends and counts a block vote this node persisted at the current height before a restart. */
  resume(rec: PersistRecord): void {
    const d = decodeSigned(rec.bytes);
    if (!d.ok) return;
    const v = decodeBlockVote(d.body);
    if (!v.ok || v.vote.height !== this.st.hs.height) return;
    this.ctx.publish('block-vote', rec.bytes);
    this.count(v.vote.phase, v.vote.view, v.vote.block, this.ctx.selfIndex, rec.bytes);
  }

  /** Signs a block vote unless it would sign below or at its mark; persists it; returns the message bytes. */
  sign(phase: number, view: number, block: Uint8Array, publish: boolean): Uint8Array | undefined {
    const hs = this.st.hs;
    const h = hs.height;
    if (markBelow(h, view, phase, this.mark)) {
      const same = hs.signedBy[`${phase}:${view}:${this.ctx.selfIndex}`];
      return same && same.hash === hexKey(block) ? same.bytes : undefined;
    }
    const v = signBlockVote(this.ctx.manifest, h, view, phase, block, this.ctx.self, this.ctx.signer);
    this.mark = { height: h, view, phase };
    const record: PersistRecord = { kind: phase === Phase.PREPARE ? 'prepare' : 'commit', round: -1, height: h, view, bytes: v.bytes };
    this.ctx.emit({ type: 'persist', record });
    if (publish) this.ctx.publish('block-vote', v.bytes);
    return v.bytes;
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
    const m = this.ctx.manifest;
    const hs = this.st.hs;
    const voter = this.ctx.voterOf(v);
    if (voter < 0) return;
    if (v.height < hs.height) return;
    if (v.height > hs.height) {
      if (!this.ctx.verify(m.members[voter]!.publicKey, signingInput(Domain.BLOCK, sv.body), sv.sig)) this.ctx.drop('bad-signature');
      else this.need.keepLater(v.height, 'block-vote', bytes, voter);
      return;
    }
    // A prepare vote for a block that already has its prepare quorum changes nothing here: it is not verified (the
    // commit votes follow; an equivocation among such surplus votes goes unnoticed, which costs no safety).
    if (v.phase === Phase.PREPARE && this.ctx.quorum.reached(hs.counts.get(`${Phase.PREPARE}:${v.view}:${hexKey(v.block)}`))) {
      this.ctx.stats.surplus++;
      return;
    }
    if (!this.ctx.verify(m.members[voter]!.publicKey, signingInput(Domain.BLOCK, sv.body), sv.sig)) {
      this.ctx.drop('bad-signature');
      return;
    }
    this.count(v.phase, v.view, v.block, voter, bytes);
  }

  /** Counts a verified block vote; two different ones from one voter for one slot become evidence. */
  count(phase: number, view: number, block: Uint8Array, voter: number, bytes: Uint8Array): void {
    const hs = this.st.hs;
    const slot = `${phase}:${view}:${voter}`;
    const key = hexKey(block);
    const prior = hs.signedBy[slot];
    if (prior) {
      if (prior.hash !== key) this.need.recordEvidence('block', prior.bytes, bytes);
      if (prior.hash !== key || voter !== this.ctx.selfIndex) return;
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
    if (!this.ctx.quorum.reached(hs.counts.add(`${phase}:${view}:${key}`))) return;
    if (phase === Phase.PREPARE) this.onPrepared(view, block);
    else this.need.commitQuorum(view, block);
  }

  /** The certificate of the votes counted for `block` in this phase and view. */
  certificateOf(phase: number, view: number, block: Uint8Array): BlockCertificate {
    const hs = this.st.hs;
    const table = phase === Phase.PREPARE ? hs.prepares : hs.commits;
    const sigs = table[view]![hexKey(block)]!;
    const votes: { voter: number; sig: Uint8Array }[] = [];
    for (const k of Object.keys(sigs)) votes.push({ voter: Number(k), sig: sigs[Number(k)]! });
    votes.sort((a, b) => a.voter - b.voter);
    return { phase, height: hs.height, view, block, votes };
  }

  /** A prepare quorum: this node locks on it (persisted) and, in the current view, signs the commit vote. */
  private onPrepared(view: number, block: Uint8Array): void {
    const st = this.st;
    const hs = st.hs;
    const content = hs.contents[hexKey(block)];
    if (!content || !this.ctx.isVoter) return;
    if (!st.lock || st.lock.view < view) {
      const cert = this.certificateOf(Phase.PREPARE, view, block);
      st.lock = { view, hash: block, cert, content };
      const bytes = encode({ cert: blockCertificateToCbor(cert), header: content.header, body: content.body });
      this.ctx.emit({ type: 'persist', record: { kind: 'lock', round: -1, height: hs.height, view, bytes } });
    }
    if (view < hs.view) return;
    // The commit vote follows this node's own prepare; without one, the block must pass what a prepare checks.
    const key = hexKey(block);
    const own = hs.signedBy[`${Phase.PREPARE}:${view}:${this.ctx.selfIndex}`];
    if (!(own && own.hash === key) && !hs.justified[key] && (!this.rounds.roundsClosed(content.checked.header.last) || this.rounds.missingAccepted(content.checked).length > 0)) return;
    const mine = this.sign(Phase.COMMIT, view, block, true);
    if (mine) this.count(Phase.COMMIT, view, block, this.ctx.selfIndex, mine);
  }
}
