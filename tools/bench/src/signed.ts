// Where a meter's signed readings ended after a load run: every one must be in its chain, in its unaccepted log, or
// pending for rounds past the chain. One still pending for a round its chain covers is counted apart (stale: the node
// state holds it and the next block the node commits reports it, but its block's settling should have done so); any
// other is lost.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { decodeReading, equalBytes, openEnvelope, type Manifest } from '@meterchain/core';
import { decodeHeader, decodeStoredBlock, roundOf } from '@meterchain/consensus';
import { NodeState, readingsOf } from '@meterchain/ledger';

export interface SignedTally {
  inChain: number;
  unaccepted: number;
  pending: number;
  /** Pending in the node state although the chain covers its round (reported at the next block the node commits). */
  stale: number;
  lost: number;
  /** The sequence numbers of the readings lost (to look them up in the meter's log). */
  lostSeqs: number[];
}

/** Tallies the readings `signed` (their sequence numbers) by meter `me` against its chain's `blocks` and its data dir. */
export async function tallySigned(blocks: Uint8Array[], manifest: Manifest, me: Uint8Array, dataDir: string, signed: Iterable<number>): Promise<SignedTally> {
  const inChain = new Set<number>();
  let lastRound = -1;
  for (const b of blocks) {
    const rows = readingsOf(b, (r) => roundOf(manifest, r.ts));
    if (!('reason' in rows)) for (const row of rows) if (equalBytes(row.reading.meter, me)) inChain.add(row.reading.seq);
    const s = decodeStoredBlock(b);
    const h = s.ok ? decodeHeader(s.block.header) : undefined;
    if (h?.ok) lastRound = h.header.last;
  }
  const unaccepted = new Set(
    readFileSync(join(dataDir, 'unaccepted.jsonl'), { encoding: 'utf8', flag: 'a+' })
      .split('\n')
      .filter(Boolean)
      .map((l) => (JSON.parse(l) as { seq: number }).seq),
  );
  const state = await NodeState.open(join(dataDir, 'state'));
  // Each pending reading's round, from the reading itself.
  const pending = new Map<number, number>();
  for (const x of state.pending()) {
    const env = openEnvelope(x.bytes);
    const r = env.ok ? decodeReading(env.envelope.body) : undefined;
    pending.set(x.seq, r?.ok ? roundOf(manifest, r.reading.ts) : -1);
  }
  await state.close();
  const tally: SignedTally = { inChain: 0, unaccepted: 0, pending: 0, stale: 0, lost: 0, lostSeqs: [] };
  for (const seq of signed) {
    if (inChain.has(seq)) tally.inChain++;
    else if (unaccepted.has(seq)) tally.unaccepted++;
    else if (pending.has(seq) && pending.get(seq)! > lastRound) tally.pending++;
    else if (pending.has(seq)) tally.stale++;
    else {
      tally.lost++;
      tally.lostSeqs.push(seq);
    }
  }
  return tally;
}
