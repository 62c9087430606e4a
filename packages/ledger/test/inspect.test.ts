import { describe, expect, test } from '@jest/globals';
import { csvField, readingsOf, summarizeBlock } from '@meterchain/ledger';
import { manifestsOf, smallChain } from './support/chain.ts';

describe('csvField', () => {
  test('quotes a field with a comma or quote and doubles its quotes', () => {
    expect(csvField('a,b')).toBe('"a,b"');
    expect(csvField('say "hi"')).toBe('"say ""hi"""');
    expect(csvField('1-0:32.7.0 [V]')).toBe('1-0:32.7.0 [V]');
  });
});

describe('block summaries', () => {
  test('count accepted and rejected submissions and name the equivocator in evidence', () => {
    const m = manifestsOf(smallChain())[0]!.manifest;
    const s = summarizeBlock(smallChain().blocks[3]!, m);
    if (!s.ok) throw new Error(s.reason);
    expect(s.block.accepted + s.block.rejected).toBe(8); // 4 members × 2 rounds
    expect(s.block.accepted).toBe(s.block.submissions);
    expect(s.evidence).toHaveLength(1);
    expect(s.evidence[0]).toMatchObject({ height: 3, kind: 'submission', slot: 6 });
  });

  test('list the accepted readings of a block with their round', () => {
    const m = manifestsOf(smallChain())[0]!.manifest;
    const rows = readingsOf(smallChain().blocks[1]!, (r) => Math.floor((r.ts - m.genesisMs) / m.params.roundMs));
    if (!Array.isArray(rows)) throw new Error(rows.reason);
    expect(rows.every((r) => r.height === 1 && (r.round === 2 || r.round === 3))).toBe(true);
    expect(rows.length).toBe(summarizeBlock(smallChain().blocks[1]!, m).ok ? (summarizeBlock(smallChain().blocks[1]!, m) as { block: { accepted: number } }).block.accepted : -1);
  });
});
