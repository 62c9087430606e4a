// The control centre: one follower per regional chain, the database they load, the HTTP API over it. Polls run
// one after another on a timer; `pollOnce` runs one pass (tests and the demo drive it directly).
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Manifest, Verifier } from '@meterchain/core';
import { createApiServer, type ApiContext } from './api.ts';
import { dashboard } from './dashboard.ts';
import { openDatabase, type Database, type DatabaseOptions } from './db.ts';
import { RegionFollower, type PollResult, type RegionSource } from './follower.ts';
import { SCHEMA_SQL } from './schema.ts';
import { WIDEAREA_SCHEMA_SQL, WideAreaFollower, type WideAreaSource } from './widearea.ts';

export interface ControlCentreOptions extends DatabaseOptions {
  regions: RegionSource[];
  /** The wide-area chain to follow for anchoring (optional). */
  widearea?: WideAreaSource;
  verifier: Verifier;
  /** Milliseconds since the Unix epoch (injected: tests and simulations run their own clock). */
  now?: () => number;
  /** Between polls, milliseconds (default 1000). */
  pollMs?: number;
  /** Reports each poll that loaded something or found a fault. */
  onPoll?: (region: string, result: PollResult) => void;
  extra?: ApiContext['extra'];
  /** A database opened already (openDatabase), instead of opening one from url/dataDir: the control centre closes it. */
  database?: Database;
}

export class ControlCentre {
  readonly db: Database;
  readonly followers: RegionFollower[];
  readonly widearea: WideAreaFollower | undefined;
  private readonly options: ControlCentreOptions;
  private server: Server | undefined;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private running: Promise<void> | undefined;
  private stopped = false;

  private constructor(db: Database, options: ControlCentreOptions) {
    this.db = db;
    this.options = options;
    const now = options.now ?? Date.now;
    this.followers = options.regions.map((r) => new RegionFollower(db, r, options.verifier, now));
    this.widearea = options.widearea ? new WideAreaFollower(db, options.widearea, options.verifier, now) : undefined;
    const names = this.followers.map((f) => f.region);
    for (let i = 0; i < names.length; i++) if (names.indexOf(names[i]!) !== i) throw new Error(`region '${names[i]}' is given twice`);
  }

  static async open(options: ControlCentreOptions): Promise<ControlCentre> {
    const db = options.database ?? (await openDatabase(options));
    try {
      for (const sql of SCHEMA_SQL) await db.query(sql);
      for (const sql of WIDEAREA_SCHEMA_SQL) await db.query(sql);
      return new ControlCentre(db, options);
    } catch (e) {
      await db.close();
      throw e;
    }
  }

  /** One pass over every region; a region's unreadable chain is reported as its result and retried next pass. */
  async pollOnce(): Promise<{ [region: string]: PollResult | { error: string } }> {
    const out: { [region: string]: PollResult | { error: string } } = {};
    for (const f of this.followers) {
      try {
        const r = await f.poll();
        out[f.region] = r;
        if (this.options.onPoll && (r.loaded > 0 || r.fault !== undefined)) this.options.onPoll(f.region, r);
      } catch (e) {
        out[f.region] = { error: (e as Error).message };
      }
    }
    if (this.widearea) {
      // Key '*' is the wide-area chain (a region's name is a cluster name, never '*').
      try {
        const r = await this.widearea.poll();
        out['*'] = r;
        if (this.options.onPoll && (r.loaded > 0 || r.fault !== undefined)) this.options.onPoll('*', r);
      } catch (e) {
        out['*'] = { error: (e as Error).message };
      }
    }
    return out;
  }

  /** Polls until every region's chain is loaded up to its current end (or stopped by a fault). */
  async catchUp(): Promise<void> {
    for (;;) {
      const r = await this.pollOnce();
      let more = false;
      for (const k of Object.keys(r)) {
        const x = r[k]!;
        if ('loaded' in x && x.loaded > 0) more = true;
      }
      if (!more) return;
    }
  }

  /** Starts polling on a timer and serves the API on host:port (port 0: any free port); returns the address. */
  async start(port: number, host = '127.0.0.1'): Promise<{ host: string; port: number; url: string }> {
    const ctx: ApiContext = {
      db: this.db,
      manifests: (region) => {
        const f = this.followers.find((x) => x.region === region);
        return f ? f.source.manifests.map((m): Manifest => m.manifest) : undefined;
      },
      manifestBytes: (region) => this.followers.find((x) => x.region === region)?.source.manifestBytes,
      now: this.options.now ?? Date.now,
    };
    const extra = this.options.extra;
    ctx.extra = extra ? async (req, res, path) => (await extra(req, res, path)) || dashboard(req, res, path) : dashboard;
    this.server = createApiServer(ctx);
    await new Promise<void>((resolve, reject) => {
      this.server!.once('error', reject);
      this.server!.listen(port, host, () => resolve());
    });
    const a = this.server.address() as AddressInfo;
    const loop = (): void => {
      if (this.stopped) return;
      this.running = this.pollOnce().then(() => {
        if (!this.stopped) this.timer = setTimeout(loop, this.options.pollMs ?? 1000);
      });
    };
    loop();
    return { host, port: a.port, url: `http://${host}:${a.port}` };
  }

  /** Stops the polling timer and waits for a poll under way (the API goes on serving); pollOnce and catchUp may then
   * be called without racing the timer's polls. */
  async stopPolling(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    if (this.running) await this.running;
  }

  async close(): Promise<void> {
    await this.stopPolling();
    if (this.server) {
      this.server.closeAllConnections();
      await new Promise<void>((resolve) => this.server!.close(() => resolve()));
    }
    await this.db.close();
  }
}
