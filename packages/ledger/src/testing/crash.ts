// The crash test: a writer process (crash-writer.ts) is SIGKILLed at seeded random moments and restarted, again and
// again. After each restart and at the end the driver checks what the writer promised before it died:
// - every block it reported durable is still stored, and the stored chain verifies from the manifest;
// - no slot was ever signed with two different digests (equivocation across a restart);
// - every reading it reported pending and had not settled is still pending.
// Killing a process leaves the page cache intact, so some kills are followed by an emulated power cut: the block
// log loses or garbles what lies beyond the last byte that was reported durable (and beyond the durable mark), and
// the index, which is never synced, loses an arbitrary tail.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, truncateSync, appendFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { decode, verifyManifest, mulberry32 } from '@meterchain/core';
import { nodeVerifier } from '@meterchain/crypto';
import { BLOCKS_FILE, INDEX_FILE, META_FILE } from '../block-store.ts';
import { openChain } from '../chain-source.ts';
import { ChainStore } from '../chain-store.ts';
import { verifyBlocks } from '../chain-verify.ts';
import { RecordLog } from '../record-log.ts';
import { generateChain, type GeneratedChain } from './generate.ts';

export interface CrashTestOptions {
  kills: number;
  seed: number;
  /** Blocks in the prepared chain (default 3000); when the writer has stored them all, the stores start afresh. */
  blocks?: number;
  /** Longest time a writer runs after it said `ready` before it is killed, in milliseconds (default 120). */
  maxRunMs?: number;
  /** Share of kills followed by an emulated power cut (default 0.3). */
  powerCuts?: number;
  /** Where to cache the prepared chain and the writer bundle (default: a temporary directory). */
  cacheDir?: string;
  /** Progress lines (every 100 kills). */
  log?: (line: string) => void;
}

export interface CrashTestResult {
  kills: number;
  powerCuts: number;
  /** Writer runs that were killed before they printed `ready` (killed while opening and recovering). */
  killedWhileOpening: number;
  restarts: number;
  blocksDurable: number;
  slotsSigned: number;
  resentAfterRestart: number;
  tornTailsCut: number;
  indexRebuilt: number;
  /** Times the prepared chain was stored completely and the stores were started afresh. */
  rounds: number;
  violations: string[];
  seconds: number;
}

/** Share of kills timed from the spawn rather than from `ready`, and their window (Node starts in ~50-200 ms). */
const EARLY_KILLS = 0.2;
const EARLY_KILL_MS = 250;

const here = dirname(fileURLToPath(import.meta.url));
const ledgerRoot = resolve(here, '..', '..');

/** Bundles the writer into one plain .mjs file, so each restart costs a Node start-up and no TypeScript loading. */
async function bundleWriter(outFile: string): Promise<void> {
  const esbuild = await import('esbuild');
  await esbuild.build({
    entryPoints: [join(ledgerRoot, 'scripts', 'crash-writer.ts')],
    outfile: outFile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    logLevel: 'silent',
  });
}

/** The prepared chain (4 members, one round a block), cached as a record log of stored blocks plus the manifest. */
async function preparedChain(cacheDir: string, blocks: number): Promise<{ manifest: Uint8Array; source: string; chain?: GeneratedChain }> {
  const source = join(cacheDir, `crash-source-${blocks}.log`);
  const manifestFile = join(cacheDir, `crash-source-${blocks}.manifest.cbor`);
  if (existsSync(source) && existsSync(manifestFile)) {
    const { log } = await RecordLog.open(source, { readOnly: true });
    const count = log.count;
    await log.close();
    if (count === blocks) return { manifest: new Uint8Array(readFileSync(manifestFile)), source };
  }
  rmSync(source, { force: true });
  const chain = generateChain({ blocks, members: 4, rule: 'bft', blockRounds: 1, seed: 7 });
  const { log } = await RecordLog.open(source, { sync: 'none' });
  for (let i = 0; i < chain.blocks.length; i += 256) await log.appendMany(chain.blocks.slice(i, i + 256));
  await log.close();
  writeFileSync(manifestFile, chain.manifest);
  return { manifest: chain.manifest, source, chain };
}

interface RunOutput {
  lines: string[];
  /** True when the writer printed `done` and exited by itself. */
  finished: boolean;
  exitCode: number | null;
  stderr: string;
}

/**
 * Runs the writer and SIGKILLs it `killAfterMs` after it said `ready` (or after it was spawned, when `fromSpawn`: those
 * kills land while it opens and recovers).
 */
function runWriterFor(bundle: string, args: string[], killAfterMs: number, fromSpawn: boolean): Promise<RunOutput> {
  return new Promise((done) => {
    const child = spawn(process.execPath, [bundle, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    let timer: NodeJS.Timeout | undefined;
    const arm = (): void => {
      timer ??= setTimeout(() => child.kill('SIGKILL'), killAfterMs);
    };
    if (fromSpawn) arm();
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString('utf8');
      if (!fromSpawn && out.startsWith('ready')) arm();
    });
    child.stderr.on('data', (d: Buffer) => (err += d.toString('utf8')));
    child.on('close', (code) => {
      if (timer) clearTimeout(timer);
      // A line cut by the kill has no newline: it was never wholly said, so it promises nothing.
      const complete = out.endsWith('\n') ? out : out.slice(0, out.lastIndexOf('\n') + 1);
      const lines = complete.split('\n').filter((l) => l.length > 0);
      done({ lines, finished: lines[lines.length - 1] === 'done', exitCode: code, stderr: err });
    });
  });
}

function durableMark(storeDir: string): number {
  try {
    const d = decode(new Uint8Array(readFileSync(join(storeDir, META_FILE))));
    return d.ok ? (d.value as { bytes: number }).bytes : 0;
  } catch {
    return 0;
  }
}

export async function runCrashTest(opts: CrashTestOptions): Promise<CrashTestResult> {
  const started = performance.now();
  const random = mulberry32(opts.seed);
  const blocks = opts.blocks ?? 3000;
  const maxRunMs = opts.maxRunMs ?? 120;
  const powerCutShare = opts.powerCuts ?? 0.3;
  const log = opts.log ?? (() => undefined);
  const work = mkdtempSync(join(tmpdir(), 'meterchain-crash-'));
  const cacheDir = opts.cacheDir ?? work;
  mkdirSync(cacheDir, { recursive: true });
  const bundle = join(work, 'crash-writer.mjs');
  await bundleWriter(bundle);
  const prepared = await preparedChain(cacheDir, blocks);
  const mv = verifyManifest(prepared.manifest, nodeVerifier());
  if (!mv.ok) throw new Error(`crash test: ${mv.reason}`);
  const { log: sourceLog } = await RecordLog.open(prepared.source, { readOnly: true });
  const source = await sourceLog.readRange(0, sourceLog.count);
  await sourceLog.close();

  const result: CrashTestResult = {
    kills: 0,
    powerCuts: 0,
    killedWhileOpening: 0,
    restarts: 0,
    blocksDurable: 0,
    slotsSigned: 0,
    resentAfterRestart: 0,
    tornTailsCut: 0,
    indexRebuilt: 0,
    rounds: 0,
    violations: [],
    seconds: 0,
  };
  const violation = (text: string): void => {
    if (result.violations.length < 20) result.violations.push(text);
  };

  let roundNo = 0;
  let storeDir = '';
  let stateDir = '';
  let signed = new Map<number, string>();
  let durableMax = -1;
  let durableEnd = 0;
  let pendingOpen = new Set<number>();
  const freshRound = (): void => {
    storeDir = join(work, `store-${roundNo}`);
    stateDir = join(work, `state-${roundNo}`);
    signed = new Map();
    durableMax = -1;
    durableEnd = 0;
    pendingOpen = new Set();
  };
  freshRound();

  /** Checks a finished or killed round's store: it verifies, holds every durable block, and holds the source. */
  const checkStore = async (label: string): Promise<void> => {
    const chain = await openChain(storeDir);
    try {
      const report = await verifyBlocks([{ manifest: mv.manifest, digest: mv.digest }], chain.source);
      if (!report.ok) violation(`${label}: the stored chain does not verify: ${report.place}: ${report.reason}`);
      else if (report.blocks < durableMax + 1) violation(`${label}: ${report.blocks} blocks stored, but block ${durableMax} was reported durable`);
      const stored = await chain.source.read(0, chain.source.count);
      for (let i = 0; i < stored.length; i++) {
        if (Buffer.compare(Buffer.from(stored[i]!), Buffer.from(source[i]!)) !== 0) {
          violation(`${label}: block ${i} differs from the block the writer appended`);
          break;
        }
      }
    } finally {
      await chain.close();
    }
  };

  let run = 0;
  while (result.kills < opts.kills) {
    run++;
    const args = ['--store', storeDir, '--state', stateDir, '--source', prepared.source, '--run', String(run)];
    const fromSpawn = random() < EARLY_KILLS;
    const out = await runWriterFor(bundle, args, Math.floor(random() * (fromSpawn ? EARLY_KILL_MS : maxRunMs)), fromSpawn);
    if (!out.finished && out.exitCode !== null) violation(`run ${run}: the writer failed by itself (exit ${out.exitCode}): ${out.stderr.split('\n').find((l) => l.trim().length > 0) ?? ''}`);
    let ready = false;
    for (const line of out.lines) {
      const w = line.split(' ');
      if (w[0] === 'ready') {
        ready = true;
        result.restarts++;
        const fields: { [k: string]: string } = {};
        for (const kv of w.slice(1)) {
          const at = kv.indexOf('=');
          fields[kv.slice(0, at)] = kv.slice(at + 1);
        }
        const count = Number(fields['count']);
        if (count < durableMax + 1) violation(`run ${run}: reopened with ${count} blocks, but block ${durableMax} was reported durable`);
        if (Number(fields['cut']) > 0) result.tornTailsCut++;
        let signedMax = -1;
        for (const h of signed.keys()) if (h > signedMax) signedMax = h;
        if (Number(fields['last']) < signedMax) violation(`run ${run}: the last commit record kept is for height ${fields['last']}, but height ${signedMax} was signed`);
        if (fields['index'] === 'rebuilt') result.indexRebuilt++;
        const kept = new Set((fields['pending'] ?? '').split(',').filter((x) => x.length > 0).map(Number));
        for (const seq of pendingOpen) if (!kept.has(seq)) violation(`run ${run}: reading ${seq} was reported pending and is gone after the restart`);
      } else if (w[0] === 'signed' || w[0] === 'resent') {
        const slot = Number(w[2]);
        const digest = w[3]!;
        const before = signed.get(slot);
        if (before !== undefined && before !== digest) violation(`run ${run}: slot block ${slot} signed as ${before.slice(0, 12)}… and again as ${digest.slice(0, 12)}…`);
        if (before === undefined) {
          signed.set(slot, digest);
          result.slotsSigned++;
        } else result.resentAfterRestart++;
      } else if (w[0] === 'pending') pendingOpen.add(Number(w[1]));
      else if (w[0] === 'settling') pendingOpen.delete(Number(w[1]));
      else if (w[0] === 'durable') {
        const h = Number(w[1]);
        if (h > durableMax) {
          result.blocksDurable += h - durableMax;
          durableMax = h;
        }
        durableEnd = Math.max(durableEnd, Number(w[2]!.slice('end='.length)));
      }
    }
    if (out.finished) {
      await checkStore(`round ${roundNo}`);
      result.rounds++;
      roundNo++;
      freshRound();
      continue;
    }
    result.kills++;
    if (!ready) result.killedWhileOpening++;
    if (random() < powerCutShare) {
      result.powerCuts++;
      powerCut(storeDir, Math.max(durableEnd, durableMark(storeDir)), random);
    }
    if (result.kills % 100 === 0) log(`${result.kills} kills, ${result.blocksDurable} blocks durable, ${result.violations.length} violations, ${((performance.now() - started) / 1000).toFixed(1)} s`);
  }
  if (existsSync(join(storeDir, BLOCKS_FILE))) {
    // The last kill left the store as a crash leaves it: open it once as a restarting node does (recovery cuts a
    // torn tail), then check it.
    const { store } = await ChainStore.open(storeDir);
    await store.close();
    await checkStore(`round ${roundNo} (last)`);
  }
  result.seconds = (performance.now() - started) / 1000;
  rmSync(work, { recursive: true, force: true });
  return result;
}

/** What a power cut may do to files that were not synced past `keep` bytes: lose a tail, or leave garbage in it. */
function powerCut(storeDir: string, keep: number, random: () => number): void {
  const blocks = join(storeDir, BLOCKS_FILE);
  if (existsSync(blocks)) {
    const size = statSync(blocks).size;
    if (size > keep) {
      const cut = keep + Math.floor(random() * (size - keep + 1));
      truncateSync(blocks, cut);
      const garbage = Math.floor(random() * 64);
      if (garbage > 0) {
        const bytes = Buffer.alloc(garbage);
        if (random() < 0.5) for (let i = 0; i < garbage; i++) bytes[i] = Math.floor(random() * 256);
        appendFileSync(blocks, bytes);
      }
    }
  }
  const index = join(storeDir, INDEX_FILE);
  if (existsSync(index) && random() < 0.5) truncateSync(index, Math.floor(random() * (statSync(index).size + 1)));
}
