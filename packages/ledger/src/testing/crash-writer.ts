// The writer process of the crash test: it stores committed blocks of a prepared chain one after another, signs a
// slot for each (through the node state's guard) and keeps its own reading pending until the block holding it is
// durable. Every promise it makes is printed on stdout only after the call that makes it true has returned:
//   ready count=C cut=B index=I last=H pending=S1,…  after opening (last: height of the last commit record kept,
//                                                    pending: seqs kept before reconciling)
//   signed block H DIGEST | resent block H DIGEST  after persist granted the commit record for height H (or handed
//                                                    back the one recorded before)
//   pending SEQ                                      after addPending resolved
//   durable H end=BYTES                              after the append of block H resolved
//   settling SEQ                                     before settle is called (from then on it may be gone)
//   settled SEQ                                      after settle resolved
//   done                                             when the prepared chain is all stored
import { createHash } from 'node:crypto';
import { writeSync } from 'node:fs';
import { toHex } from '@meterchain/core';
import { ChainStore } from '../chain-store.ts';
import { NodeState } from '../node-state.ts';
import { RecordLog } from '../record-log.ts';
import { storedBlockKeys } from '../chain-store.ts';

function say(line: string): void {
  // Synchronous: a line is either wholly written before the next step or, when killed, is the last partial line.
  writeSync(1, line + '\n');
}

function arg(argv: string[], name: string): string {
  const i = argv.indexOf(`--${name}`);
  if (i < 0 || i + 1 >= argv.length) throw new Error(`crash writer: missing --${name}`);
  return argv[i + 1]!;
}

/** Runs the writer with `--store DIR --state DIR --source FILE --run ID`; returns when the chain is stored. */
export async function runWriter(argv: string[]): Promise<void> {
  const storeDir = arg(argv, 'store');
  const stateDir = arg(argv, 'state');
  const run = arg(argv, 'run');
  const opened = await RecordLog.open(arg(argv, 'source'), { readOnly: true });
  const source = await opened.log.readRange(0, opened.log.count);
  await opened.log.close();

  const { store, recovery } = await ChainStore.open(storeDir, { checkpointEvery: 16 });
  const state = await NodeState.open(stateDir, { window: 64, compactEvery: 40 });
  const last = state.lastRecords().find((r) => r.kind === 'commit');
  say(`ready count=${store.count} cut=${recovery.cutBytes} index=${recovery.index} last=${last ? last.height : -1} pending=${state.pending().map((p) => p.seq).join(',')}`);

  // Readings kept pending whose block made it to the store before the crash: settle them now.
  for (const p of state.pending()) {
    if (store.locate(p.meter, p.seq)) {
      say(`settling ${p.seq}`);
      await state.settle(p.meter, [p.seq]);
      say(`settled ${p.seq}`);
    }
  }

  let step = Number.parseInt(run, 10) % 3;
  while (store.nextHeight < source.length) {
    step = (step + 1) % 3;
    const first = store.nextHeight;
    const heights: number[] = [];
    for (let h = first; h < Math.min(source.length, first + 1 + step); h++) heights.push(h);

    // 1. Sign each block's slot before anything about it is published (the guard persists first).
    await Promise.all(
      heights.map(async (h) => {
        // What this run would sign differs from what an earlier run signed: a guard that forgot would sign twice.
        const bytes = createHash('sha256').update(source[h]!).update(run).digest();
        const digest = createHash('sha256').update(bytes).digest();
        const d = await state.persist({ kind: 'commit', round: -1, height: h, view: 0, bytes });
        if (d.ok && d.fresh) say(`signed block ${h} ${toHex(digest)}`);
        else if (d.ok) say(`resent block ${h} ${toHex(digest)}`);
        else if (d.code === 'conflict') say(`resent block ${h} ${toHex(d.digest)}`);
        else throw new Error(`crash writer: slot ${h} refused: ${d.reason}`);
      }),
    );
    // 2. Keep this node's own reading of each block pending until the block is durable.
    const own = heights.map((h) => storedBlockKeys(source[h]!).readings![0]!);
    await Promise.all(
      own.map(async (r) => {
        await state.addPending({ meter: r.meter, seq: r.seq, bytes: r.meter });
        say(`pending ${r.seq}`);
      }),
    );
    // 3. Store the blocks (appends overlap and share syncs), then settle the readings.
    await Promise.all(
      heights.map(async (h) => {
        await store.append(source[h]!);
        say(`durable ${h} end=${store.blocks.durableBytes}`);
      }),
    );
    for (const r of own) {
      say(`settling ${r.seq}`);
      await state.settle(r.meter, [r.seq]);
      say(`settled ${r.seq}`);
    }
  }
  say('done');
  await state.close();
  await store.close();
}
