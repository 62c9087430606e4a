// How the wide-area chain's members (substations) judge a submission: a batch whose items are regional manifests
// and anchors. The consensus engine is the regional one; only this judge differs (NodeConfig.judges). A manifest
// item registers in the registry (it verifies on its own: operator-signed, chained by epoch); an anchor must verify
// against its region's registered manifest. A gate puts the manifests an anchor needs before it in the same batch,
// so the verdict does not depend on which other submissions of the round a judge has seen.
import { Reason, merkleRoot, type SubmissionJudge } from '@meterchain/consensus';
import { equalBytes, type Hash } from '@meterchain/core';
import { decodeAnchor } from './anchor.ts';
import type { RegionRegistry } from './registry.ts';

/** What one item of a wide-area batch is: an anchor, a regional manifest, or neither. */
export type ItemVerdict = { ok: true; kind: 'anchor' | 'manifest' } | { ok: false; reason: string };

/** Judges one item against (and, for a manifest, into) the registry. */
export function judgeItem(registry: RegionRegistry, item: Uint8Array): ItemVerdict {
  const a = decodeAnchor(item);
  if (a.ok) {
    const v = registry.verify(item);
    return v.ok ? { ok: true, kind: 'anchor' } : { ok: false, reason: `anchor: ${v.fault}: ${v.reason}` };
  }
  const r = registry.register(item);
  return r.ok ? { ok: true, kind: 'manifest' } : { ok: false, reason: `neither an anchor (${a.reason}) nor a manifest that registers (${r.reason})` };
}

/** The wide-area chain's submission judge: every item an anchor or manifest that verifies, hashing to the root. */
export function anchorJudge(registry: RegionRegistry, hash: Hash): SubmissionJudge {
  return (s) => {
    const b = s.batch;
    if (s.kind !== 'batch' || !b || !b.items || b.items.length === 0) return Reason.ANCHOR;
    if (b.items.length !== b.count || !equalBytes(merkleRoot(hash, b.items), b.root)) return Reason.ANCHOR;
    for (const item of b.items) if (!judgeItem(registry, item).ok) return Reason.ANCHOR;
    return Reason.OK;
  };
}
