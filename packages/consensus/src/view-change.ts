// View change (docs/protocol.md §10): a member's timeouts at the height under agreement. It signs a timeout when its
// view's time runs out (naming its lock, with the lock's prepare certificate) and says it again until the view
// changes, checks and counts the others', moves to the next view on t timeouts for one, gives a view up at once when
// n − t + 1 members have or when it refuses the view's proposal for a reason it can show, and re-sends a left view's
// timeouts to a member lagging behind.
import { encode, equalBytes } from '@meterchain/core';
import type { AgreementState, HeightState, TimeoutEntry } from './agreement-state.ts';
import { Phase, blockCertificateFromCbor, blockCertificateToCbor, decodeTimeout, timeoutBody, timeoutSigningInput, type BlockCertificate, type Timeout } from './block.ts';
import { checkBlockCertificate } from './chain.ts';
import type { NodeContext } from './context.ts';
import type { PersistRecord } from './effects.ts';
import type { Topic } from './topics.ts';
import { decodeTimeoutMessage } from './wire/block-agreement.ts';

type ViewContext = Pick<
  NodeContext,
  'manifest' | 'selfIndex' | 'self' | 'isVoter' | 'quorum' | 'signer' | 'stats' | 'now' | 'verify' | 'voterOf' | 'oracle' | 'publish' | 'persistThenPublish' | 'drop' | 'viewTimeout'
>;

/** What view change needs of the rest of block agreement. */
export interface ViewNeed {
  /** Keeps a checked message for a later height (catch-up). */
  keepLater(height: number, topic: Topic, bytes: Uint8Array, signer: number): void;
  /** t timeouts for the view before: this node enters `view`. */
  enterView(view: number): void;
}

export class ViewChange {
  /** The last timeout this node signed: (height, view). */
  private mark: { height: number; view: number };
  /** The link to the other members is down (the runtime said so): the view timer is held. */
  private down = false;

  constructor(
    private readonly ctx: ViewContext,
    private readonly st: AgreementState,
    private readonly need: ViewNeed,
  ) {
    this.mark = { height: -1, view: -1 };
  }

  /** Takes up a timeout this node persisted: its mark, and at the current height the timeout itself. */
  restoreRecord(rec: PersistRecord): void {
    if (rec.height > this.mark.height || (rec.height === this.mark.height && rec.view > this.mark.view)) {
      this.mark = { height: rec.height, view: rec.view };
    }
    if (rec.height === this.st.hs.height) this.st.hs.myTimeout[rec.view] = rec.bytes;
  }

  /** Counts a timeout this node persisted at the current height before a restart (tick re-sends it). */
  resume(rec: PersistRecord): void {
    const entry = this.ownTimeoutEntry(rec.bytes);
    if (entry) this.count(entry, rec.view);
  }

  /**
   * The link to the other members went down or came back. While it is down this node signs no timeout and says none
   * again: nothing it sends leaves, and the proposal it waits for may be held behind the outage (spooled at its
   * proposer, or at the broker). When it comes back the timer of the view it is in starts again, unless it already
   * gave that view up, so that the proposal sent meanwhile can still arrive (docs/protocol.md §10 step 5).
   */
  link(up: boolean): void {
    if (!up) {
      this.down = true;
      return;
    }
    if (!this.down) return;
    this.down = false;
    const hs = this.st.hs;
    if (hs.entered && !hs.myTimeout[hs.view]) hs.viewStart = this.ctx.now;
  }

  /** The earliest time the view's timer has something to do. */
  wakeAt(): number {
    const hs = this.st.hs;
    if (this.down) return Number.POSITIVE_INFINITY;
    if (!hs.myTimeout[hs.view]) return hs.viewStart + this.ctx.viewTimeout(hs.view);
    return hs.lastTimeoutSent + this.ctx.manifest.params.timeoutMs;
  }

  /** Times the view of `hs` out (the height's state when the tick began), and says so again until the view changes. */
  tick(hs: HeightState): void {
    if (this.down) return;
    const mine = hs.myTimeout[hs.view];
    if (!mine && this.ctx.now >= hs.viewStart + this.ctx.viewTimeout(hs.view)) this.send();
    else if (mine && this.ctx.now >= hs.lastTimeoutSent + this.ctx.manifest.params.timeoutMs) {
      // Messages get lost: say it again (same bytes, no new signature) until the view changes.
      hs.lastTimeoutSent = this.ctx.now;
      this.ctx.publish('timeout', mine);
    }
  }

  /**
   * Gives view `view` up at once, without waiting out its timer: this node refused the view's proposal for a reason it
   * can show (docs/protocol.md §10 step 5), so it will sign nothing for that proposal, and waiting only delays the next
   * proposer. Only in the view it is in, once entered, and as a voter; the timeout is the one its timer would sign.
   */
  giveUp(view: number): void {
    const hs = this.st.hs;
    if (view !== hs.view || !hs.entered || !this.ctx.isVoter || hs.myTimeout[view]) return;
    this.send();
  }

  /** This node's own timeout message as counted (its lock and signature), from the bytes it persisted. */
  private ownTimeoutEntry(bytes: Uint8Array): TimeoutEntry | undefined {
    const d = decodeTimeoutMessage(bytes);
    if (!d.ok) return undefined;
    const o = d.value;
    const t = decodeTimeout(o.body);
    if (!t.ok) return undefined;
    const entry: TimeoutEntry = { voter: this.ctx.selfIndex, bytes, lockView: t.timeout.lockView ?? null, lock: t.timeout.lock ?? null, sig: o.sig };
    if (o.cert !== null) entry.cert = blockCertificateFromCbor(o.cert);
    if ((entry.lock === null) !== (entry.cert === undefined)) return undefined;
    return entry;
  }

  private send(): void {
    const hs = this.st.hs;
    const view = hs.view;
    if (this.mark.height > hs.height || (this.mark.height === hs.height && this.mark.view >= view)) return;
    const lock = this.st.lock;
    const body = timeoutBody(this.ctx.manifest, hs.height, view, this.ctx.self, lock ? lock.view : null, lock ? lock.hash : null);
    const sig = this.ctx.signer.sign(timeoutSigningInput(body));
    const bytes = encode({ body, sig, cert: lock ? blockCertificateToCbor(lock.cert) : null });
    this.mark = { height: hs.height, view };
    hs.myTimeout[view] = bytes;
    hs.lastTimeoutSent = this.ctx.now;
    this.ctx.stats.timeouts++;
    this.ctx.persistThenPublish({ kind: 'timeout', round: -1, height: hs.height, view, bytes }, 'timeout', bytes);
    this.count({ voter: this.ctx.selfIndex, bytes, lockView: lock ? lock.view : null, lock: lock ? lock.hash : null, sig, cert: lock ? lock.cert : undefined }, view);
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
    const m = this.ctx.manifest;
    const hs = this.st.hs;
    const tm: Timeout = t.timeout;
    const voter = this.ctx.voterOf(tm);
    if (voter < 0) return;
    if (tm.height < hs.height) return;
    if (tm.height > hs.height) {
      if (!this.ctx.verify(m.members[voter]!.publicKey, timeoutSigningInput(o.body), o.sig)) this.ctx.drop('bad-signature');
      else this.need.keepLater(tm.height, 'timeout', bytes, voter);
      return;
    }
    const existing = hs.timeouts[tm.view];
    const known = existing ? existing[voter] : undefined;
    if (known) {
      // The same timeout again from a member still in a view this node has left (it restarted, or missed the
      // timeouts that moved the others on): it gets them.
      if (tm.view < hs.view && equalBytes(known.bytes, bytes)) this.answerLagging(tm.view, voter);
      return;
    }
    if (!this.ctx.verify(m.members[voter]!.publicKey, timeoutSigningInput(o.body), o.sig)) {
      this.ctx.drop('bad-signature');
      return;
    }
    let cert: BlockCertificate | undefined;
    if (tm.lock !== undefined) {
      if (o.cert === null) {
        // A lock named without its prepare certificate.
        this.ctx.drop('bad-certificate');
        return;
      }
      cert = blockCertificateFromCbor(o.cert);
      if (cert.view !== tm.lockView || checkBlockCertificate(m, cert, Phase.PREPARE, tm.height, tm.lock, this.ctx.oracle()) !== '') {
        this.ctx.drop('bad-certificate');
        return;
      }
    }
    const entry: TimeoutEntry = { voter, bytes, lockView: tm.lockView ?? null, lock: tm.lock ?? null, sig: o.sig };
    if (cert) entry.cert = cert;
    this.count(entry, tm.view);
    if (tm.view < this.st.hs.view) this.answerLagging(tm.view, voter);
  }

  /**
   * Re-sends the t timeouts of `view` that moved this node past it (the signers' own bytes, no new signature), at most
   * once per timeoutMs and only once in the view it is in for timeoutMs: a restarted member resumes the view of its
   * last signature, and without them would wait for timeouts no one sends again, as those who moved on re-send only
   * their latest. Only the n − t + 1 members after the lagging one (in manifest order) answer, so that one correct
   * member does while at most n − t are faulty: at 64 members 22 answers of t timeouts each, not 63.
   */
  private answerLagging(view: number, lagging: number): void {
    const hs = this.st.hs;
    const quorum = this.ctx.quorum;
    if (!quorum.answersLagging(this.ctx.selfIndex, lagging)) return;
    const timeoutMs = this.ctx.manifest.params.timeoutMs;
    if (this.ctx.now < hs.lastLagAnswer + timeoutMs) return;
    // Moved on less than timeoutMs ago: the timeouts that moved this node are most likely still on their way to the
    // member that seems to lag, its timeout said again having crossed them. Answering then multiplies a slow cluster's
    // traffic (at 64 members 22 answers of 43 timeouts, each to every member) just when it can least carry it; a
    // member that does lag says its timeout again timeoutMs later, and is answered then.
    if (this.ctx.now < hs.viewStart + timeoutMs) return;
    const tv = hs.timeouts[view];
    if (!tv) return;
    const entries: TimeoutEntry[] = [];
    for (const k of Object.keys(tv)) entries.push(tv[Number(k)]!);
    if (!quorum.reached(entries.length)) return;
    hs.lastLagAnswer = this.ctx.now;
    entries.sort((a, b) => a.voter - b.voter);
    for (let i = 0; i < quorum.t; i++) this.ctx.publish('timeout', entries[i]!.bytes);
  }

  private count(entry: TimeoutEntry, view: number): void {
    const hs = this.st.hs;
    if (!hs.timeouts[view]) hs.timeouts[view] = {};
    const tv = hs.timeouts[view]!;
    if (tv[entry.voter]) return;
    tv[entry.voter] = entry;
    const count = hs.counts.add(`t:${view}`);
    if (this.ctx.quorum.reached(count) && view >= hs.view) this.need.enterView(view + 1);
    // n − t + 1 timeouts for the view this node is in: at least one correct member gave it up (at most n − t are
    // faulty), so this one gives it up too, at once, instead of waiting out its own timer. A member back from a
    // restart or a full disk, whose timer starts late, would otherwise hold the view change one view timeout longer.
    else if (this.ctx.quorum.includesCorrect(count) && view === hs.view && hs.entered && this.ctx.isVoter) this.send();
  }
}
