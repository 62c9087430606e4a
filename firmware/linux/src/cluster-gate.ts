// A regional member as its cluster's gate (node.yaml `gate: true`, docs/widearea.md): it publishes the cluster's
// manifest and each block it stores as an anchor, under meterchain/<cluster>/anchor/<address> on the cluster's own
// broker, whose bridge carries them to the wide-area broker. Publishing goes through the node's spool (durable before
// it is sent); a file records the last height published, so a restarted gate goes on from there and one that lost
// the file publishes its whole chain again (the substations take a block anchored twice as one).
import { readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ChainStore } from '@meterchain/ledger';
import { ANCHOR_KIND, type Transport } from '@meterchain/transport';
import { anchorOfStoredBlock, encodeAnchor } from '@meterchain/widearea';
import type { Logger } from './log.ts';
import type { Metrics } from './metrics.ts';

export interface AnchorPublisherOptions {
  cluster: string;
  /** The cluster manifest's signed bytes (the wide-area chain registers the region by them). */
  manifest: Uint8Array;
  store: ChainStore;
  transport: Transport;
  dataDir: string;
  log: Logger;
  metrics: Metrics;
}

export class AnchorPublisher {
  private readonly o: AnchorPublisherOptions;
  private readonly cursorFile: string;
  /** The last height published (spooled), −1 for none. */
  private published = -1;
  private queue: Promise<void> = Promise.resolve();
  private stopped = false;

  constructor(o: AnchorPublisherOptions) {
    this.o = o;
    this.cursorFile = join(o.dataDir, 'gate.json');
  }

  /** Publishes the manifest, then every stored block above the last height published. */
  async start(): Promise<void> {
    try {
      const j = JSON.parse(await readFile(this.cursorFile, 'utf8')) as { published?: unknown };
      if (typeof j.published === 'number' && Number.isInteger(j.published)) this.published = j.published;
    } catch {
      this.published = -1;
    }
    // Never past the stored chain (a chain cut back by a repair is published again from its new tip).
    this.published = Math.min(this.published, this.o.store.nextHeight - 1);
    await this.o.transport.publish(ANCHOR_KIND, this.o.manifest);
    this.o.log.info('gate: publishing anchors', { from: this.published + 1, tip: this.o.store.nextHeight - 1 });
    this.committed(this.o.store.nextHeight - 1);
  }

  /** The node stored the block at `height`: publish it, and any below it not yet published, in order. */
  committed(height: number): void {
    this.queue = this.queue.then(() => this.publishUpTo(height)).catch((e: unknown) => {
      this.o.log.error('gate: anchor not published (published again after the next block)', { error: e as Error });
    });
  }

  private async publishUpTo(height: number): Promise<void> {
    const o = this.o;
    while (!this.stopped && this.published < height) {
      const h = this.published + 1;
      const stored = await o.store.get(h);
      if (!stored) return;
      const a = anchorOfStoredBlock(o.cluster, stored);
      if (!a.ok) throw new Error(`block ${h}: ${a.reason}`);
      await o.transport.publish(ANCHOR_KIND, encodeAnchor(a.anchor));
      o.metrics.counter('meterchain_anchors_published_total', 'Anchors of committed blocks this gate published.');
      this.published = h;
      await this.saveCursor();
    }
  }

  private async saveCursor(): Promise<void> {
    const tmp = `${this.cursorFile}.tmp`;
    await writeFile(tmp, JSON.stringify({ published: this.published }) + '\n');
    await rename(tmp, this.cursorFile);
  }

  /** Waits for what is queued, and (a while) for the broker to take what was published. */
  async stop(flushMs = 3000): Promise<void> {
    await this.queue;
    this.stopped = true;
    await this.o.transport.flushed(flushMs).catch(() => undefined);
  }
}
