// What a campaign found, worked out only from what the nodes left behind: their stored chains (read with the ledger's
// readers), their node state, their unaccepted logs and their own log lines. The campaign's schedule enters only to
// say when faults were healed (for stalls).
import { createHash } from 'node:crypto';
import { createReadStream, existsSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { addressToText, type Manifest } from '@meterchain/core';
import { decodeHeader, decodeStoredBlock, roundOf } from '@meterchain/consensus';
import { NodeState, openChain, readingsOf, verifyBlocks } from '@meterchain/ledger';

/** The five counters that must all be 0, in the order they are reported. */
export const COUNTERS = ['forks', 'acceptedMissing', 'ownLost', 'restartsFailed', 'stallsOverLimit'] as const;
export type Counter = (typeof COUNTERS)[number];

export interface NodeFiles {
  name: string;
  address: string;
  /** The node's data directory (chain/, state/, unaccepted.jsonl). */
  dataDir: string;
  /** Every line the node wrote, across all its runs (JSON lines, debug level). */
  logPath: string;
  honest: boolean;
  /** Wall-clock periods (ms) in which this node ran outside the protocol's model: its clock off by more than the
   * cluster's `skewMs`. What it logged then (readings signed, outcomes claimed) is not held to the promises of an
   * honest node (docs/reliability.md, "Clock skew"); its stored chain still is. */
  outOfModel?: { from: number; to: number }[];
}

export interface CheckInput {
  manifest: Manifest;
  digest: Uint8Array;
  nodes: NodeFiles[];
  /** Periods with every fault healed, wall-clock ms. */
  healed: { from: number; to: number }[];
  /** Longest time without a committed block allowed in a healed period, ms. */
  stallLimitMs: number;
}

export interface CheckResult {
  forks: number;
  acceptedMissing: number;
  ownLost: number;
  /** Filled in by the campaign (restarts are its own acts; whether the node came up is read from its log). */
  stallsOverLimit: number;
  blocks: number;
  /** One line per finding, for the report on stderr. */
  findings: string[];
}

/** What one node's log says. */
export interface NodeLog {
  signed: Set<number>;
  /** Readings this node saw accepted (a round certificate it formed or received) and did not take back since (its
   * last outcome for them, docs/protocol.md §7), `member:round`, with the time of the `accepted` line that stands, ms. */
  accepted: Map<string, number>;
  /** First time this node logged each committed height, ms. */
  committed: Map<number, number>;
  /** Times of 'node started' lines, ms. */
  started: number[];
}

/** Reads a node's JSON-lines log, parsing only the lines the checks use (a long run's log is large). Readings signed
 * and outcomes logged inside `outOfModel` periods are left out. */
export async function readNodeLog(path: string, outOfModel: { from: number; to: number }[] = []): Promise<NodeLog> {
  const log: NodeLog = { signed: new Set(), accepted: new Map(), committed: new Map(), started: [] };
  if (!existsSync(path)) return log;
  const lines = createInterface({ input: createReadStream(path, 'utf8'), crlfDelay: Infinity });
  for await (const line of lines) {
    if (!line.startsWith('{')) continue;
    const msg = /"msg":"(reading signed|accepted|block committed|node started)"/.exec(line)?.[1] ?? (line.includes('"corrects":"accepted"') ? 'corrected' : undefined);
    if (!msg) continue;
    let rec: Record<string, unknown>;
    try {
      rec = JSON.parse(line) as Record<string, unknown>;
    } catch {
      continue; // a line cut by a SIGKILL
    }
    if (msg !== 'block committed' && msg !== 'node started') {
      const t = Date.parse(rec['ts'] as string);
      if (outOfModel.some((p) => t >= p.from && t <= p.to)) continue;
    }
    if (msg === 'reading signed') log.signed.add(rec['seq'] as number);
    else if (msg === 'accepted') {
      const k = `${String(rec['member'])}:${String(rec['round'])}`;
      if (!log.accepted.has(k)) log.accepted.set(k, Date.parse(rec['ts'] as string));
    } else if (msg === 'corrected') {
      // An outcome taken back: a `rejected` or `not-enough-votes` line naming the `accepted` it corrects.
      if (rec['msg'] === 'rejected' || rec['msg'] === 'not-enough-votes') log.accepted.delete(`${String(rec['member'])}:${String(rec['round'])}`);
    } else if (msg === 'block committed') {
      const h = rec['height'] as number;
      if (!log.committed.has(h)) log.committed.set(h, Date.parse(rec['ts'] as string));
    } else log.started.push(Date.parse(rec['ts'] as string));
  }
  return log;
}

interface StoredChain {
  /** Hash of each stored block's header, by height. */
  headers: Map<number, string>;
  /** `member:seq` of every reading in the chain. */
  readings: Set<string>;
  /** The last round the stored blocks cover (-1: none). */
  lastRound: number;
  /** The rounds each stored block covers, by height. */
  covers: Map<number, { first: number; last: number }>;
  count: number;
  /** Height where verification from the manifest failed, if it did. */
  badHeight?: number;
  problem?: string;
}

async function readChain(dir: string, manifest: Manifest, digest: Uint8Array): Promise<StoredChain> {
  const chain: StoredChain = { headers: new Map(), readings: new Set(), lastRound: -1, covers: new Map(), count: 0 };
  const opened = await openChain(dir);
  try {
    const source = opened.source;
    chain.count = source.count;
    for (let from = 0; from < source.count; from += 256) {
      const blocks = await source.read(from, Math.min(source.count, from + 256));
      for (const bytes of blocks) {
        const s = decodeStoredBlock(bytes);
        if (!s.ok) continue;
        const h = decodeHeader(s.block.header);
        if (!h.ok) continue;
        chain.headers.set(h.header.height, createHash('sha256').update(s.block.header).digest('hex'));
        chain.lastRound = Math.max(chain.lastRound, h.header.last);
        chain.covers.set(h.header.height, { first: h.header.first, last: h.header.last });
        const rows = readingsOf(bytes, (r) => roundOf(manifest, r.ts));
        if ('reason' in rows) continue;
        for (const row of rows) chain.readings.add(`${addressToText(row.reading.meter)}:${row.reading.seq}`);
      }
    }
    const report = await verifyBlocks([{ manifest, digest }], source);
    if (!report.ok) {
      chain.badHeight = report.height;
      chain.problem = `${report.fault}: ${report.reason}`;
    }
  } finally {
    await opened.close();
  }
  return chain;
}

/** Gaps between commits inside healed periods longer than the limit (each gap counts once). */
export function stallsIn(healed: { from: number; to: number }[], commits: number[], limitMs: number): { from: number; to: number }[] {
  const times = commits.slice().sort((a, b) => a - b);
  const stalls: { from: number; to: number }[] = [];
  for (const p of healed) {
    let last = p.from;
    for (const t of times) {
      if (t < p.from) continue;
      if (t > p.to) break;
      if (t - last > limitMs) stalls.push({ from: last, to: t });
      last = t;
    }
    if (p.to - last > limitMs) stalls.push({ from: last, to: p.to });
  }
  return stalls;
}

/**
 * The readings the protocol promises to put in the chain (docs/protocol.md §10): those an honest node held an
 * acceptance certificate for while no committed block covered their round, i.e. whose first `accepted` line (`seen`,
 * `member:round` → ms) came before the first `block committed` line of any honest node for the height covering the
 * round (`firstCommit`, with the rounds each height covers in `covers`). A round no stored block covers, or whose
 * block no log line shows committed, counts as uncovered.
 */
export function acceptedWhileUncovered(seen: Map<string, number>, covers: Map<number, { first: number; last: number }>, firstCommit: Map<number, number>): Set<string> {
  const coveredSince = (round: number): number => {
    for (const [h, c] of covers) if (round >= c.first && round <= c.last) return firstCommit.get(h) ?? Infinity;
    return Infinity;
  };
  const promised = new Set<string>();
  for (const [k, t] of seen) if (t < coveredSince(Number(k.slice(k.lastIndexOf(':') + 1)))) promised.add(k);
  return promised;
}

/** Runs every check over the files of a stopped cluster. */
export async function checkCluster(input: CheckInput): Promise<CheckResult & { logs: Map<string, NodeLog> }> {
  const { manifest, digest } = input;
  const findings: string[] = [];
  const logs = new Map<string, NodeLog>();
  const chains = new Map<string, StoredChain>();
  const honest = input.nodes.filter((n) => n.honest);
  for (const n of input.nodes) logs.set(n.name, await readNodeLog(n.logPath, n.outOfModel));
  for (const n of honest) {
    try {
      chains.set(n.name, await readChain(join(n.dataDir, 'chain'), manifest, digest));
    } catch (e) {
      findings.push(`${n.name}: its chain cannot be read: ${(e as Error).message}`);
    }
  }

  // forks: a height where two honest nodes stored different blocks, or where an honest node's block does not verify.
  const forkHeights = new Set<number>();
  const byHeight = new Map<number, Set<string>>();
  for (const [name, c] of chains) {
    for (const [h, hash] of c.headers) {
      const seen = byHeight.get(h) ?? new Set<string>();
      seen.add(hash);
      byHeight.set(h, seen);
    }
    if (c.badHeight !== undefined) {
      forkHeights.add(c.badHeight);
      findings.push(`${name}: chain does not verify at height ${c.badHeight}: ${c.problem}`);
    }
  }
  for (const [h, hashes] of byHeight) {
    if (hashes.size > 1) {
      forkHeights.add(h);
      findings.push(`fork at height ${h}: ${hashes.size} different blocks among honest nodes`);
    }
  }

  // The cluster's chain: the longest honest one (all agree where they overlap unless forks were found).
  let longest: StoredChain | undefined;
  for (const c of chains.values()) if (!longest || c.count > longest.count) longest = c;
  const inChain = longest?.readings ?? new Set<string>();
  const lastRound = longest?.lastRound ?? -1;

  // The first time any honest node logged each height committed: from then on the rounds that block covers are
  // covered, and a certificate completing later is one the protocol never promised to include (docs/protocol.md §10).
  const firstCommit = new Map<number, number>();
  for (const n of honest) {
    for (const [h, t] of logs.get(n.name)!.committed) if (!firstCommit.has(h) || t < firstCommit.get(h)!) firstCommit.set(h, t);
  }
  // acceptedMissing: accepted as an honest node saw it while no committed block covered its round (the node logged
  // `accepted` before any honest node logged the covering block committed), in a round the chain covers, not in it.
  const acceptedSeen = new Map<string, number>();
  for (const n of honest) for (const [k, t] of logs.get(n.name)!.accepted) if (!acceptedSeen.has(k) || t < acceptedSeen.get(k)!) acceptedSeen.set(k, t);
  const promised = acceptedWhileUncovered(acceptedSeen, longest?.covers ?? new Map(), firstCommit);
  let acceptedMissing = 0;
  for (const k of promised) {
    const round = Number(k.slice(k.indexOf(':') + 1));
    if (round <= lastRound && !inChain.has(k)) {
      acceptedMissing++;
      if (acceptedMissing <= 10) findings.push(`accepted but not in the chain: ${k.slice(0, 10)}… round ${round}`);
    }
  }

  // ownLost: an honest node's signed reading neither in its chain, nor in its unaccepted log with a true outcome
  // (not `accepted`, and not a reading some honest node saw accepted while its round was uncovered), nor pending for
  // rounds its chain does not cover.
  let ownLost = 0;
  for (const n of honest) {
    const log = logs.get(n.name)!;
    const own = chains.get(n.name);
    const unaccepted = await readUnaccepted(join(n.dataDir, 'unaccepted.jsonl'));
    let pending: Set<number> | undefined;
    try {
      const state = await NodeState.open(join(n.dataDir, 'state'));
      pending = new Set(state.pending().filter((p) => addressToText(p.meter) === n.address).map((p) => p.seq));
      await state.close();
    } catch (e) {
      findings.push(`${n.name}: node state cannot be opened: ${(e as Error).message}`);
    }
    const covered = own?.lastRound ?? -1;
    let lost = 0;
    for (const seq of log.signed) {
      const key = `${n.address}:${seq}`;
      if (own?.readings.has(key)) continue;
      const outcome = unaccepted.get(seq);
      if (outcome !== undefined && outcome !== 'accepted' && !promised.has(key)) continue;
      if (seq > covered && pending?.has(seq)) continue;
      lost++;
      if (lost <= 5) findings.push(`${n.name}: own reading ${seq} lost (${outcome !== undefined ? `unaccepted log says ${outcome}` : seq > covered ? 'not pending' : 'not in its chain nor in its unaccepted log'})`);
    }
    ownLost += lost;
  }

  // stallsOverLimit: in healed periods, the time between blocks first committed by any honest node.
  const stalls = stallsIn(input.healed, [...firstCommit.values()], input.stallLimitMs);
  for (const s of stalls.slice(0, 10)) findings.push(`no block for ${((s.to - s.from) / 1000).toFixed(1)} s with faults healed, from ${new Date(s.from).toISOString()}`);

  return { forks: forkHeights.size, acceptedMissing, ownLost, stallsOverLimit: stalls.length, blocks: longest?.count ?? 0, findings, logs };
}

async function readUnaccepted(path: string): Promise<Map<number, string>> {
  const out = new Map<number, string>();
  if (!existsSync(path)) return out;
  const lines = createInterface({ input: createReadStream(path, 'utf8'), crlfDelay: Infinity });
  for await (const line of lines) {
    try {
      const e = JSON.parse(line) as { seq: number; outcome: string };
      out.set(e.seq, e.outcome);
    } catch {
      // a line cut by a power cut: the reading is then not accounted for by this log
    }
  }
  return out;
}
