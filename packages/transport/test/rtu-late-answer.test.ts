// A member whose process is held up past the master's response timeout (a starved CPU, a long verification on its
// event loop) must not answer the polls it missed: by then the master has moved on, and the answer would run into
// whatever it sends next (docs/transport.md §12.3, late answers). The line is kept busy with relay writes, as a
// cluster's is, so that a late answer has something to collide with.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { afterEach, expect, test } from '@jest/globals';
import { requirePrograms } from '@meterchain/testkit/programs';
import { RtuBus } from '@meterchain/testkit/rtu-bus';
import { encodeFramed, openModbusRtuTransport, type ModbusRtuTransport } from '../src/index.ts';
import { testAddress, waitFor } from '../compliance/index.ts';

const CLUSTER = 'feeder-7';
const BAUD = 115_200;
const HOLDS = 3;
/** Longer than the master's response timeout (250 ms) and guard (100 ms) together. */
const HOLD_MS = 600;
const FRAMES_PER_HOLD = 12;

let bus: RtuBus | undefined;
let member: ModbusRtuTransport | undefined;
let dir: string | undefined;

afterEach(async () => {
  await member?.close();
  await bus?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
  member = bus = dir = undefined;
});

/** Holds this process's event loop, as a starved member's is held: its port is not read, nothing is answered. */
function holdUp(ms: number): void {
  const until = performance.now() + ms;
  while (performance.now() < until) {
    // Busy: the member's reads of the line wait in the driver.
  }
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

const run = requirePrograms('the late-answer test', 'socat') ? test : test.skip;

run('a member held up past the response timeout leaves the polls it missed unanswered, and nothing collides', async () => {
  dir = mkdtempSync(join(tmpdir(), 'mc-rtu-late-'));
  bus = await RtuBus.start({ dir, cluster: CLUSTER, baudRate: BAUD, bitsPerByte: 11 });
  const address = testAddress(0);
  const other = testAddress(1);
  const path = await bus.add(1, address);
  member = await openModbusRtuTransport({ cluster: CLUSTER, address, unit: 1, path, baudRate: BAUD, spoolDir: join(dir, 'spool') });
  const t = member;
  await waitFor(() => t.connected, 'the first poll', 10_000);
  const relayed = new Set<number>();
  await t.subscribe({ kind: 'sub', from: other }, (d) => relayed.add(d.seq));

  let seq = 0;
  for (let hold = 0; hold < HOLDS; hold++) {
    // About a second of relay writes (1 KB frames, 4-5 pieces each): the master is on the line nearly all the time.
    for (let i = 0; i < FRAMES_PER_HOLD; i++) {
      seq++;
      await bus.inject('sub', other, encodeFramed({ incarnation: 1, seq }, new Uint8Array(1000).fill(seq)));
      await t.publish('vote', new Uint8Array(200).fill(seq));
    }
    await sleep(150);
    holdUp(HOLD_MS);
    await sleep(1000);
  }

  await waitFor(() => relayed.size === seq, `the ${seq} relayed frames`, 60_000);
  await t.flushed(60_000);
  const { line, master } = await bus.stats();
  // The master gave up on polls while the member was held up; nothing the member said late met another frame; the
  // member heard that the master had given up, and stayed silent on those polls.
  expect(master.timeouts).toBeGreaterThan(0);
  expect(line.collidedBytes).toBe(0);
  expect(t.linkStats().staleRequests).toBeGreaterThan(0);
}, 120_000);
