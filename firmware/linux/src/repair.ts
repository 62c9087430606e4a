// `meterchain node repair --config node.yaml`: makes a node's data directory usable again after damage the node
// refused to start with (docs/ledger.md §4): the chain is cut at its first damaged block (the node fetches the rest
// from its peers), the node state keeps every intact entry, and a fence keeps the node from signing anything it may
// have signed before.
import { join } from 'node:path';
import { decodeHeader, decodeStoredBlock, roundOf } from '@meterchain/consensus';
import { createNodeSigner, nodeVerifier, readKeyFile } from '@meterchain/crypto';
import { ChainStore, NodeState, nodeStateLimits, type NodeStateRepair } from '@meterchain/ledger';
import { ConfigError, loadConfig } from './config.ts';
import { loadClusterManifest } from './manifest.ts';


export interface RepairOptions {
  /** The height the cluster's chain has reached (from a peer): required when the node's own chain is empty or was
   * cut, since the node may then have voted at any height up to it. */
  aboveHeight?: number;
  /** The time (ms since the epoch) the fence counts rounds from (default now). */
  now?: number;
}

export interface NodeRepair {
  /** Blocks in the chain after the repair, and the bytes cut off it (kept beside it in blocks.log.torn-<offset>). */
  blocks: number;
  chainCutBytes: number;
  /** The fence: no submission or vote for a round at or below `round`, no block vote or timeout at or below `height`. */
  fence: { round: number; height: number };
  state: NodeStateRepair;
  /** Pending own readings found in the chain and settled. */
  settled: number;
}

/** Repairs the data directory of the node `configPath` runs. Throws ConfigError (one line) when it cannot. */
export async function repairNode(configPath: string, opts: RepairOptions = {}): Promise<NodeRepair> {
  const cfg = loadConfig(configPath);
  // The key must be the node's: the fence is for what this key may have signed.
  createNodeSigner(readKeyFile(cfg.key));
  const verifier = nodeVerifier();
  const checked = await loadClusterManifest(cfg, verifier);
  const manifest = checked.manifest;

  // Every block's frame is checked. A torn tail is cut as on any open (those blocks were never reported durable, so
  // nothing was signed after them); damage to durable blocks is cut only here, and then blocks the node had are lost.
  const chainDir = join(cfg.dataDir, 'chain');
  let chainLost = false;
  let opened;
  try {
    opened = await ChainStore.open(chainDir, { genesis: checked.digest, scan: 'full' });
  } catch (e) {
    if ((e as { code?: string }).code !== 'corrupt') throw e;
    chainLost = true;
    opened = await ChainStore.open(chainDir, { genesis: checked.digest, scan: 'full', repair: true });
  }
  const { store, recovery } = opened;
  try {
    let tipHeight = -1;
    let tipLast = -1;
    if (store.count > 0) {
      const s = decodeStoredBlock((await store.get(store.nextHeight - 1))!);
      const h = s.ok ? decodeHeader(s.block.header) : undefined;
      if (!h?.ok) throw new ConfigError(`${join(cfg.dataDir, 'chain')}: the last stored block does not decode`);
      tipHeight = h.header.height;
      tipLast = h.header.last;
    }
    // With blocks cut off or none at all, the node may have voted at heights it no longer holds: the operator names
    // the height the cluster has reached.
    if ((store.count === 0 || chainLost) && opts.aboveHeight === undefined) {
      throw new ConfigError(
        `${join(cfg.dataDir, 'chain')}: ${store.count === 0 ? 'the chain is empty' : `${recovery.cutBytes} bytes of the chain were cut off`}, so the heights this node may have voted at are unknown: give --above-height H, the height of the last block a peer holds (meterchain chain inspect on its data directory)`,
      );
    }
    // The node signed nothing for a round that started after the time of its last run plus the clock skew the
    // cluster allows, and voted on no height above the one after its stored tip (it stores a block before it signs at
    // the next height).
    const now = opts.now ?? Date.now();
    const fence = {
      round: Math.max(roundOf(manifest, now + manifest.params.skewMs), tipLast),
      height: Math.max(tipHeight + 1, opts.aboveHeight ?? -1),
    };
    const stateDir = join(cfg.dataDir, 'state');
    const state = await NodeState.repair(stateDir, fence, { limits: nodeStateLimits(manifest) });
    // Pending own readings that the chain holds were settled in entries that may have been lost: settle them again.
    const opened = await NodeState.open(stateDir, { limits: nodeStateLimits(manifest) });
    let settled = 0;
    try {
      const inChain = opened.pending().filter((p) => store.locate(p.meter, p.seq) !== undefined);
      for (const p of inChain) await opened.settle(p.meter, [p.seq]);
      settled = inChain.length;
    } finally {
      await opened.close();
    }
    return { blocks: store.count, chainCutBytes: recovery.cutBytes, fence, state, settled };
  } finally {
    await store.close();
  }
}
