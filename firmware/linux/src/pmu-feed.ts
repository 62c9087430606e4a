// A PMU as a node's sensor (docs/runtime.md, "PMU members"): a PDC client on the PMU's (or its PDC's) C37.118.2
// stream keeps the frames of one station, each as its own data frame, until the node takes a round's frames for its
// batch. Frames older than the round being taken are dropped; at most `maxRounds` rounds of frames are held. A PMU
// that does not answer is not a start error: the feed connects again (1 s, 2 s … 10 s apart) and again when the
// stream falls silent for 3 s, and each round without frames is a gap.
import { frameTimeUs, encodeStationConfig, measurements, stationConfig, stationFrame, type ConfigFrame, type DataFrame, type FrameSample } from '@meterchain/pmu';
import { PdcClient, type PdcEvent } from '@meterchain/pmu/node';
import type { Sensor, SensorSample } from './sensor.ts';
import type { Logger } from './log.ts';

export interface PmuFeedOptions {
  host: string;
  port: number;
  /** IDCODE of the stream (the PMU's, or its PDC's). */
  idcode: number;
  /** IDCODE of this member's station in the stream (default: the first station). */
  station?: number;
  /** Frames held at most, in rounds of the stream's rate (default 4). */
  maxRounds?: number;
  roundMs: number;
  log: Logger;
}

export interface HeldFrame {
  timeUs: number;
  bytes: Uint8Array;
  sample: FrameSample;
}

/** One round's frames of the station, in time order, and the station configuration they decode under. */
export interface RoundFrames {
  frames: HeldFrame[];
  config: Uint8Array;
}

export class PmuFeed implements Sensor {
  readonly device: string;
  private readonly o: PmuFeedOptions;
  private client: PdcClient | undefined;
  private running = false;
  private connecting = false;
  private timer: NodeJS.Timeout | undefined;
  private retryAt = 0;
  private backoffMs = 0;
  private lastFrameAt = 0;
  private lastProblem = '';
  /** Time of the latest frame received, µs since the Unix epoch (0: none yet). */
  latestUs = 0;
  private held: HeldFrame[] = [];
  private index = -1;
  private station: ConfigFrame | undefined;
  private configBytes: Uint8Array | undefined;
  private readonly counts = { frames: 0, dropped: 0, gaps: 0, missing: 0, duplicates: 0, outOfOrder: 0, undecodable: 0 };

  constructor(o: PmuFeedOptions) {
    this.o = o;
    this.device = `pmu ${o.host}:${o.port} idcode ${o.idcode}${o.station !== undefined ? ` station ${o.station}` : ''}`;
  }

  /** Connects, takes the configuration and turns transmission on; a failure is logged and tried again later. */
  async configure(): Promise<void> {
    if (this.running) return;
    this.running = true;
    this.timer = setInterval(() => this.watch(), 1000);
    this.timer.unref();
    await this.attempt();
  }

  /** Once a second: connect again when due, or when the stream has been silent for 3 s. */
  private watch(): void {
    const now = Date.now();
    if (this.client && !this.connecting && now - this.lastFrameAt > 3000) {
      this.problem('PMU stream silent for 3 s: connecting again');
      void this.drop();
    } else if (!this.client && !this.connecting && now >= this.retryAt) void this.attempt();
  }

  private async attempt(): Promise<void> {
    if (!this.running || this.connecting) return;
    this.connecting = true;
    const client = new PdcClient({ host: this.o.host, port: this.o.port, idcode: this.o.idcode });
    client.on({ data: (frame) => this.data(client, frame), event: (e) => this.event(e) });
    try {
      await client.connect();
      this.apply(await client.requestConfig());
      client.start();
      this.client = client;
      this.lastFrameAt = Date.now();
      this.backoffMs = 0;
      if (this.lastProblem) this.o.log.info('PMU stream connected again', { device: this.device });
      this.lastProblem = '';
    } catch (e) {
      await client.close().catch(() => undefined);
      this.backoffMs = Math.min(10_000, Math.max(1000, 2 * this.backoffMs));
      this.retryAt = Date.now() + this.backoffMs;
      this.problem(`PMU not reachable: ${(e as Error).message}`);
    } finally {
      this.connecting = false;
    }
    if (!this.running) await this.drop();
  }

  /** Logged when it changes, not every attempt. */
  private problem(text: string): void {
    if (text !== this.lastProblem) this.o.log.warn(text, { device: this.device, retryMs: this.backoffMs });
    this.lastProblem = text;
  }

  private async drop(): Promise<void> {
    const c = this.client;
    this.client = undefined;
    this.retryAt = Date.now();
    if (!c) return;
    try {
      c.stop();
    } catch {
      // the connection is already gone
    }
    await c.close().catch(() => undefined);
  }

  /** A PMU member takes batches, not samples. */
  sample(): Promise<SensorSample> {
    return Promise.reject(new Error('a PMU is read by batches (PmuFeed.take), not by samples'));
  }

  async close(): Promise<void> {
    this.running = false;
    if (this.timer) clearInterval(this.timer);
    await this.drop();
  }

  counters(): Record<string, number> {
    return { ...this.counts, held: this.held.length };
  }

  /** Removes and returns the frames from `fromUs` (inclusive) to `toUs` (exclusive); older ones are dropped. */
  take(fromUs: number, toUs: number): RoundFrames | undefined {
    const out: HeldFrame[] = [];
    const keep: HeldFrame[] = [];
    for (const f of this.held) {
      if (f.timeUs < fromUs) this.counts.dropped++;
      else if (f.timeUs < toUs) out.push(f);
      else keep.push(f);
    }
    this.held = keep;
    if (out.length === 0 || !this.configBytes) return undefined;
    out.sort((a, b) => a.timeUs - b.timeUs);
    return { frames: out, config: this.configBytes };
  }

  private apply(config: ConfigFrame): void {
    const want = this.o.station;
    const index = want === undefined ? 0 : config.pmus.findIndex((p) => p.idcode === want);
    if (index < 0) {
      this.o.log.error('PMU stream has no such station', { station: want, stations: config.pmus.map((p) => p.idcode) });
      this.index = -1;
      return;
    }
    this.index = index;
    this.station = stationConfig(config, index);
    this.configBytes = encodeStationConfig(this.station);
  }

  private data(client: PdcClient, frame: DataFrame): void {
    if (client !== this.client) return;
    const cfg = client.config;
    this.lastFrameAt = Date.now();
    if (!cfg || this.index < 0 || !this.station) return;
    this.counts.frames++;
    const timeUs = frameTimeUs(frame.soc, frame.fraction, cfg.timeBase);
    if (timeUs > this.latestUs) this.latestUs = timeUs;
    // A repeated frame is kept once (the stream monitor counts it).
    for (let i = this.held.length - 1; i >= 0 && i >= this.held.length - 4; i--) if (this.held[i]!.timeUs === timeUs) return;
    const m = measurements(frame, cfg)[this.index];
    if (!m) return;
    const angle = m.phasors.length > 0 ? m.phasors[0]!.angle : NaN;
    this.held.push({ timeUs, bytes: stationFrame(frame, this.index, this.station), sample: { timeUs, frequency: m.frequency, angle } });
    const limit = Math.ceil(((this.o.maxRounds ?? 4) * this.o.roundMs * Math.max(1, cfg.dataRate)) / 1000);
    while (this.held.length > limit) {
      this.held.shift();
      this.counts.dropped++;
    }
  }

  private event(e: PdcEvent): void {
    if (e.kind === 'config') this.apply(e.config);
    else if (e.kind === 'gap') {
      this.counts.gaps++;
      this.counts.missing += e.missing;
      this.o.log.warn('PMU frames missing', { missing: e.missing, soc: e.soc });
    } else if (e.kind === 'duplicate') this.counts.duplicates++;
    else if (e.kind === 'out-of-order') this.counts.outOfOrder++;
    else if (e.kind === 'undecodable') this.counts.undecodable++;
    else if (e.kind === 'time-quality' || e.kind === 'data-error') this.o.log.warn('PMU stream', { kind: e.kind, soc: e.soc });
  }
}
