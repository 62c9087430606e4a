// "No reading lost": every reading a meter signed is in its chain, in its unaccepted log with the outcome it saw, or
// still pending for rounds no stored block covers yet.
import { decodeHeader, decodeStoredBlock, roundOf } from '@meterchain/consensus';
import { NodeState, readingsOf } from '@meterchain/ledger';
import { join } from 'node:path';
import { addressFromText, equalBytes } from '@meterchain/core';
import type { TestCluster, TestMember } from './cluster.ts';

export interface Accounting {
  signed: number[];
  inChain: number[];
  unaccepted: { seq: number; outcome: string }[];
  /** Signed readings of rounds the stored blocks do not cover yet. */
  uncovered: number[];
  /** Signed readings of covered rounds found nowhere, and uncovered ones missing from the node's pending state:
   * must be empty. */
  lost: number[];
  lastCoveredRound: number;
}

export async function account(cluster: TestCluster, m: TestMember): Promise<Accounting> {
  const signed = m.logs.filter((l) => l['msg'] === 'reading signed').map((l) => l['seq'] as number);
  const me = addressFromText(m.address);
  const inChain: number[] = [];
  let lastCoveredRound = -1;
  for (const block of await cluster.blocks(m)) {
    const rows = readingsOf(block, (r) => roundOf(cluster.manifest, r.ts));
    if ('reason' in rows) throw new Error(rows.reason);
    for (const row of rows) if (equalBytes(row.reading.meter, me)) inChain.push(row.reading.seq);
    const s = decodeStoredBlock(block);
    if (s.ok) {
      const h = decodeHeader(s.block.header);
      if (h.ok) lastCoveredRound = h.header.last;
    }
  }
  const unaccepted = (await cluster.unaccepted(m)).map((u) => ({ seq: u.seq, outcome: u.outcome }));
  const known = new Set([...inChain, ...unaccepted.map((u) => u.seq)]);
  // A meter's sequence number is its round number (firmware/linux/src/runtime.ts).
  const uncovered = signed.filter((seq) => seq > lastCoveredRound);
  // The node is stopped: its state can be opened to see what is still pending.
  const state = await NodeState.open(join(m.dir, 'data', 'state'));
  const pending = new Set(state.pending().filter((p) => equalBytes(p.meter, me)).map((p) => p.seq));
  await state.close();
  const lost = signed.filter((seq) => (seq <= lastCoveredRound ? !known.has(seq) : !pending.has(seq)));
  return { signed, inChain, unaccepted, uncovered, lost, lastCoveredRound };
}
