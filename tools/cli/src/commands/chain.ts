// `meterchain chain verify|prove|inspect|export`: offline tools over a stored chain — a node's block store
// (blocks.log) or a directory of block files (blocks/<height>.cbor, as `meterchain sim --out` writes).
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { addressFromText, addressToText, isAddressText, toHex, verifyManifest, type Manifest } from '@meterchain/core';
import { nodeSha256, nodeVerifier } from '@meterchain/crypto';
import { verifyChain } from '@meterchain/consensus';
import { makeCrossTierProof } from '@meterchain/widearea';
import {
  CSV_FIXED_COLUMNS,
  ChainStore,
  FrameStore,
  LedgerError,
  channelColumn,
  csvField,
  csvRow,
  makeProof,
  openChain,
  readingsOf,
  storedBlockKeys,
  summarizeBlock,
  verifyBlocks,
  verifyProof,
  type FrameRecord,
  type OpenedChain,
  type EvidenceSummary,
} from '@meterchain/ledger';
import { InputError, InvalidError, UsageError, intOption, parse, required, type Command, type Io } from '../command.ts';
import { loadManifest, readInput, writeOutput } from '../files.ts';

const usage = `usage: meterchain chain verify DIR --manifest FILE [--manifest FILE ...] [--json] [--single-core]
       meterchain chain prove DIR --meter ADDRESS --seq N --out FILE [--manifest FILE]
                              [--widearea DIR [--widearea-manifest FILE]]
       meterchain chain prove DIR --meter ADDRESS --frame N --out FILE [--frames FRAMES] [--manifest FILE]
       meterchain chain inspect DIR [--manifest FILE] [--blocks] [--json]
       meterchain chain export DIR --csv [--manifest FILE] [--out FILE]
       meterchain chain import DIR --into STORE [--manifest FILE]

DIR is a node's block store (DIR/blocks.log) or a directory of block files (DIR/blocks/<height>.cbor).

verify   checks every block from height 0: signatures, vote and commit certificates, Merkle roots, round summaries,
         previous-hash links, heights and epochs, against the manifest(s) given (epoch 0 first, then each next
         epoch). On failure names the first bad block and why, and exits 1; unusable input exits 2. Uses all
         cores (worker threads for long chains, the thread pool for short ones) unless --single-core.
prove    writes an inclusion proof of the reading (meter ADDRESS, sequence N): the signed reading, the votes that
         accepted it, its Merkle path and the committed header with its commit certificate. Check it with
         \`meterchain proof verify\`. The manifest defaults to DIR/manifest.cbor. --widearea adds the wide-area
         anchor of the reading's block (from the wide-area chain in that DIR, its manifest by default
         DIR/manifest.cbor): one cross-tier bundle from the reading to the wide-area block that anchored it. For a PMU, --frame N proves its
         frame N instead: the frame (C37.118.2 bytes) and its path to the batch's root are added, read from the
         PMU node's frame store FRAMES (default DIR/../frames).
inspect  summarizes the chain (heights, rounds, members, accepted / rejected / undecided counts, evidence) without
         verifying it. --blocks adds one line per block. Exit 1 when some of it cannot be read.
export   writes one CSV row per accepted reading: height, round, meter, seq, time, clock, quality flags and one
         column per channel (id [unit]), values as exact decimals. To stdout unless --out.
import   verifies the chain in DIR (block files or a store) and appends its blocks to the block store STORE
         (created when missing), each durable before the next; the store must end where DIR's chain goes on.`;

function oneDir(positionals: string[]): string {
  if (positionals.length !== 1) throw new UsageError(positionals.length === 0 ? 'missing DIR' : `expected one DIR, got ${positionals.length} arguments`);
  return positionals[0]!;
}

async function openDir(dir: string): Promise<OpenedChain> {
  try {
    return await openChain(dir);
  } catch (e) {
    if (e instanceof LedgerError) throw new InputError(e.message);
    throw e;
  }
}

/** The trusted manifests: the first as given, each next one signed by the previous epoch's operator. */
function loadManifests(paths: string[]): { manifest: Manifest; digest: Uint8Array }[] {
  const out: { manifest: Manifest; digest: Uint8Array }[] = [];
  for (const path of paths) {
    if (out.length === 0) {
      const m = loadManifest(path);
      out.push({ manifest: m.manifest, digest: m.digest });
      continue;
    }
    const v = verifyManifest(readInput(path, 'manifest', 1 << 20), nodeVerifier(), { previous: out[out.length - 1]! });
    if (!v.ok) throw new InputError(`${path}: ${v.reason}`);
    out.push({ manifest: v.manifest, digest: v.digest });
  }
  return out;
}

/** --manifest, or DIR/manifest.cbor (what the simulator and test chains carry), or undefined. */
function manifestFor(dir: string, given: string | undefined, needed: boolean): Manifest | undefined {
  const path = given ?? join(dir, 'manifest.cbor');
  if (given === undefined && !existsSync(path)) {
    if (needed) throw new UsageError(`--manifest FILE is needed (${dir} has no manifest.cbor)`);
    return undefined;
  }
  return loadManifest(path).manifest;
}

async function verify(argv: string[], io: Io): Promise<number> {
  const { values, positionals } = parse(argv, { manifest: { type: 'string', multiple: true }, json: { type: 'boolean' }, 'single-core': { type: 'boolean' } }, true);
  const dir = oneDir(positionals);
  const manifestPaths = values.manifest ?? [];
  if (manifestPaths.length === 0) throw new UsageError('missing required option --manifest');
  const manifests = loadManifests(manifestPaths);
  const chain = await openDir(dir);
  const started = performance.now();
  let report;
  try {
    report = await verifyBlocks(manifests, chain.source, { mode: values['single-core'] ? 'single' : 'auto' });
  } finally {
    await chain.close();
  }
  const seconds = (performance.now() - started) / 1000;
  if (report.ok) {
    if (values.json) {
      io.out(JSON.stringify({ ok: true, layout: chain.kind, blocks: report.blocks, height: report.height, readings: report.readings, signatures: report.signatures, tip: toHex(report.tip), seconds }));
    } else {
      const heights = report.blocks === 0 ? 'no blocks' : `heights 0..${report.height}`;
      io.out(`chain ${dir}: valid — ${report.blocks} blocks (${heights}), ${report.readings} readings, ${report.signatures} signatures, tip ${toHex(report.tip).slice(0, 16)}…`);
      io.out(`  ${(report.readings / Math.max(seconds, 1e-9)).toFixed(0)} readings/s over ${seconds.toFixed(2)} s (${values['single-core'] ? 'one core' : 'all cores'})`);
    }
    return 0;
  }
  if (values.json) {
    io.out(JSON.stringify({ ok: false, layout: chain.kind, index: report.index, height: report.height, place: report.place, fault: report.fault, reason: report.reason, verified: report.blocks }));
    return 1;
  }
  throw new InvalidError(`first bad block: ${report.place} (height ${report.height}): ${report.fault}: ${report.reason}`);
}

/** Finds the stored block holding (meter, seq): by the store's index, or by reading the block files. */
async function findBlock(dir: string, meter: Uint8Array, seq: number): Promise<Uint8Array | undefined> {
  const chain = await openDir(dir);
  if (chain.kind === 'store') {
    await chain.close();
    const { store } = await ChainStore.open(dir, { readOnly: true }).catch((e: Error) => {
      throw new InputError(e.message);
    });
    try {
      const at = store.locate(meter, seq);
      return at ? await store.get(at.height) : undefined;
    } finally {
      await store.close();
    }
  }
  const want = toHex(meter);
  for (let from = 0; from < chain.source.count; from += 64) {
    const blocks = await chain.source.read(from, Math.min(chain.source.count, from + 64));
    for (const b of blocks) {
      let keys;
      try {
        keys = storedBlockKeys(b);
      } catch {
        continue;
      }
      for (const r of keys.readings ?? []) if (r.seq === seq && toHex(r.meter) === want) return b;
    }
  }
  return undefined;
}

async function prove(argv: string[], io: Io): Promise<number> {
  const { values, positionals } = parse(
    argv,
    { meter: { type: 'string' }, seq: { type: 'string' }, frame: { type: 'string' }, frames: { type: 'string' }, out: { type: 'string' }, manifest: { type: 'string' }, widearea: { type: 'string' }, 'widearea-manifest': { type: 'string' } },
    true,
  );
  if (values['widearea-manifest'] !== undefined && values.widearea === undefined) throw new UsageError('--widearea-manifest goes with --widearea');
  const dir = oneDir(positionals);
  const meterText = required(values.meter, 'meter');
  if (!isAddressText(meterText)) throw new UsageError(`--meter expects an address, "mc" followed by 40 hex digits, got '${meterText}'`);
  const meter = addressFromText(meterText);
  if ((values.seq === undefined) === (values.frame === undefined)) throw new UsageError('expected one of --seq N (a reading) or --frame N (a PMU frame)');
  if (values.frames !== undefined && values.frame === undefined) throw new UsageError('--frames goes with --frame');
  const seq = values.frame !== undefined ? intOption(values.frame, 'frame') : intOption(values.seq, 'seq');
  const out = required(values.out, 'out');
  const manifest = manifestFor(dir, values.manifest, true)!;
  let frames: FrameRecord | undefined;
  if (values.frame !== undefined) {
    const framesDir = values.frames ?? join(dir, '..', 'frames');
    if (!existsSync(framesDir)) throw new InputError(`no frame store at ${framesDir} (give the PMU node's with --frames)`);
    const store = await FrameStore.open(framesDir, { readOnly: true }).catch((e: Error) => {
      throw new InputError(`${framesDir}: ${e.message}`);
    });
    try {
      frames = await store.find(seq);
    } finally {
      await store.close();
    }
    if (!frames) throw new InvalidError(`the frame store ${framesDir} does not hold frame ${seq}`);
  }
  const block = await findBlock(dir, meter, frames ? frames.first : seq);
  if (!block) throw new InvalidError(frames ? `no committed batch of ${meterText} holding frame ${seq} in ${dir}` : `no committed reading of ${meterText} with seq ${seq} in ${dir}`);
  const made = makeProof(manifest, block, meter, seq, frames);
  if (!made.ok) throw new InvalidError(made.reason);
  // A proof that would not verify is not written: the chain itself must be broken there.
  const check = verifyProof([manifest], made.proof, nodeVerifier());
  if (!check.ok) throw new InvalidError(`the stored block does not prove the reading (${check.fault}: ${check.reason}); run chain verify`);
  if (values.widearea !== undefined) {
    const wideManifest = manifestFor(values.widearea, values['widearea-manifest'], true)!;
    const wide = await openDir(values.widearea);
    let blocks: Uint8Array[];
    try {
      blocks = await wide.source.read(0, wide.source.count);
    } finally {
      await wide.close();
    }
    // Only a verified wide-area chain is searched: a forged block must not end in a bundle that then fails.
    const v = verifyChain([{ manifest: wideManifest, digest: loadManifest(values['widearea-manifest'] ?? join(values.widearea, 'manifest.cbor')).digest }], blocks, nodeVerifier(), nodeSha256);
    if (!v.ok) throw new InvalidError(`the wide-area chain does not verify at block ${v.index}: ${v.fault}: ${v.reason}`);
    const cross = makeCrossTierProof([manifest], made.proof, wideManifest, blocks, nodeSha256, nodeVerifier());
    if (!cross.ok) throw new InvalidError(cross.reason);
    writeOutput(out, cross.proof);
    io.out(`cross-tier proof of ${meterText} seq ${seq}: regional height ${check.proven.height}, anchored in wide-area block ${cross.wideHeight}, ${cross.proof.length} bytes -> ${out}`);
    return 0;
  }
  writeOutput(out, made.proof);
  io.out(`proof of ${meterText} ${frames ? 'frame' : 'seq'} ${seq}: height ${check.proven.height}, round ${check.proven.round}, ${made.proof.length} bytes -> ${out}`);
  return 0;
}

interface Totals {
  blocks: number;
  firstHeight: number;
  lastHeight: number;
  firstRound: number;
  lastRound: number;
  submissions: number;
  accepted: number;
  rejected: number;
  undecided: number;
  bytes: number;
  epochs: number[];
  proposed: { [address: string]: number };
  evidence: EvidenceSummary[];
  unreadable: { place: string; reason: string }[];
}

async function inspect(argv: string[], io: Io): Promise<number> {
  const { values, positionals } = parse(argv, { manifest: { type: 'string' }, json: { type: 'boolean' }, blocks: { type: 'boolean' } }, true);
  const dir = oneDir(positionals);
  const manifest = manifestFor(dir, values.manifest, false);
  const chain = await openDir(dir);
  const t: Totals = { blocks: 0, firstHeight: -1, lastHeight: -1, firstRound: -1, lastRound: -1, submissions: 0, accepted: 0, rejected: 0, undecided: 0, bytes: 0, epochs: [], proposed: {}, evidence: [], unreadable: [] };
  const lines: string[] = [];
  try {
    for (let from = 0; from < chain.source.count; from += 64) {
      const to = Math.min(chain.source.count, from + 64);
      const blocks = await chain.source.read(from, to);
      for (let k = 0; k < blocks.length; k++) {
        const s = summarizeBlock(blocks[k]!, manifest);
        if (!s.ok) {
          t.unreadable.push({ place: chain.source.place(from + k), reason: s.reason });
          continue;
        }
        const b = s.block;
        if (t.blocks === 0) {
          t.firstHeight = b.height;
          t.firstRound = b.first;
        }
        t.blocks++;
        t.lastHeight = b.height;
        t.lastRound = b.last;
        t.submissions += b.submissions;
        t.accepted += b.accepted;
        t.rejected += b.rejected;
        t.undecided += b.undecided;
        t.bytes += b.bytes;
        if (t.epochs.indexOf(b.epoch) < 0) t.epochs.push(b.epoch);
        t.proposed[b.proposer] = (t.proposed[b.proposer] ?? 0) + 1;
        for (const e of s.evidence) t.evidence.push(e);
        if (values.blocks) {
          lines.push(`  ${String(b.height).padStart(8)}  rounds ${b.first}..${b.last}  proposer ${b.proposer}  accepted ${b.accepted}  rejected ${b.rejected}  undecided ${b.undecided}  evidence ${b.evidence}  commit ${b.commitSignatures} sigs  ${b.bytes} B`);
        }
      }
    }
  } finally {
    await chain.close();
  }
  if (chain.source.damage) t.unreadable.push({ place: chain.source.place(chain.source.damage.index), reason: chain.source.damage.reason });
  const members = manifest
    ? manifest.members.map((m) => ({ name: m.name ?? '', address: addressToText(m.address), role: m.role, proposed: t.proposed[addressToText(m.address)] ?? 0 }))
    : Object.keys(t.proposed).map((a) => ({ name: '', address: a, role: 'full', proposed: t.proposed[a]! }));
  // A summary of what could not be read is no summary of a chain: say so in the exit code (1), as verify does.
  const unreadable = () => {
    if (t.unreadable.length === 0) return 0;
    io.err(`meterchain chain: ${t.unreadable.length} unreadable part${t.unreadable.length === 1 ? '' : 's'} of ${dir}: ${t.unreadable[0]!.place}: ${t.unreadable[0]!.reason}`);
    return 1;
  };
  if (values.json) {
    io.out(JSON.stringify({ layout: chain.kind, verified: false, ...t, proposed: undefined, members, cluster: manifest?.cluster, rule: manifest?.rule }));
    return unreadable();
  }
  io.out(`chain ${dir} (${chain.kind === 'store' ? 'block store' : 'block files'}; a summary, not verified: use chain verify)`);
  if (manifest) io.out(`  cluster ${manifest.cluster}, rule ${manifest.rule}, epoch(s) ${t.epochs.join(', ') || '-'}`);
  io.out(t.blocks === 0 ? '  no blocks' : `  ${t.blocks} blocks, heights ${t.firstHeight}..${t.lastHeight}, rounds ${t.firstRound}..${t.lastRound}, ${t.bytes} bytes of blocks`);
  io.out(`  submissions: ${t.accepted} accepted, ${t.rejected} rejected, ${t.undecided} without enough votes`);
  io.out(`  members (${members.length}):`);
  for (const m of members) io.out(`    ${m.name.padEnd(10)} ${m.address}  ${m.role.padEnd(6)} proposed ${m.proposed}`);
  io.out(`  evidence: ${t.evidence.length === 0 ? 'none' : `${t.evidence.length} pieces`}`);
  // One line per piece for a few; grouped by (kind, accused) when a member equivocated round after round.
  if (t.evidence.length <= 12) {
    for (const e of t.evidence) io.out(`    height ${e.height}: ${e.kind} equivocation by ${e.accused} (${e.kind === 'block' ? 'height' : 'round'} ${e.slot})`);
  } else {
    const groups = new Map<string, { kind: string; accused: string; count: number; first: number; last: number; heights: [number, number] }>();
    for (const e of t.evidence) {
      const key = `${e.kind} ${e.accused}`;
      const g = groups.get(key);
      if (!g) groups.set(key, { kind: e.kind, accused: e.accused, count: 1, first: e.slot, last: e.slot, heights: [e.height, e.height] });
      else {
        g.count++;
        g.first = Math.min(g.first, e.slot);
        g.last = Math.max(g.last, e.slot);
        g.heights[1] = e.height;
      }
    }
    for (const g of groups.values()) {
      io.out(`    ${g.kind} equivocation by ${g.accused}: ${g.count} times, ${g.kind === 'block' ? 'heights' : 'rounds'} ${g.first}..${g.last} (in blocks ${g.heights[0]}..${g.heights[1]})`);
    }
  }
  for (const u of t.unreadable) io.out(`  unreadable: ${u.place}: ${u.reason}`);
  for (const l of lines) io.out(l);
  return unreadable();
}

async function exportCsv(argv: string[], io: Io): Promise<number> {
  const { values, positionals } = parse(argv, { csv: { type: 'boolean' }, manifest: { type: 'string' }, out: { type: 'string' } }, true);
  const dir = oneDir(positionals);
  if (!values.csv) throw new UsageError('chain export writes CSV only: pass --csv');
  const manifest = manifestFor(dir, values.manifest, true)!;
  const roundOf = (r: { ts: number }): number => Math.floor((r.ts - manifest.genesisMs) / manifest.params.roundMs);
  const chain = await openDir(dir);
  const lines: string[] = [];
  try {
    // First pass: the channel columns (id and unit) in order of first appearance; second pass: the rows.
    const columns: string[] = [];
    const seen: { [column: string]: boolean } = {};
    for (let pass = 0; pass < 2; pass++) {
      if (pass === 1) lines.push([...CSV_FIXED_COLUMNS, ...columns].map(csvField).join(','));
      for (let from = 0; from < chain.source.count; from += 64) {
        const blocks = await chain.source.read(from, Math.min(chain.source.count, from + 64));
        for (let k = 0; k < blocks.length; k++) {
          const rows = readingsOf(blocks[k]!, roundOf);
          if (!Array.isArray(rows)) throw new InvalidError(`${chain.source.place(from + k)}: ${rows.reason}`);
          for (const row of rows) {
            if (pass === 0) {
              for (const c of row.reading.channels) {
                const col = channelColumn(c.id, c.unit);
                if (!seen[col]) {
                  seen[col] = true;
                  columns.push(col);
                }
              }
            } else lines.push(csvRow(row, columns));
          }
        }
      }
    }
  } finally {
    await chain.close();
  }
  if (values.out) {
    writeOutput(values.out, lines.join('\n') + '\n', { overwrite: true });
    io.out(`${lines.length - 1} readings -> ${values.out}`);
  } else for (const line of lines) io.out(line);
  return 0;
}

async function importChain(argv: string[], io: Io): Promise<number> {
  const { values, positionals } = parse(argv, { into: { type: 'string' }, manifest: { type: 'string' } }, true);
  const dir = oneDir(positionals);
  const into = required(values.into, 'into');
  const manifestPath = values.manifest ?? join(dir, 'manifest.cbor');
  const m = loadManifest(manifestPath);
  const manifests = [{ manifest: m.manifest, digest: m.digest }];
  const chain = await openDir(dir);
  try {
    const report = await verifyBlocks(manifests, chain.source);
    if (!report.ok) throw new InvalidError(`not imported: first bad block: ${report.place} (height ${report.height}): ${report.fault}: ${report.reason}`);
    const { store } = await ChainStore.open(into, { genesis: m.digest }).catch((e: Error) => {
      throw new InputError(e.message);
    });
    let added = 0;
    try {
      for (let from = store.nextHeight; from < chain.source.count; from += 64) {
        const blocks = await chain.source.read(from, Math.min(chain.source.count, from + 64));
        for (const b of blocks) {
          await store.append(b).catch((e: Error) => {
            throw new InvalidError(`${into}: ${e.message}`);
          });
          added++;
        }
      }
    } finally {
      await store.close();
    }
    if (!existsSync(join(into, 'manifest.cbor'))) writeOutput(join(into, 'manifest.cbor'), m.bytes);
    io.out(added === 0 ? `${into} already holds all ${chain.source.count} blocks` : `imported ${added} blocks into ${into} (heights ${chain.source.count - added}..${chain.source.count - 1})`);
  } finally {
    await chain.close();
  }
  return 0;
}

export const command: Command = {
  name: 'chain',
  summary: 'verify a stored chain, prove a reading, inspect, export or import a chain',
  usage,
  async run(argv, io) {
    const [sub, ...rest] = argv;
    if (sub === 'verify') return verify(rest, io);
    if (sub === 'prove') return prove(rest, io);
    if (sub === 'inspect') return inspect(rest, io);
    if (sub === 'export') return exportCsv(rest, io);
    if (sub === 'import') return importChain(rest, io);
    throw new UsageError(sub ? `unknown subcommand 'chain ${sub}' (verify, prove, inspect, export or import)` : 'missing subcommand: verify, prove, inspect, export or import');
  },
};
