// `meterchain demo --pmus N` (`npm start -- --pmus 4`): a cluster of PMU members fed by the PMU simulator (one
// C37.118.2 stream of N stations at 60 frames/s, as a substation PDC sends), each member its own `meterchain node`
// process batching its station's frames a round; `--spoof K` lets the first K stations' clocks drift (a spoofed GPS
// receiver that keeps reporting lock), and their batches are refused by the angle-drift cross-check. Ends by proving
// one frame of an accepted batch (`chain prove --frame`) and checking the proof with the manifest alone.
import type { ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { addressToText, equalBytes, toHex } from '@meterchain/core';
import { reasonName, roundOf } from '@meterchain/consensus';
import { FrameStore, openChain, storedBlockKeys, verifyBlocks } from '@meterchain/ledger';
import { PmuSimulator } from '@meterchain/pmu/sim';
import { createCluster } from '../cluster-files.ts';
import type { Io } from '../command.ts';
import { command as chainCommand } from '../commands/chain.ts';
import { command as proofCommand } from '../commands/proof.ts';
import { startEmbeddedBroker } from './broker.ts';
import { startNode, stopProcesses } from './processes.ts';

const bin = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'bin', 'meterchain.js');

export interface PmuDemoOptions {
  pmus: number;
  spoof: number;
  rounds: number;
  rule: 'bft' | 'majority';
  broker?: string;
  out: string;
  /** Clock drift of a spoofed station, µs/s. */
  driftUsPerS?: number;
}

interface PmuView {
  name: string;
  station: number;
  spoofed: boolean;
  proc: ChildProcess;
  height: number;
  connected: boolean;
  batches: number;
  accepted: number;
  refused: Record<string, number>;
  gaps: number;
  notSubmitted: number;
  started: boolean;
  exited?: number | null;
  lastError?: string;
}

const FPS = 60;
const STREAM_IDCODE = 7;

export async function runPmuDemo(io: Io, o: PmuDemoOptions): Promise<number> {
  const roundMs = 1000;
  const blockRounds = 5;
  const n = o.pmus;
  const out = resolve(o.out);
  // Start-up time for N node processes on a small, shared machine: each must connect to the broker and the PMU stream.
  const genesisMs = Math.ceil((Date.now() + 6000 + 1000 * n) / 1000) * 1000;
  const cluster = createCluster(out, { name: 'pmu-demo', members: n, rule: o.rule, roundMs, blockRounds, skewMs: 700, timeoutMs: 2000, genesisMs });
  const t = cluster.manifest;
  const drift = o.driftUsPerS ?? 20;
  // The simulator's clock starts now; the spoofed stations drift from genesis on.
  const startSoc = Math.floor(Date.now() / 1000);
  const events = Array.from({ length: o.spoof }, (_, k) => ({ kind: 'clock-drift' as const, atSeconds: genesisMs / 1000 - startSoc, station: k, microsecondsPerSecond: drift }));
  const sim = new PmuSimulator({ idcode: STREAM_IDCODE, stations: n, nominalHz: 60, dataRate: FPS, events, startSoc });
  const simPort = await sim.listen(0);
  io.out(`cluster '${t.cluster}': ${n} PMUs, rule ${o.rule}, rounds of ${roundMs} ms, blocks of ${blockRounds} rounds; one batch of ${FPS} frames per PMU and round`);
  io.out(`PMU simulator: 127.0.0.1:${simPort}, stream IDCODE ${STREAM_IDCODE}, ${n} stations at ${FPS} frames/s (60 Hz)${o.spoof ? `; the clocks of ${o.spoof} station(s) drift ${drift} µs/s from round 0 (spoofed GPS, still reporting lock)` : ''}`);
  io.out(`data: ${out}`);
  const embedded = o.broker ? undefined : await startEmbeddedBroker();
  const brokerUrl = o.broker ?? embedded!.url;

  const views: PmuView[] = cluster.members.map((m, i) => {
    const station = 100 + i;
    const yaml = [
      `# PMU member ${m.name} of cluster ${t.cluster} (written by meterchain demo --pmus)`,
      'cluster:',
      `  manifest: ${relative(m.dir, cluster.manifestPath)}`,
      `  operatorKey: ${relative(m.dir, join(cluster.dir, 'operator.pub'))}`,
      'key: meter.key',
      'dataDir: data',
      'broker:',
      `  url: ${brokerUrl}`,
      'sensor:',
      '  type: pmu',
      '  host: 127.0.0.1',
      `  port: ${simPort}`,
      `  idcode: ${STREAM_IDCODE}`,
      `  station: ${station}`,
      'pmu:',
      `  fps: ${FPS}`,
      '  nominalHz: 60',
      'metrics:',
      '  listen: 127.0.0.1:0',
      'log:',
      '  level: info',
      '',
    ].join('\n');
    const config = join(m.dir, 'node.yaml');
    writeFileSync(config, yaml);
    const view: Omit<PmuView, 'proc'> = { name: m.name, station, spoofed: i < o.spoof, height: -1, connected: false, batches: 0, accepted: 0, refused: {}, gaps: 0, notSubmitted: 0, started: false };
    // Each member's log (JSON lines) beside its configuration.
    const proc = startNode(bin, [config], join(m.dir, 'node.log'), view, (rec) => {
      const msg = String(rec['msg']);
      if (msg === 'status') {
        view.height = rec['height'] as number;
        view.connected = rec['connected'] as boolean;
      } else if (msg === 'block committed') view.height = Math.max(view.height, rec['height'] as number);
      else if (msg === 'broker connected') view.connected = true;
      else if (msg === 'node started') view.started = true;
      else if (msg === 'batch made') view.batches++;
      else if (msg === 'own batch accepted') view.accepted++;
      else if (msg === 'own batch not submitted') view.notSubmitted++;
      else if (msg.startsWith('own batch ')) {
        const why = msg === 'own batch rejected' ? String(rec['reason']) : msg.slice('own batch '.length);
        view.refused[why] = (view.refused[why] ?? 0) + 1;
      } else if (msg === 'PMU: no frames in the round: gap') view.gaps++;
    });
    return Object.assign(view, { proc });
  });

  const refusedText = (v: PmuView) => Object.entries(v.refused).map(([k, c]) => `${k} ${c}`).join(', ') || '0';
  const line = (v: PmuView) =>
    `  ${v.name} station ${v.station}${v.spoofed ? ' [spoofed clock]' : ''}  height ${String(v.height).padStart(3)}  batches ${String(v.batches).padStart(3)}  accepted ${String(v.accepted).padStart(3)}  refused ${refusedText(v)}` +
    (v.gaps ? `  gaps ${v.gaps}` : '') +
    (v.notSubmitted ? `  not submitted ${v.notSubmitted}` : '') +
    (v.exited !== undefined ? `  exited ${v.exited}` : '');
  // The R rounds count from the first round in which every member runs: on a loaded machine starting N node processes
  // can take longer than the start-up margin, and rounds before that are not the cluster's.
  let firstRound = -1;
  let lastHeight = Math.floor(o.rounds / blockRounds) - 1;
  const startBy = genesisMs + 120_000;
  await new Promise<void>((done) => {
    const timer = setInterval(() => {
      const now = Date.now();
      if (firstRound < 0 && views.every((v) => v.started)) {
        firstRound = Math.max(0, roundOf(t, now) + 1);
        lastHeight = Math.floor((firstRound + o.rounds) / blockRounds) - 1;
      }
      if (firstRound < 0) io.out(`starting ${n} PMU members: ${views.filter((v) => v.started).length} started${now < genesisMs ? `, rounds begin in ${Math.ceil((genesisMs - now) / 1000)} s` : ''}`);
      else io.out(`round ${Math.max(0, Math.min(o.rounds, roundOf(t, now) - firstRound + 1))}/${o.rounds}   blocks ${Math.max(-1, ...views.map((v) => v.height)) + 1}   accepted batches ${views.reduce((a, v) => a + v.accepted, 0)}`);
      const endMs = genesisMs + (firstRound + o.rounds) * roundMs;
      const finished = firstRound >= 0 && views.every((v) => v.height >= lastHeight) && now > endMs;
      const late = firstRound < 0 ? now > startBy : now > endMs + 4 * blockRounds * roundMs + 20_000;
      if (finished || views.some((v) => v.exited !== undefined) || late) {
        clearInterval(timer);
        done();
      }
    }, 1000);
  });
  await stopProcesses(views);
  await sim.close();
  await embedded?.close();

  io.out('');
  for (const v of views) io.out(line(v));
  for (const v of views) if (v.lastError) io.err(`${v.name}: ${v.lastError}`);
  let problems = 0;
  let reference: { name: string; blocks: number; dir: string } | undefined;
  for (const m of cluster.members) {
    const chainDir = join(m.dir, 'data', 'chain');
    try {
      const opened = await openChain(chainDir);
      const report = await verifyBlocks([{ manifest: t, digest: cluster.digest }], opened.source);
      await opened.close();
      if (!report.ok) {
        io.err(`${m.name}: chain does NOT verify: block ${report.height}: ${report.fault}: ${report.reason}`);
        problems++;
      } else {
        io.out(`chain of ${m.name}: ${report.blocks} blocks verified against the manifest, ${report.readings} batches, tip ${report.blocks > 0 ? toHex(report.tip).slice(0, 16) : 'empty'}`);
        const honest = !views.find((v) => v.name === m.name)!.spoofed;
        if (honest && (!reference || report.blocks > reference.blocks)) reference = { name: m.name, blocks: report.blocks, dir: chainDir };
      }
    } catch (e) {
      io.err(`${m.name}: chain unreadable: ${(e as Error).message}`);
      problems++;
    }
  }
  if (!reference || reference.blocks < Math.max(1, lastHeight) || problems > 0) {
    io.err(`demo: expected about ${lastHeight + 1} verified blocks on every PMU member; see the lines above`);
    return 1;
  }

  // Prove one frame of the reference member, from the middle of its batches in the chain, with the CLI's own commands.
  const member = cluster.manifest.members.find((x) => x.name === reference!.name)!;
  const firsts: number[] = [];
  const chain = await openChain(reference.dir);
  try {
    for (const b of await chain.source.read(0, chain.source.count)) {
      for (const k of storedBlockKeys(b).readings ?? []) if (equalBytes(k.meter, member.address)) firsts.push(k.seq);
    }
  } finally {
    await chain.close();
  }
  const frames = await FrameStore.open(join(dirname(reference.dir), 'frames'), { readOnly: true });
  const record = firsts.length > 0 ? await frames.find(firsts[firsts.length >> 1]!) : undefined;
  await frames.close();
  if (!record) {
    io.err(`demo: no batch of ${reference.name} in the chain whose frames its frame store holds`);
    return 1;
  }
  const seq = record.first + (record.frames.length >> 1);
  const proofPath = join(out, 'frame-proof.cbor');
  const shown = (p: string) => (relative(process.cwd(), p).startsWith('..') ? p : relative(process.cwd(), p));
  const proveArgs = ['prove', reference.dir, '--meter', addressToText(member.address), '--frame', String(seq), '--out', proofPath, '--manifest', cluster.manifestPath];
  const verifyArgs = ['verify', proofPath, '--manifest', cluster.manifestPath];
  io.out('');
  io.out(`$ meterchain chain ${proveArgs.map(shown).join(' ')}`);
  let code = await runCommand(chainCommand.run, proveArgs, io);
  if (code === 0) {
    io.out(`$ meterchain proof ${verifyArgs.map(shown).join(' ')}`);
    code = await runCommand(proofCommand.run, verifyArgs, io);
  }
  if (code !== 0) {
    io.err('demo: the frame proof did not verify');
    return 1;
  }
  const spoofed = views.filter((v) => v.spoofed);
  const honest = views.filter((v) => !v.spoofed);
  io.out('');
  io.out(`honest PMUs: ${honest.reduce((a, v) => a + v.accepted, 0)} of ${honest.reduce((a, v) => a + v.batches, 0)} batches accepted`);
  if (spoofed.length > 0) {
    const drifted = spoofed.reduce((a, v) => a + (v.refused[reasonName(15)] ?? 0), 0);
    io.out(`spoofed PMUs: ${drifted} of ${spoofed.reduce((a, v) => a + v.batches, 0)} batches refused for angle drift (the first ones, while the clock error stays under 26 µs, are accepted)`);
    if (drifted === 0) {
      io.err('demo: no batch of a spoofed PMU was refused for angle drift');
      return 1;
    }
  }
  io.out(`the data is in ${out} (each member's log: members/<name>/node.log)`);
  return 0;
}

/** Runs a CLI command in this process, its errors as one line on stderr (as bin/meterchain does). */
async function runCommand(run: (argv: string[], io: Io) => Promise<number>, argv: string[], io: Io): Promise<number> {
  try {
    return await run(argv, io);
  } catch (e) {
    io.err(`meterchain: ${(e as Error).message}`);
    return 1;
  }
}
