// The typed layer over the block store: committed blocks in the consensus stored-block format (header, body, commit
// certificate), indexed by height and by reading (meter, seq); an append must follow the stored tip.
import { decode, decodeReading, equalBytes, openEnvelope, toHex } from '@meterchain/core';
import { BATCH_SCHEMA, decodeBody, decodeHeader, decodeStoredBlock } from './consensus.ts';
import { BlockStore, type BlockStoreOptions, type ReadingKey, type RecordKeys, type StoreRecovery } from './block-store.ts';
import { LedgerError } from './errors.ts';
import { nodeSha256 } from '@meterchain/crypto';

/**
 * What a stored block holds for the index: its height, and per submission (in body order, so the position is the
 * Merkle leaf) the meter and sequence number — a reading's seq, or a batch's first frame.
 */
export function storedBlockKeys(bytes: Uint8Array): RecordKeys {
  const s = decodeStoredBlock(bytes);
  if (!s.ok) throw new LedgerError('malformed', s.reason);
  const h = decodeHeader(s.block.header);
  if (!h.ok) throw new LedgerError('malformed', h.reason);
  const b = decodeBody(s.block.body);
  if (!b.ok) throw new LedgerError('malformed', b.reason);
  const readings: ReadingKey[] = [];
  for (let i = 0; i < b.body.submissions.length; i++) {
    const env = openEnvelope(b.body.submissions[i]!);
    if (!env.ok) throw new LedgerError('malformed', `submission ${i}: ${env.reason}`);
    const r = decodeReading(env.envelope.body);
    if (r.ok) {
      readings.push({ meter: r.reading.meter, seq: r.reading.seq });
      continue;
    }
    const batch = decode(env.envelope.body, BATCH_SCHEMA);
    if (!batch.ok) throw new LedgerError('malformed', `submission ${i}: neither a reading nor a batch`);
    const v = batch.value as { meter: Uint8Array; first: number };
    readings.push({ meter: v.meter, seq: v.first });
  }
  return { height: h.header.height, readings };
}

function headerOf(bytes: Uint8Array): { height: number; prev: Uint8Array; hash: Uint8Array } {
  const s = decodeStoredBlock(bytes);
  if (!s.ok) throw new LedgerError('malformed', s.reason);
  const h = decodeHeader(s.block.header);
  if (!h.ok) throw new LedgerError('malformed', h.reason);
  return { height: h.header.height, prev: h.header.prev, hash: nodeSha256(s.block.header) };
}

export interface ChainStoreOptions extends Omit<BlockStoreOptions, 'keysOf'> {
  /** Digest of the signed manifest of epoch 0: the `prev` of block 0. Without it, block 0's link is not checked. */
  genesis?: Uint8Array;
}

export class ChainStore {
  readonly blocks: BlockStore;
  #genesis: Uint8Array | undefined;
  #tip: Uint8Array | undefined;

  private constructor(blocks: BlockStore, genesis: Uint8Array | undefined) {
    this.blocks = blocks;
    this.#genesis = genesis;
  }

  /** Opens a chain store (see BlockStore.open for recovery). */
  static async open(dir: string, opts: ChainStoreOptions = {}): Promise<{ store: ChainStore; recovery: StoreRecovery }> {
    const { store: blocks, recovery } = await BlockStore.open(dir, { ...opts, keysOf: storedBlockKeys });
    const store = new ChainStore(blocks, opts.genesis);
    try {
      if (blocks.count > 0) store.#tip = headerOf((await blocks.range(blocks.count - 1, blocks.count))[0]!).hash;
    } catch (e) {
      await blocks.close();
      throw e;
    }
    return { store, recovery };
  }

  /** Hash of the last stored header (undefined when empty). */
  get tip(): Uint8Array | undefined {
    return this.#tip;
  }

  get count(): number {
    return this.blocks.count;
  }

  /** Height of the next block to append (counting appends still in flight). */
  get nextHeight(): number {
    return this.#next ?? (this.blocks.count === 0 ? 0 : this.blocks.lastHeight! + 1);
  }

  #next: number | undefined;

  /**
   * Appends a committed block (the caller has checked its certificates). Refuses one whose height or previous hash
   * does not follow the stored tip ('out-of-order'). Resolves once the block is durable (see BlockStore.append).
   * Appends may overlap (they share syncs); each is checked against the one before it. `readings`: the meter and
   * (first) sequence number of each submission in block order, from a caller that has decoded the block already (the
   * consensus node's committed effect); without them the block is decoded to find them.
   */
  async append(bytes: Uint8Array, readings?: readonly ReadingKey[]): Promise<{ height: number }> {
    const h = headerOf(bytes);
    const next = this.nextHeight;
    const expectedPrev = next === 0 ? this.#genesis : this.#tip;
    if (h.height !== next) throw new LedgerError('out-of-order', `block at height ${h.height} does not follow the stored chain (next height is ${next})`);
    if (expectedPrev && !equalBytes(h.prev, expectedPrev)) {
      throw new LedgerError('out-of-order', `block ${h.height} links to ${toHex(h.prev).slice(0, 16)}…, the stored tip is ${toHex(expectedPrev).slice(0, 16)}…`);
    }
    const tip = this.#tip;
    this.#tip = h.hash;
    this.#next = h.height + 1;
    try {
      return { height: (await this.blocks.append(bytes, readings ? { height: h.height, readings } : undefined)).height };
    } catch (e) {
      // Refused before writing (out of order): the tip stays. A failed write leaves the store unusable anyway.
      if (this.#next === h.height + 1) {
        this.#tip = tip;
        this.#next = h.height;
      }
      throw e;
    }
  }

  /** After an append failed with 'io-failed': makes the store usable again at its last durable block (BlockStore.recover). */
  async recover(): Promise<void> {
    await this.blocks.recover();
    this.#next = undefined;
    this.#tip = this.blocks.count > 0 ? headerOf((await this.blocks.range(this.blocks.count - 1, this.blocks.count))[0]!).hash : undefined;
  }

  /** The stored block at `height`, or undefined. */
  get(height: number): Promise<Uint8Array | undefined> {
    return this.blocks.get(height);
  }

  locate(meter: Uint8Array, seq: number): { height: number; leaf: number } | undefined {
    return this.blocks.locate(meter, seq);
  }

  close(): Promise<void> {
    return this.blocks.close();
  }
}
