// What fits on an RS-485 line (docs/transport.md §12.8): the frames a cluster of N members publishes per round, taken
// from the cluster simulator (the consensus code itself), sent through the Modbus RTU transport over a simulated
// line, and the bytes the line carried per round counted. Wire time per round at 9,600, 19,200 and 115,200 baud
// (8E1, 11 bits a byte, plus the 3.5-character silence after every frame) is set against the round length.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { addressToText } from '@meterchain/core';
import { MultidropLine } from '@meterchain/modbus/sim';
import { simulate } from '@meterchain/testkit';
import { ModbusRtuMaster, openModbusRtuTransport, type ModbusRtuTransport } from '@meterchain/transport';
import type { BenchOptions, BenchRow } from './harness.ts';

const BITS = 11;
const ROUND_MS = 1000;
const BAUDS = [9600, 19200, 115200];
/** The line the frames are measured on: fast, so that a run takes seconds; bytes do not depend on the baud rate. */
const MEASURE_BAUD = 3_000_000;

interface Publish {
  member: number;
  kind: string;
  size: number;
}

/** The frames each member publishes over `rounds` rounds of a simulated cluster, as the node runtime sends them. */
function workload(members: number, rounds: number): Publish[] {
  const out: Publish[] = [];
  simulate({
    meters: members,
    rounds,
    seed: 5,
    params: { roundMs: ROUND_MS, blockRounds: 5 },
    trace: (member, effects) => {
      for (const e of effects) {
        if (e.type !== 'publish') continue;
        // A frame for one member goes out as `<topic>-to-<i>` with the recipient's 20-byte address in front.
        out.push({ member, kind: e.to ? `${e.topic}-to-1` : e.topic, size: e.bytes.length + (e.to ? 20 : 0) });
      }
    },
  });
  return out;
}

interface Measured {
  members: number;
  rounds: number;
  framesPerRound: number;
  frameBytesPerRound: number;
  wireBytesPerRound: number;
  transactionsPerRound: number;
  largestFrame: number;
}

async function measure(members: number, rounds: number): Promise<Measured> {
  const frames = workload(members, rounds);
  const dir = mkdtempSync(join(tmpdir(), 'mc-bench-rs485-'));
  const line = await MultidropLine.open({ dir, baudRate: MEASURE_BAUD, bitsPerByte: BITS });
  const addresses = Array.from({ length: members }, (_, i) => addressToText(Uint8Array.from({ length: 20 }, (_, j) => (i * 31 + j * 7 + 1) & 0xff)));
  const master = new ModbusRtuMaster({ cluster: 'bench', path: await line.addDrop('master'), baudRate: MEASURE_BAUD, bitsPerByte: BITS, members: addresses.map((address, i) => ({ unit: i + 1, address })) });
  const transports: ModbusRtuTransport[] = [];
  try {
    await master.start();
    for (const [i, address] of addresses.entries()) {
      transports.push(await openModbusRtuTransport({ cluster: 'bench', address, unit: i + 1, path: await line.addDrop(`u${i + 1}`), baudRate: MEASURE_BAUD, spoolDir: join(dir, `spool-${i}`), fsync: 'interval' }));
    }
    let delivered = 0;
    await transports[0]!.subscribe({}, () => delivered++);
    while (!transports.every((t) => t.connected)) await new Promise((r) => setTimeout(r, 5));
    const before = line.stats();
    const masterBefore = master.stats();
    for (const f of frames) await transports[f.member]!.publish(f.kind, new Uint8Array(f.size).fill(0x5a));
    const deadline = Date.now() + 120_000;
    while (delivered < frames.length && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    if (delivered < frames.length) throw new Error(`rs485 bench: ${delivered} of ${frames.length} frames arrived in 120 s`);
    const after = line.stats();
    const m = master.stats();
    // Idle polls while waiting (a member with nothing: 8 + 13 bytes) are not the workload's: count one per member a
    // round instead (the master must ask each member at least once a round).
    const idle = m.idlePolls - masterBefore.idlePolls;
    const wireBytes = after.bytes - before.bytes - idle * 21 + rounds * members * 21;
    const transactions = m.requests - masterBefore.requests + m.broadcasts - masterBefore.broadcasts - idle + rounds * members;
    return {
      members,
      rounds,
      framesPerRound: frames.length / rounds,
      frameBytesPerRound: frames.reduce((a, f) => a + f.size, 0) / rounds,
      wireBytesPerRound: wireBytes / rounds,
      transactionsPerRound: transactions / rounds,
      largestFrame: Math.max(...frames.map((f) => f.size)),
    };
  } finally {
    for (const t of transports) await t.close();
    await master.close();
    await line.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Wire time of one round at `baud`: its bytes, and a 3.5-character silence (1.75 ms above 19,200) after each frame;
 * a transaction with an answer has two frames. */
export function wireMsPerRound(m: Measured, baud: number): number {
  const charMs = (1000 * BITS) / baud;
  const gapMs = baud > 19200 ? 1.75 : 3.5 * charMs;
  return m.wireBytesPerRound * charMs + 2 * m.transactionsPerRound * gapMs;
}

export async function run(opts: BenchOptions): Promise<BenchRow[]> {
  const rows: BenchRow[] = [];
  const sizes = opts.quick ? [3, 5] : [3, 5, 8, 12];
  const rounds = opts.quick ? 6 : 15;
  for (const n of sizes) {
    const m = await measure(n, rounds);
    rows.push({
      name: `rs485 ${n} members: bytes on the wire per round`,
      value: m.wireBytesPerRound,
      unit: 'B',
      limit: { name: 'frame bytes published per round', value: m.frameBytesPerRound },
      ratio: m.wireBytesPerRound / m.frameBytesPerRound,
      note: `${m.framesPerRound.toFixed(1)} frames and ${m.transactionsPerRound.toFixed(0)} transactions a round (${rounds} simulated rounds of ${ROUND_MS} ms, blocks every 5); largest frame ${m.largestFrame} B; each frame crosses the line twice`,
    });
    for (const baud of BAUDS) {
      const wire = wireMsPerRound(m, baud);
      rows.push({
        name: `rs485 ${n} members at ${baud} baud: wire time per round`,
        value: wire,
        unit: 'ms',
        limit: { name: 'round length', value: ROUND_MS },
        ratio: wire / ROUND_MS,
        note: `smallest round length at 70 % wire use: ${Math.ceil(wire / 0.7 / 100) / 10} s`,
      });
    }
  }
  return rows;
}
