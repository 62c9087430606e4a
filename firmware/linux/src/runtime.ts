// The meter node: sensor → edge → sign → publish → vote → block → store. The consensus state machine decides; this
// shell performs the record each step returns (docs/protocol.md §11–§12), each machine's share one item at a time in
// the order given: every persist is durable before the next item runs, and a frame that names the record it rests on
// goes out only once that record is durable, so nothing signed is published before it is on disk.
import {
  addressFromPublicKey,
  addressToText,
  decode,
  decodeReading,
  Domain,
  encode,
  encodeReading,
  signingInput,
  signReading,
  equalBytes,
  openEnvelope,
  toHex,
  type Channel,
  type Hash,
  type Manifest,
  type Reading,
  type Signer,
  type Verifier,
} from '@meterchain/core';
import {
  BLOCK_VERSION,
  ConsensusNode,
  decodeVoteMessage,
  emptyJudgments,
  encodeHeader,
  merkleRoot,
  machineOfTopic,
  reasonName,
  roundOf,
  roundStart,
  signVote,
  type Batch,
  type Committed,
  type Judges,
  type NodeEvent,
  type Outcome,
  type PersistRecord,
  type StepEntry,
  type StepResult,
  type Topic,
  type SharedChecks,
} from '@meterchain/consensus';
import { createPipeline, type Pipeline, type Profile } from '@meterchain/edge';
import type { ChainStore, FrameStore, NodeState } from '@meterchain/ledger';
import { summarizeFrames } from '@meterchain/pmu';
import type { Delivery, PublishReceipt, Subscription, Transport } from '@meterchain/transport';
import { Background } from './background.ts';
import { fromFixed, toFixed } from './channels.ts';
import type { Logger } from './log.ts';
import type { Metrics } from './metrics.ts';
import type { Sensor } from './sensor.ts';
import type { PmuFeed } from './pmu-feed.ts';

/** Faults a test lab can inject into one node (never set in production). */
export type Fault = 'none' | 'forge' | 'bad-signature' | 'silent';
/** LAB ONLY (tools/campaign): how a byzantine member misbehaves; never set in production. */
export type Byzantine = 'censor' | 'equivocate' | 'flood';

export interface MeterNodeOptions {
  manifest: Manifest;
  manifestDigest: Uint8Array;
  signer: Signer;
  verifier: Verifier;
  hash: Hash;
  transport: Transport;
  store: ChainStore;
  state: NodeState;
  sensor: Sensor;
  /** Edge profile and the profile channel each reading channel (by id) feeds. */
  profile: Profile;
  edgeChannels: { edge: string; id: string }[];
  log: Logger;
  metrics: Metrics;
  now?: () => number;
  /** When in its round the node takes the round's reading, ms after the round starts (default 10). */
  readingOffsetMs?: number;
  /** What the other nodes of this process have checked (see the consensus node's `shared`). */
  shared?: SharedChecks;
  /** Where the node's block-agreement messages wait behind round traffic: one for all the nodes of a process (by
   * default the node's own, in slices of 5 ms). */
  background?: Background;
  /** How long start() waits for the broker to confirm the subscriptions before it starts sampling without them
   * (default 2000 ms): a refusal within that time fails the start; a broker that is down does not hold it up. */
  subscribeWaitMs?: number;
  /** When it takes a second, look-ahead sample (default an eighth of a round after the reading). The edge holds every
   * sample back by one (its spike check needs the next sample), so the look-ahead releases the round's reading early
   * in the round instead of after it, leaving the rest of the round for the cluster's votes; its own findings are
   * logged, and it is never submitted (one submission per round). */
  lookaheadOffsetMs?: number;
  fault?: Fault;
  /** LAB ONLY: a byzantine member (tools/campaign). */
  byzantine?: Byzantine[];
  /** Told what the node sees (samples, outcomes, blocks), for its outputs and status page; never holds it up. */
  observer?: NodeObserver;
  /** The cluster's judges (default: consensus defaultJudges); every member configures the same. */
  judges?: Judges;
  /** A PMU member: instead of a reading a round, it submits a batch of its station's frames of the round just ended,
   * `readingOffsetMs` into the next round, after storing the frames durably. `sensor` is the feed. */
  pmu?: { feed: PmuFeed; frames: FrameStore; waitMs?: number };
  /** Submissions from this source instead of the sensor's readings (a wide-area substation); `sensor` is not read. */
  submissions?: SubmissionSource;
  /** Durable record of own readings that will never be in the chain (rejected, not enough votes, too late, not
   * submitted). `bytes` is the signed submission, or with `signed: false` the reading the node did not sign. */
  unaccepted?: (entry: UnacceptedEntry) => Promise<void>;
}

/**
 * Where a node's submissions come from when they are not its sensor's readings: a wide-area substation submits
 * batches of regional anchors (substation.ts, docs/widearea.md). The node asks for a batch at each round's reading
 * slot and tells the source each block it stored; consensus, storage and transport are the meter node's own.
 */
export interface SubmissionSource {
  /** The batch to sign and submit for `round` (its `meter` this node's address), or undefined: nothing waits. */
  next(round: number): Batch | undefined;
  /** A block this node committed and stored (the stored bytes), in height order; never throws. */
  committed?(height: number, block: Uint8Array): void;
  /** Figures for the node's status line. */
  status?(): Record<string, number>;
}

export interface UnacceptedEntry {
  seq: number;
  round: number;
  outcome: string;
  height: number;
  bytes: Uint8Array;
  signed?: false;
}

/** What a node reports as it runs. Calls are synchronous and must not throw (a throw is logged and ignored). */
export interface NodeObserver {
  /** A sample was taken (ok) or the sensor failed (a gap), and how long the sensor took. */
  sampled?(e: { at: number; ms: number; ok: boolean; reading: boolean; quality?: number; error?: string }): void;
  /** The cluster decided a member's submission of a round; `reading` is set for this node's own. With `corrects`, the
   * outcome replaces the one told before for that member and round (a voter that carried it was caught equivocating,
   * docs/protocol.md §7): the last outcome told is the node's word on it. */
  outcome?(e: { at: number; round: number; member: string; outcome: 'accepted' | 'rejected' | 'not-enough-votes' | 'too-late'; reason?: number; reading?: Reading; corrects?: 'accepted' | 'rejected' }): void;
  committed?(e: { at: number; height: number; view: number; hash: string; submissions: number; last: number; own: number[] }): void;
  evidence?(e: { at: number; kind: string; accused: string; slot: number }): void;
}

export const TOPICS: Topic[] = ['submission', 'vote', 'certificate', 'proposal', 'block-vote', 'timeout', 'evidence', 'block', 'sync'];
/** Topics that also carry frames for one member (a vote to the round's leader, a sync request, the block or the whole
 * proposal answering it). */
export const ADDRESSABLE: Topic[] = ['vote', 'block', 'sync', 'proposal'];
/**
 * A frame for one member travels under its own kind, `<topic>-to-<recipient's index in the manifest>`, which only
 * that member subscribes to: the broker does not hand it to everyone (in leader mode that is n votes a round each
 * member neither receives nor drops). The frame still starts with the recipient's 20-byte address, checked on receipt.
 */
const ADDRESSED = /^([a-z-]+)-to-(\d+)$/;

/** One item of a step's record, waiting in its machine's lane. */
interface Job {
  result: StepResult;
  entry: StepEntry;
  /** Which of the step's records are durable, by index in `result.persist` (a failed or refused one is not). */
  durable: boolean[];
}

interface Lane {
  queue: Job[];
  draining: Promise<void> | undefined;
}

function newLane(): Lane {
  return { queue: [], draining: undefined };
}

interface Held {
  t: number;
  /** The round's reading (submitted) or a look-ahead sample (only checked). */
  reading: boolean;
  channels: Channel[];
  quality: number;
}

interface SampleSlot {
  at: number;
  round: number;
  reading: boolean;
}

export class MeterNode {
  readonly address: Uint8Array;
  readonly addressText: string;
  private readonly o: MeterNodeOptions;
  private readonly background: Background;
  private readonly now: () => number;
  private consensus!: ConsensusNode;
  private pipeline!: Pipeline;
  private readonly held: Held[] = [];
  /** Effects wait in two lanes, each performed in order: a round's (its submission, vote and certificate, and the
   * outcomes) and block agreement's (block votes, locks, committed blocks). A block's writes do not hold up a round's
   * vote, and what a lane persists is durable before that lane publishes what it guards. */
  private readonly lanes: { round: Lane; block: Lane } = { round: newLane(), block: newLane() };
  private timer: NodeJS.Timeout | undefined;
  /** When the timer is due, and the most its firings were late since the last status line (the event loop held up). */
  private timerDue = 0;
  private timerLateMax = 0;
  private nextSample: SampleSlot = { at: Infinity, round: -1, reading: true };
  /** The last round the submission source's batch was made for, and a batch asked for between slots (made on the next turn). */
  private sourceRound = -1;
  private sourceSoon: NodeJS.Immediate | undefined;
  private subscriptions: Subscription[] = [];
  /** This member's index in the manifest (members in address order): the tag of the frames addressed to it. */
  private readonly selfIndex: number;
  private stopped = false;
  /** Frames carrying this node's own votes, by receipt, until the broker acknowledges them (the node's
   * confirmOwnVotes); and the last acknowledgments of vote frames, for one that came back before publish() returned. */
  private readonly unconfirmed = new Map<string, number>();
  private readonly recentAcks = new Set<string>();
  private offAcknowledged: (() => void) | undefined;
  /** The broker connection's ups and downs, fed to the node as its link to the others (its view timer waits meanwhile). */
  private offLink: (() => void)[] = [];
  /** What this node has seen since it started, for its status line. */
  readonly counts = { accepted: 0, rejected: 0, notEnoughVotes: 0, evidence: 0, blocks: 0, ownAccepted: 0, ownRefused: 0 };
  /** Own readings (or batches) by round: whether the broker was unreachable when it was submitted, and the outcome seen. */
  private readonly own = new Map<number, { offline: boolean; outcome?: string; reading?: Reading }>();

  constructor(opts: MeterNodeOptions) {
    this.o = opts;
    this.now = opts.now ?? Date.now;
    this.address = addressFromPublicKey(opts.signer.publicKey, opts.hash);
    this.addressText = addressToText(this.address);
    this.selfIndex = opts.manifest.members.findIndex((m) => equalBytes(m.address, this.address));
    this.background = opts.background ?? new Background(5, (e) => opts.log.error('background task failed', { error: e as Error }));
  }

  /** Restores what the node signed before, subscribes to the cluster and starts the round timer. */
  async start(): Promise<void> {
    const o = this.o;
    const records = o.state.lastRecords();
    const tip = o.store.count > 0 ? await o.store.get(o.store.nextHeight - 1) : undefined;
    this.consensus = new ConsensusNode({
      manifest: o.manifest,
      manifestDigest: o.manifestDigest,
      signer: o.signer,
      verifier: o.verifier,
      hash: o.hash,
      restore: tip ? { tip, records } : { records },
      // Sync requests for older blocks are answered from the store (the 'sync-request' effect): the node keeps only
      // its tip in memory, not a copy of the last 64 blocks (at 64 members about 40 MB per meter).
      keepBlocks: 1,
      // The transport says when each own vote reached the broker: an acceptance resting on a vote held back (a full
      // disk, a broker outage) waits for its block (docs/protocol.md §7).
      confirmOwnVotes: true,
      ...(o.shared ? { shared: o.shared } : {}),
      ...(o.judges ? { judges: o.judges } : {}),
      ...(o.byzantine?.includes('censor') ? { labCensor: true } : {}),
    });
    this.offAcknowledged = o.transport.on('acknowledged', (r) => this.onAcknowledged(receiptKey(r)));
    this.offLink = [
      o.transport.on('connect', () => this.feed({ type: 'link', now: this.now(), up: true })),
      o.transport.on('disconnect', () => this.feed({ type: 'link', now: this.now(), up: false })),
    ];
    const ids = o.edgeChannels.map((c) => c.edge);
    this.pipeline = createPipeline(o.profile, ids);
    await o.sensor.configure();
    const handler = (d: Delivery) => this.onDelivery(d);
    const kinds = [...TOPICS, ...ADDRESSABLE.map((t) => `${t}-to-${this.selfIndex}`)];
    const subscribing = Promise.all(kinds.map((kind) => o.transport.subscribe({ kind }, handler)));
    // A broker that is down at start-up does not hold the meter up. The node waits a while for the broker's answer, so
    // that a refusal (SUBACK failure: not authorised) stops the start with its reason; past that it samples, signs and
    // spools its readings from the next slot on, and its subscriptions complete when the broker is back.
    const waitMs = o.subscribeWaitMs ?? 2000;
    let waited: NodeJS.Timeout | undefined;
    const answered = await Promise.race([
      subscribing.then(() => true),
      new Promise<false>((resolve) => (waited = setTimeout(() => resolve(false), waitMs))),
    ]).finally(() => clearTimeout(waited));
    if (answered) this.subscriptions = await subscribing;
    else {
      o.log.warn('broker not reachable at start: sampling and spooling readings, subscribing when it is back', { waitedMs: waitMs });
      subscribing.then(
        (subscriptions) => {
          if (this.stopped) return;
          this.subscriptions = subscriptions;
          o.log.info('subscribed', { topics: subscriptions.length });
        },
        (error: unknown) => {
          if (!this.stopped) o.log.error('broker refused a subscription: this node receives nothing from its cluster', { error });
        },
      );
    }
    const pending = o.state.pending().length;
    o.log.info('node started', {
      address: this.addressText,
      cluster: o.manifest.cluster,
      height: this.consensus.height,
      // How many records of each kind were restored (its own submissions and round records of uncovered rounds).
      restored: records.reduce<Record<string, number>>((n, r) => ((n[r.kind] = (n[r.kind] ?? 0) + 1), n), {}),
      pending,
      sensor: o.sensor.device,
      fault: o.fault ?? 'none',
      ...(o.byzantine?.length ? { byzantine: o.byzantine } : {}),
    });
    const now = this.now();
    this.nextSample = this.slotAfter(now);
    // Not connected yet (the broker is down, or slow to answer): the node's view timer waits for the connection.
    if (!o.transport.connected) this.feed({ type: 'link', now, up: false });
    this.schedule();
  }

  /** Stops timers, performs what is queued, closes the subscription. The caller closes transport, store and state. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.offAcknowledged?.();
    for (const off of this.offLink) off();
    if (this.timer) clearTimeout(this.timer);
    if (this.sourceSoon) clearImmediate(this.sourceSoon);
    await Promise.all([this.lanes.round.draining, this.lanes.block.draining]);
    await Promise.all(this.subscriptions.map((x) => x.unsubscribe().catch(() => undefined)));
    await this.o.sensor.close();
    this.o.log.info('node stopped', { height: this.consensus?.height ?? -1 });
  }

  get height(): number {
    return this.consensus.height;
  }

  /**
   * A submission signed in another member's name: a sensor node's reading, checked and signed by this node's sensor
   * gateway (sensor-gateway.ts). This node judges it as it would one from the broker (its own publications do not come
   * back to it), and publishes it to the cluster.
   */
  async submitForSensor(bytes: Uint8Array): Promise<void> {
    if (this.stopped) return;
    this.feed({ type: 'message', now: this.now(), topic: 'submission', bytes });
    await this.o.transport.publish('submission', bytes);
  }

  /**
   * The submission source has something new (a substation was handed a region's anchor): rather than leave it for the
   * next round's slot, submit it in the current round, if this node has made no submission in it and its members will
   * still judge it with time to spare (half a round before their vote deadline). A regional block is then anchored by
   * the wide-area block of the round its anchor came in, not the next one's (regional blocks commit late in a round,
   * so the anchor is not held back any longer than the frames that came with it: one turn of the event loop).
   */
  submissionsWaiting(): void {
    if (this.stopped || !this.o.submissions || this.sourceSoon) return;
    this.sourceSoon = setImmediate(() => {
      this.sourceSoon = undefined;
      if (this.stopped) return;
      const m = this.o.manifest;
      const now = this.now();
      const round = roundOf(m, now);
      // Before the round's own slot, the slot submits it; a round already submitted in waits for the next one.
      if (round < 0 || round <= this.sourceRound || now < roundStart(m, round) + (this.o.readingOffsetMs ?? 10)) return;
      if (now + m.params.roundMs / 2 > roundStart(m, round + 1) + m.params.skewMs) return;
      this.batchFromSource(round);
    });
  }

  /** The first sampling slot at or after `now` (round 0 onwards): the reading, then the look-ahead, each round. */
  private slotAfter(now: number): SampleSlot {
    const m = this.o.manifest;
    const readingAt = this.o.readingOffsetMs ?? 10;
    const lookaheadAt = this.o.lookaheadOffsetMs ?? readingAt + Math.floor(m.params.roundMs / 8);
    let round = Math.max(0, roundOf(m, Math.max(now, m.genesisMs)));
    for (;;) {
      const start = roundStart(m, round);
      if (start + readingAt >= now) return { at: start + readingAt, round, reading: true };
      if (start + lookaheadAt >= now) return { at: start + lookaheadAt, round, reading: false };
      round++;
    }
  }

  private schedule(): void {
    if (this.stopped) return;
    const next = Math.min(this.consensus.wakeAt(), this.nextSample.at);
    const now = this.now();
    const delay = Math.max(0, Math.min(next - now, 60_000));
    // Most messages leave the next deadline where it was: the armed timer stays (no re-arming per message).
    if (this.timer && this.timerDue === now + delay) return;
    if (this.timer) clearTimeout(this.timer);
    this.timerDue = now + delay;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.onTimer();
    }, delay);
  }

  private onTimer(): void {
    if (this.stopped) return;
    const now = this.now();
    this.timerLateMax = Math.max(this.timerLateMax, now - this.timerDue);
    if (now >= this.nextSample.at) {
      const slot = this.nextSample;
      // A slot missed by more than a round (the process was stopped, the machine stalled) is skipped, not made up.
      this.nextSample = this.slotAfter(Math.max(now, slot.at + 1));
      if (roundOf(this.o.manifest, now) === slot.round) {
        if (this.o.submissions) {
          if (slot.reading) this.submitFromSource(now, slot.round);
        } else if (!this.o.pmu) void this.sampleOnce(now, slot.reading);
        else if (slot.reading && slot.round > 0) void this.batchOnce(now, slot.round - 1);
      }
    }
    this.feed({ type: 'tick', now });
  }

  /** Feeds the state machine and queues each item of its record in its machine's lane; the timer follows its next
   * deadline. */
  private feed(event: NodeEvent): void {
    if (this.stopped) return;
    let result: StepResult | undefined;
    try {
      result = this.consensus.step(event);
    } catch (e) {
      this.o.log.error('consensus step failed', { event: event.type, error: e as Error });
    }
    if (result) {
      if (result.dropped.length > 0 && this.o.log.debugging) {
        this.o.log.debug('dropped', { event: event.type === 'message' ? event.topic : event.type, reasons: result.dropped.map((d) => d.reason).join(',') });
      }
      const durable: boolean[] = [];
      for (const entry of result.order) {
        const lane = entry.machine === 'rounds' ? this.lanes.round : this.lanes.block;
        lane.queue.push({ result, entry, durable });
        if (!lane.draining) lane.draining = this.drain(lane);
      }
    }
    this.schedule();
  }

  private async drain(lane: Lane): Promise<void> {
    while (lane.queue.length > 0) {
      const job = lane.queue.shift()!;
      try {
        await this.perform(job);
      } catch (e) {
        // A persist that failed leaves its record not durable: the frames resting on it are not published.
        const what = jobName(job);
        this.o.log.error('effect failed', { effect: what, error: e as Error });
        this.o.metrics.counter('meterchain_effect_errors_total', 'Effects that failed to perform.', 1, { effect: what });
      }
    }
    lane.draining = undefined;
  }

  // ---- acquisition and edge ----

  private async sampleOnce(now: number, isReading: boolean): Promise<void> {
    const o = this.o;
    let sample;
    const began = performance.now();
    try {
      sample = await o.sensor.sample(now);
      this.tell('sampled', { at: now, ms: performance.now() - began, ok: true, reading: isReading, quality: sample.quality });
    } catch (e) {
      this.tell('sampled', { at: now, ms: performance.now() - began, ok: false, reading: isReading, error: (e as Error).message });
      // A sensor that reports its own failures (once per change, with the device's words) marks them `reported`.
      if ((e as { reported?: boolean }).reported) {
        if (o.log.debugging) o.log.debug('sensor sample failed: gap', { error: e as Error });
      } else o.log.warn('sensor sample failed: gap', { error: e as Error });
      o.metrics.counter('meterchain_sensor_gaps_total', 'Samples the sensor could not give (reported as gaps).');
      return;
    }
    if (isReading) this.status(now);
    const values = new Float64Array(o.edgeChannels.length).fill(NaN);
    o.edgeChannels.forEach((c, i) => {
      const ch = sample.channels.find((x) => x.id === c.id);
      if (ch) values[i] = fromFixed(ch.value, ch.scale);
    });
    this.held.push({ t: now, reading: isReading, channels: sample.channels, quality: sample.quality });
    // The node, not the device, numbers readings (by round): the edge gets no device sequence number.
    const out = this.pipeline.step({ t: now, seq: -1, clock: 0, values });
    if (!out) return;
    const index = this.held.findIndex((h) => h.t === out.t);
    if (index < 0) return;
    const held = this.held.splice(0, index + 1).pop()!;
    const seq = roundOf(o.manifest, held.t);
    const channels = held.channels.map((ch) => {
      const i = o.edgeChannels.findIndex((c) => c.id === ch.id);
      if (i < 0 || !out.filtered || out.isFiltered[i] !== 1) return { ...ch };
      return { id: ch.id, unit: ch.unit, scale: ch.scale, value: toFixed(out.filtered[i]!, ch.scale), raw: ch.value };
    });
    for (const f of out.findings) {
      o.metrics.counter('meterchain_edge_findings_total', 'Edge findings, by check.', 1, { check: f.check });
      o.log.info('edge finding', { round: seq, reading: held.reading, check: f.check, code: f.code, channel: f.channel, detail: f.detail });
    }
    if (!held.reading) return;
    const reading: Reading = {
      v: 1,
      cluster: o.manifest.cluster,
      meter: this.address,
      seq,
      ts: held.t,
      clock: 0,
      channels: this.forge(channels),
      quality: (out.quality | held.quality) >>> 0,
    };
    if (o.fault === 'silent') return;
    this.own.set(roundOf(o.manifest, reading.ts), { offline: !o.transport.connected, reading });
    this.feed({ type: 'reading', now: this.now(), reading });
  }

  /**
   * A PMU member's batch of round `round` (docs/protocol.md, "PMU batches"): the station's frames of the round, stored
   * durably (the frame store), then their RFC 6962 root, count, range and summary signed as the round's submission.
   */
  private async batchOnce(now: number, round: number): Promise<void> {
    const o = this.o;
    const pmu = o.pmu!;
    this.status(now);
    const startUs = roundStart(o.manifest, round) * 1000;
    const endUs = startUs + o.manifest.params.roundMs * 1000;
    // Frames come in order (TCP): the round is complete once a frame of a later round is in. A late stream is waited
    // for up to pmu.waitMs after the round's end, as a PDC's wait time does; then the round is batched as it is.
    const waitUntil = roundStart(o.manifest, round + 1) + (pmu.waitMs ?? 500);
    while (!this.stopped && pmu.feed.latestUs < endUs && this.now() < waitUntil) await new Promise((r) => setTimeout(r, 10));
    const taken = pmu.feed.take(startUs, endUs);
    if (!taken) {
      o.log.warn('PMU: no frames in the round: gap', { round });
      o.metrics.counter('meterchain_sensor_gaps_total', 'Samples the sensor could not give (reported as gaps).');
      return;
    }
    if (o.fault === 'silent') return;
    const bytes = taken.frames.map((f) => f.bytes);
    const first = pmu.frames.nextSeq;
    const summary = summarizeFrames(taken.frames.map((f) => f.sample), startUs + (o.manifest.params.roundMs * 1000) / 2);
    try {
      await pmu.frames.append({ round, first, config: taken.config, frames: bytes });
    } catch (e) {
      o.log.error('PMU: frames not stored: batch not signed', { round, error: e as Error });
      return;
    }
    o.metrics.counter('meterchain_pmu_frames_total', 'PMU frames stored and batched.', bytes.length);
    o.log.info('batch made', { round, frames: bytes.length, first, fmean: summary.fmean, angle: summary.angle });
    this.own.set(round, { offline: !o.transport.connected });
    this.feed({
      type: 'batch',
      now: this.now(),
      batch: { v: 1, cluster: o.manifest.cluster, meter: this.address, round, count: bytes.length, first, last: first + bytes.length - 1, root: merkleRoot(o.hash, bytes), summary: { ...summary, config: o.hash(taken.config) } },
    });
  }

  /** A round's submission from the node's submission source, if it has one waiting. */
  private submitFromSource(now: number, round: number): void {
    this.status(now);
    this.batchFromSource(round);
  }

  private batchFromSource(round: number): void {
    const o = this.o;
    // One submission a round: one made between slots leaves the round's slot (late, if the event loop was held up)
    // nothing to do.
    if (round <= this.sourceRound) return;
    let batch: Batch | undefined;
    try {
      batch = o.submissions!.next(round);
    } catch (e) {
      o.log.error('submission source failed', { round, error: e as Error });
      return;
    }
    if (!batch || o.fault === 'silent') return;
    this.sourceRound = round;
    this.own.set(round, { offline: !o.transport.connected });
    if (o.log.debugging) o.log.debug('batch made', { round, items: batch.count, first: batch.first });
    this.feed({ type: 'batch', now: this.now(), batch });
  }

  /** The node's status line, once a round. */
  private status(now: number): void {
    const o = this.o;
    o.metrics.counter('meterchain_rounds_total', 'Rounds this node sampled in.');
    // How late this node's timers fired in the last round: its deadlines are only as punctual as its event loop.
    const loopDelayMs = this.timerLateMax;
    this.timerLateMax = 0;
    o.metrics.gauge('meterchain_event_loop_delay_max_seconds', 'How late the node\'s timers fired in the last round (its event loop was held up that long).', loopDelayMs / 1000);
    o.log.info('status', {
      round: roundOf(o.manifest, now),
      height: this.consensus.height,
      connected: o.transport.connected,
      queued: o.transport.stats().queued,
      loopDelayMs,
      verified: this.consensus.stats.verifications,
      recalled: this.consensus.stats.recalled,
      dropped: this.consensus.stats.dropped,
      ...this.counts,
      ...(o.submissions?.status ? o.submissions.status() : {}),
    });
  }

  /** Lab fault `forge`: report twice the measured voltages (a forged value its peers must refuse). */
  private forge(channels: Channel[]): Channel[] {
    if (this.o.fault !== 'forge') return channels;
    return channels.map((c) => (c.unit === 'V' ? { id: c.id, unit: c.unit, scale: c.scale, value: c.value * 2 } : c));
  }

  // ---- transport ----

  private onDelivery(d: Delivery): void {
    if (d.from === this.addressText) return;
    let kind = d.kind;
    let bytes = d.frame;
    const addressed = ADDRESSED.exec(kind);
    if (addressed) {
      if (Number(addressed[2]) !== this.selfIndex || bytes.length < 20 || !equalBytes(bytes.subarray(0, 20), this.address)) return;
      kind = addressed[1]!;
      bytes = bytes.subarray(20);
    }
    if (!(TOPICS as string[]).includes(kind)) return;
    if (this.o.log.debugging) this.o.log.debug('received', { topic: kind, from: d.from.slice(0, 8), ...slotOf(kind, bytes) });
    const topic = kind as Topic;
    // Block agreement's messages are handled in the background (background.ts); its effects wait in the block lane.
    if (machineOfTopic(topic) === 'rounds') this.feed({ type: 'message', now: this.now(), topic, bytes });
    else this.background.add(() => this.feed({ type: 'message', now: this.now(), topic, bytes }));
  }

  /** Tells the node its vote of `round` reached the broker once the frame `key` is acknowledged. */
  private awaitAcknowledgment(key: string, round: number): void {
    if (this.recentAcks.delete(key)) {
      this.feed({ type: 'sent', now: this.now(), round });
      return;
    }
    this.unconfirmed.set(key, round);
    // Bounded: a frame never acknowledged (refused, or its spool lost) leaves its round to its block.
    if (this.unconfirmed.size > 256) this.unconfirmed.delete(this.unconfirmed.keys().next().value!);
  }

  private onAcknowledged(key: string): void {
    const round = this.unconfirmed.get(key);
    if (round !== undefined) {
      this.unconfirmed.delete(key);
      this.feed({ type: 'sent', now: this.now(), round });
      return;
    }
    // An acknowledgment before publish() returned (an in-process hub acknowledges at once).
    if (!key.startsWith('vote') && !key.startsWith('certificate')) return;
    this.recentAcks.add(key);
    if (this.recentAcks.size > 64) this.recentAcks.delete(this.recentAcks.values().next().value!);
  }

  /** `expiresAt`: the frame is dropped unsent if still queued then (an own submission or vote of a round every member
   * has closed by then: docs/transport.md, expiry). */
  private async publish(topic: Topic, bytes: Uint8Array, to?: Uint8Array, expiresAt?: number): Promise<PublishReceipt | undefined> {
    if (this.o.fault === 'silent' && (topic === 'submission' || topic === 'vote')) return undefined;
    let frame = bytes;
    if (this.o.fault === 'bad-signature' && topic === 'submission') {
      frame = bytes.slice();
      frame[frame.length - 1] ^= 0x01;
    }
    if (this.o.byzantine?.length && !to) await this.misbehave(topic, bytes);
    if (to) {
      const addressed = new Uint8Array(20 + frame.length);
      addressed.set(to, 0);
      addressed.set(frame, 20);
      const index = this.o.manifest.members.findIndex((m) => equalBytes(m.address, to));
      if (index < 0) return undefined;
      return this.o.transport.publish(`${topic}-to-${index}`, addressed, expiresAt === undefined ? undefined : { expiresAt });
    }
    return this.o.transport.publish(topic, frame, expiresAt === undefined ? undefined : { expiresAt });
  }

  /**
   * LAB ONLY (tools/campaign): what a byzantine member sends beside its honest messages. `equivocate`: a second signed
   * submission for the same round (other values) and a second signed vote (no judgments) for the same round.
   * `flood`: with each submission, sync requests for block 0 and oversized proposals for a height far ahead, to every
   * member.
   */
  private async misbehave(topic: Topic, bytes: Uint8Array): Promise<void> {
    const o = this.o;
    const kinds = o.byzantine ?? [];
    if (kinds.includes('equivocate') && topic === 'submission') {
      const r = this.ownReading(bytes);
      if (r) {
        const other: Reading = { ...r, channels: r.channels.map((c) => ({ ...c, value: c.value + 1 })) };
        await o.transport.publish('submission', signReading(other, o.signer));
      }
    }
    if (kinds.includes('equivocate') && topic === 'vote') {
      const v = decodeVoteMessage(bytes);
      if (v.ok) await o.transport.publish('vote', signVote(o.manifest, v.message.vote.round, o.signer, this.address, emptyJudgments(o.manifest.members.length), o.hash).bytes);
    }
    if (kinds.includes('flood') && topic === 'submission') {
      const height = this.consensus.height + 32;
      const header = encodeHeader({
        v: BLOCK_VERSION,
        cluster: o.manifest.cluster,
        epoch: o.manifest.epoch,
        height,
        prev: new Uint8Array(32),
        first: 0,
        last: 0,
        root: new Uint8Array(32),
        count: 0,
        rounds: [],
        body: new Uint8Array(32),
        proposer: this.address,
      });
      const proposal = encode({ header, body: new Uint8Array(256 * 1024), view: 0, vote: new Uint8Array(64), timeouts: [], lock: null });
      for (const [index, m] of o.manifest.members.entries()) {
        if (index === this.selfIndex) continue;
        // Signed in its own name, as members must sign sync requests (docs/protocol.md): unsigned ones are dropped
        // unread, so only signed ones reach the per-member answer limit this fault is there to test.
        const body = encode({ cluster: o.manifest.cluster, epoch: o.manifest.epoch, height: 0, from: this.address });
        const sync = encode({ body, sig: o.signer.sign(signingInput(Domain.SYNC, body)) });
        for (let k = 0; k < 10; k++) await this.publish('sync', sync, m.address);
        await this.publish('proposal', proposal, m.address);
      }
    }
  }

  /**
   * After a block is stored: own readings in it are settled; own readings of its rounds that it does not hold will
   * never be in the chain, so they are written to the unaccepted log with the outcome this node saw, then settled.
   * Every reading the node signed ends in the chain or in that log.
   */
  private async settle(height: number, last: number, own: number[]): Promise<void> {
    const o = this.o;
    const inBlock = new Set(own);
    const done: number[] = [];
    for (const p of o.state.pending()) {
      if (!equalBytes(p.meter, this.address)) continue;
      const env = openEnvelope(p.bytes);
      const r = env.ok ? decodeReading(env.envelope.body) : undefined;
      const round = r?.ok ? roundOf(o.manifest, r.reading.ts) : -1;
      if (inBlock.has(p.seq)) {
        done.push(p.seq);
      } else if (round >= 0 && round <= last) {
        const outcome = this.own.get(round)?.outcome ?? 'not-in-block';
        await o.unaccepted?.({ seq: p.seq, round, outcome, height, bytes: p.bytes });
        o.metrics.counter('meterchain_readings_unaccepted_total', 'Own readings that did not make it into the chain, by outcome.', 1, { outcome });
        done.push(p.seq);
      }
    }
    for (const round of [...this.own.keys()]) if (round <= last) this.own.delete(round);
    if (done.length > 0) await o.state.settle(this.address, done);
  }

  /**
   * Stores a committed block, retrying while the disk refuses (a full disk: ENOSPC) with backoff from 100 ms to 1 s:
   * the store is cut back to its last durable block and the append made again. The block lane waits meanwhile, so
   * nothing the node signs for the next height is persisted, let alone published, before this block is stored.
   */
  private async appendBlock(height: number, block: Uint8Array, readings: { meter: Uint8Array; seq: number }[]): Promise<void> {
    const o = this.o;
    let waitMs = 100;
    for (;;) {
      try {
        await o.store.append(block, readings);
        return;
      } catch (e) {
        const code = (e as { code?: string }).code;
        if (code !== 'io-failed' || this.stopped) throw e;
        o.metrics.counter('meterchain_storage_errors_total', 'Writes to the chain or the node state that failed and are retried.', 1, { store: 'chain' });
        o.log.error('block store: append failed, retrying', { height, retryMs: waitMs, error: e as Error });
        await new Promise((r) => setTimeout(r, waitMs));
        waitMs = Math.min(2 * waitMs, 1000); // as the node state: one system call a second, back soon after the disk is
        await o.store.recover().catch(() => undefined); // the disk still refuses: the next append says so again
      }
    }
  }

  /**
   * The node state keeps at most `limits.pending` own readings (a reading older than the consensus node's round window
   * can no longer be put in a block by this node): before one more, the oldest are given up, each recorded in the
   * unaccepted log with outcome 'pending-overflow' (durable) before it is settled, so none is dropped unreported.
   */
  private async makeRoomForPending(): Promise<void> {
    const o = this.o;
    const pending = o.state.pending();
    const excess = pending.length - o.state.limits.pending + 1;
    if (excess <= 0) return;
    const given: number[] = [];
    for (const p of pending.slice(0, excess)) {
      const r = this.ownReading(p.bytes);
      const round = r ? roundOf(o.manifest, r.ts) : -1;
      await o.unaccepted?.({ seq: p.seq, round, outcome: 'pending-overflow', height: -1, bytes: p.bytes });
      o.metrics.counter('meterchain_readings_unaccepted_total', 'Own readings that did not make it into the chain, by outcome.', 1, { outcome: 'pending-overflow' });
      o.log.warn('own reading given up: too many pending (no block committed for the round window)', { seq: p.seq, round, limit: o.state.limits.pending });
      given.push(p.seq);
    }
    await o.state.settle(this.address, given);
  }

  /**
   * An own reading the consensus node refused to sign (its round is past the round window while block agreement is
   * behind: `chain-behind`; or already voted: `not-submitted`): it will never be in the chain, and it was never
   * pending, so it goes to the unaccepted log (the reading itself, unsigned) with that outcome.
   */
  private async notSubmitted(round: number, reading: Reading, behind: boolean, reason: string): Promise<void> {
    const o = this.o;
    this.own.delete(round);
    const outcome = behind ? 'chain-behind' : 'not-submitted';
    await o.unaccepted?.({ seq: reading.seq, round, outcome, height: -1, bytes: encodeReading(reading), signed: false });
    o.metrics.counter('meterchain_readings_unaccepted_total', 'Own readings that did not make it into the chain, by outcome.', 1, { outcome });
    o.log.warn(behind ? 'own reading not submitted: block agreement is behind (round window)' : 'own reading not submitted', { seq: reading.seq, round, reason });
  }

  /** The reading inside this node's own submission envelope. */
  private ownReading(bytes: Uint8Array): Reading | undefined {
    const env = openEnvelope(bytes);
    const r = env.ok ? decodeReading(env.envelope.body) : undefined;
    return r?.ok ? r.reading : undefined;
  }

  /** Tells the observer; its failure is logged, never the node's. */
  private tell<K extends keyof NodeObserver>(what: K, e: Parameters<NonNullable<NodeObserver[K]>>[0]): void {
    const f = this.o.observer?.[what] as ((x: typeof e) => void) | undefined;
    if (!f) return;
    try {
      f.call(this.o.observer, e);
    } catch (error) {
      this.o.log.error('observer failed', { what, error: error as Error });
    }
  }

  // ---- effects ----

  /** Performs one item of a step's record. */
  private async perform(job: Job): Promise<void> {
    const { result, entry } = job;
    switch (entry.list) {
      case 'persist':
        job.durable[entry.index] = await this.persist(result.persist[entry.index]!);
        return;
      case 'publish': {
        const p = result.publish[entry.index]!;
        // The record it rests on failed or was refused: never publish what is not on disk.
        if (p.after >= 0 && job.durable[p.after] !== true) return;
        const receipt = await this.publish(p.topic, p.bytes, p.to, p.expiresAt);
        if (receipt && p.confirms !== undefined) this.awaitAcknowledgment(receiptKey(receipt), p.confirms);
        if (this.o.log.debugging) this.o.log.debug('published', { topic: p.topic, ...slotOf(p.topic, p.bytes) });
        this.o.metrics.gauge('meterchain_queue_depth', 'Frames waiting for the broker (spooled on disk).', this.o.transport.stats().queued);
        return;
      }
      case 'outcomes':
        return this.report(result.outcomes[entry.index]!);
      case 'committed':
        return this.report(result.committed[entry.index]!);
      case 'syncRequests': {
        // A member asks for a block this node no longer holds in memory: it is answered from the store.
        const s = result.syncRequests[entry.index]!;
        const block = await this.o.store.get(s.height);
        if (block) await this.publish('block', block, s.from);
        return;
      }
    }
  }

  /** Makes a record durable (fdatasync) before the next item of its lane; false if the node state refused it. */
  private async persist(record: PersistRecord): Promise<boolean> {
    const o = this.o;
    // An own reading's pending entry is written alongside, so both share one sync (the state's journal commits
    // concurrent writes together).
    const reading = record.kind === 'submission' ? this.ownReading(record.bytes) : undefined;
    if (reading) await this.makeRoomForPending();
    const [decision] = await Promise.all([o.state.persist(record), reading ? o.state.addPending({ meter: this.address, seq: reading.seq, bytes: record.bytes }) : undefined]);
    if (!decision.ok) {
      // Never publish a second, different message for a slot (equivocation), nor one for a slot the node may have
      // signed and no longer remembers; say so loudly.
      o.log.error(decision.code === 'conflict' ? 'refused to publish a second message for a signed slot' : 'refused to sign for a slot below what the node remembers', { kind: record.kind, round: record.round, height: record.height, code: decision.code, reason: decision.reason });
      return false;
    }
    if (reading) o.log.info('reading signed', { seq: reading.seq, round: record.round });
    return true;
  }

  /** Reports an outcome, evidence or a refusal, or stores a committed block. */
  private async report(effect: Outcome | Committed): Promise<void> {
    const o = this.o;
    const m = o.metrics;
    switch (effect.type) {
      case 'accepted':
      case 'rejected':
      case 'not-enough-votes':
      case 'too-late': {
        const name = effect.type === 'not-enough-votes' ? 'not_enough_votes' : effect.type === 'too-late' ? 'too_late' : effect.type;
        if (effect.type === 'accepted') this.counts.accepted++;
        else if (effect.type === 'rejected') this.counts.rejected++;
        else this.counts.notEnoughVotes++;
        const what = { 'not-enough-votes': 'could not decide (not enough votes)', 'too-late': 'accepted only after the block covering the round was committed without them', accepted: 'accepted', rejected: 'rejected' }[effect.type];
        m.counter(`meterchain_${name}_total`, `Submissions the cluster ${what}.`);
        const corrects = effect.type === 'too-late' ? undefined : effect.corrects;
        if (corrects) {
          // The node takes back an outcome it reported (docs/protocol.md §7): counted once, as the last outcome.
          if (corrects === 'accepted') this.counts.accepted--;
          else this.counts.rejected--;
          m.counter('meterchain_outcomes_corrected_total', 'Outcomes taken back and reported again (a voter that carried them was caught equivocating), by what they were and what they are.', 1, { from: corrects, to: effect.type });
        }
        const mine = equalBytes(effect.member, this.address) ? this.own.get(effect.round) : undefined;
        if (mine) {
          if (corrects === 'accepted') this.counts.ownAccepted--;
          else if (corrects) this.counts.ownRefused--;
          mine.outcome = effect.type === 'not-enough-votes' && mine.offline ? 'too-late' : effect.type;
          if (effect.type === 'accepted') this.counts.ownAccepted++;
          else this.counts.ownRefused++;
          if (corrects) {
            o.log.warn('own reading outcome corrected', { round: effect.round, was: corrects, now: mine.outcome, ...(effect.type === 'rejected' ? { reason: reasonName(effect.reason) } : {}) });
          } else if (effect.type === 'accepted') {
            // Negative when the cluster accepted the reading before its round ended (the usual case, see docs/runtime.md).
            const latencyMs = this.now() - roundStart(o.manifest, effect.round + 1);
            m.observe('meterchain_round_end_to_acceptance_seconds', "Time from the end of a round to the acceptance of this meter's reading (negative: before the end).", latencyMs / 1000);
            o.log.info(mine.reading ? 'own reading accepted' : 'own batch accepted', { round: effect.round, latencyMs });
          } else {
            // Reasons by name in the log (`physics`, not 8): an operator reads them without the protocol's code table.
            o.log.warn(`own ${mine.reading ? 'reading' : 'batch'} ${mine.outcome}`, effect.type === 'rejected' ? { round: effect.round, reason: reasonName(effect.reason), reasonCode: effect.reason } : { round: effect.round });
          }
        }
        const member = addressToText(effect.member);
        this.tell('outcome', {
          at: this.now(),
          round: effect.round,
          member,
          outcome: (mine?.outcome ?? effect.type) as 'accepted' | 'rejected' | 'not-enough-votes' | 'too-late',
          ...(effect.type === 'rejected' ? { reason: effect.reason } : {}),
          ...(mine?.reading ? { reading: mine.reading } : {}),
          ...(corrects ? { corrects } : {}),
        });
        if (o.log.debugging) o.log.debug(effect.type, { round: effect.round, member, ...(corrects ? { corrects } : {}) });
        return;
      }
      case 'evidence':
        this.counts.evidence++;
        m.counter('meterchain_evidence_total', 'Equivocation evidence caught or received.', 1, { kind: effect.kind });
        o.log.warn('equivocation evidence', { kind: effect.kind, accused: addressToText(effect.accused), slot: effect.slot });
        this.tell('evidence', { at: this.now(), kind: effect.kind, accused: addressToText(effect.accused), slot: effect.slot });
        return;
      case 'committed': {
        await this.appendBlock(effect.height, effect.block, effect.readings);
        this.counts.blocks++;
        m.counter('meterchain_blocks_committed_total', 'Blocks committed and stored.');
        m.gauge('meterchain_height', 'Height of the last stored block.', effect.height);
        await this.settle(effect.height, effect.last, effect.own);
        // The node never signs for this block's rounds or height again: its state forgets them (and stays bounded).
        await o.state.committed(effect.height, effect.last);
        o.submissions?.committed?.(effect.height, effect.block);
        o.log.info('block committed', { height: effect.height, view: effect.view, last: effect.last, submissions: effect.submissions, hash: effect.hash });
        this.tell('committed', { at: this.now(), height: effect.height, view: effect.view, hash: toHex(effect.hash), submissions: effect.submissions, last: effect.last, own: effect.own });
        return;
      }
      case 'refused': {
        m.counter('meterchain_refused_total', 'Messages refused by the state machine.', 1, { what: effect.what });
        if (o.log.debugging) o.log.debug('refused', { what: effect.what, reason: effect.reason });
        const mine = effect.what === 'reading' && effect.round !== undefined ? this.own.get(effect.round) : undefined;
        if (mine?.reading && effect.round !== undefined) await this.notSubmitted(effect.round, mine.reading, effect.behind === true, effect.reason);
        if (effect.what === 'batch') o.log.warn('own batch not submitted', { round: effect.round, reason: effect.reason });
        return;
      }
    }
  }
}

/** What a job performs, named as its effect (the label of the error counter). */
function jobName(job: Job): string {
  const { list, index } = job.entry;
  if (list === 'outcomes') return job.result.outcomes[index]!.type;
  if (list === 'committed') return 'committed';
  if (list === 'syncRequests') return 'sync-request';
  return list;
}

function receiptKey(r: PublishReceipt): string {
  return `${r.kind}:${r.incarnation}:${r.seq}`;
}

/**
 * For the debug log: the height and view of a block vote or timeout (and the block vote's phase), so that a trace of
 * block agreement (tools/campaign, --keep) reads which view each one was for. Nothing for other topics (a proposal can
 * be large) or what does not decode.
 */
function slotOf(topic: string, bytes: Uint8Array): { height?: number; view?: number; phase?: number } {
  if (topic !== 'timeout' && topic !== 'block-vote') return {};
  const outer = decode(bytes);
  if (!outer.ok) return {};
  const body = (outer.value as { body?: unknown }).body;
  if (!(body instanceof Uint8Array)) return {};
  const inner = decode(body);
  if (!inner.ok) return {};
  const o = inner.value as { height?: unknown; view?: unknown; phase?: unknown };
  if (typeof o.height !== 'number' || typeof o.view !== 'number') return {};
  return typeof o.phase === 'number' ? { height: o.height, view: o.view, phase: o.phase } : { height: o.height, view: o.view };
}
