// Where a meter's signed readings ended after a load run: every one must be in its chain, in its unaccepted log, or
// pending for rounds past the chain; any other is lost.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { equalBytes, type Manifest } from '@meterchain/core';
import { decodeHeader, decodeStoredBlock, roundOf } from '@meterchain/consensus';
import { NodeState, readingsOf } from '@meterchain/ledger';

export interface SignedTally {
  inChain: number;
  unaccepted: number;
  pending: number;
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
  const pending = new Set(state.pending().map((x) => x.seq));
  await state.close();
  const tally: SignedTally = { inChain: 0, unaccepted: 0, pending: 0, lost: 0, lostSeqs: [] };
  for (const seq of signed) {
    if (inChain.has(seq)) tally.inChain++;
    else if (unaccepted.has(seq)) tally.unaccepted++;
    else if (seq > lastRound && pending.has(seq)) tally.pending++;
    else {
      tally.lost++;
      tally.lostSeqs.push(seq);
    }
  }
  return tally;
}
