// A cluster of four bundled nodes (one process each, a real Mosquitto) runs past 1,000 rounds, then every node is
// SIGKILLed at once (a site power cut) and started again: the cluster resumes committing within a few block periods,
// and every chain verifies (`meterchain chain verify`) and all agree. Before the node state was bounded, every node
// then exited 2 on restart (`state.cbor: input too large`).
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { createManifest, toHex, verifyManifest } from '@meterchain/core';
import { decodeStoredBlock } from '@meterchain/consensus';
import { openChain } from '@meterchain/ledger';
import { createNodeSigner, generateSeed, nodeVerifier, writeKeyPair } from '@meterchain/crypto';
import { requireMosquitto, startMosquitto, type MosquittoBroker } from '@meterchain/testkit/mosquitto';
import { buildNodeBundle } from '../../cli/scripts/build-node.ts';

const run = requireMosquitto('the 1,000-round power cut test') ? describe : describe.skip;
const cli = fileURLToPath(new URL('../../cli/bin/meterchain.js', import.meta.url));

const ROUND_MS = 200;
const BLOCK_ROUNDS = 8;
const TIMEOUT_MS = BLOCK_ROUNDS * ROUND_MS;
const ROUNDS = 1100;

interface Node {
  name: string;
  dir: string;
  proc?: ChildProcess;
  started: number;
  /** Wall time of each commit this node logged, by height. */
  commits: Map<number, number>;
  exits: string[];
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, Math.max(0, ms)));

async function waitFor(what: string, check: () => boolean, timeoutMs: number, state?: () => string): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > until) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${state ? ` (${state()})` : ''}`);
    await sleep(100);
  }
}

run('a four-node cluster past 1,000 rounds, power-cut and restarted', () => {
  let dir: string;
  let broker: MosquittoBroker;
  let bundle: string;
  let manifestPath: string;
  let genesisMs: number;
  const nodes: Node[] = [];

  const startNode = (n: Node) => {
    const proc = spawn(process.execPath, [bundle, '--config', join(n.dir, 'node.yaml')], { stdio: ['ignore', 'pipe', 'pipe'], cwd: n.dir });
    n.proc = proc;
    createInterface({ input: proc.stdout! }).on('line', (line) => {
      if (line.includes('"msg":"node started"')) n.started++;
      const c = /"msg":"block committed".*"height":(\d+)/.exec(line);
      if (c && !n.commits.has(Number(c[1]))) n.commits.set(Number(c[1]), Date.now());
    });
    createInterface({ input: proc.stderr! }).on('line', (line) => n.exits.push(line));
    proc.once('exit', (code, signal) => {
      if (signal !== 'SIGKILL' && signal !== 'SIGTERM') n.exits.push(`exited ${code ?? signal}`);
    });
  };
  const killAll = async (signal: NodeJS.Signals) =>
    Promise.all(
      nodes.map(async (n) => {
        const p = n.proc;
        if (!p || p.exitCode !== null || p.signalCode !== null) return;
        const exited = new Promise((r) => p.once('exit', r));
        p.kill(signal);
        await exited;
      }),
    );

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'mc-1000-rounds-'));
    bundle = (await buildNodeBundle({ outfile: join(dir, 'meterchain-node.mjs') })).outfile;
    const keys: Uint8Array[] = [];
    const users: { username: string; password: string }[] = [];
    for (let i = 0; i < 4; i++) {
      const name = `m0${i + 1}`;
      const ndir = join(dir, name);
      mkdirSync(ndir, { recursive: true });
      const pair = writeKeyPair(ndir, generateSeed());
      keys.push(pair.publicKey);
      users.push({ username: pair.address, password: `pw-${name}` });
      writeFileSync(join(ndir, 'broker.pass'), `pw-${name}\n`);
      nodes.push({ name, dir: ndir, started: 0, commits: new Map(), exits: [] });
    }
    broker = await startMosquitto({ users, persistence: true });
    genesisMs = Math.ceil((Date.now() + 6000) / ROUND_MS) * ROUND_MS;
    const bytes = createManifest(
      {
        cluster: 'rounds',
        rule: 'bft',
        members: keys.map((publicKey, i) => ({ publicKey, name: nodes[i]!.name })),
        params: { roundMs: ROUND_MS, blockRounds: BLOCK_ROUNDS, skewMs: 160, timeoutMs: TIMEOUT_MS },
        genesisMs,
      },
      createNodeSigner(generateSeed()),
    );
    manifestPath = join(dir, 'manifest.cbor');
    writeFileSync(manifestPath, bytes);
    expect(verifyManifest(bytes, nodeVerifier()).ok).toBe(true);
    nodes.forEach((n, i) =>
      writeFileSync(
        join(n.dir, 'node.yaml'),
        `cluster:\n  manifest: ${manifestPath}\nkey: meter.key\ndataDir: data\nbroker:\n  url: ${broker.url}\n  passwordFile: broker.pass\nsensor:\n  type: simulated\n  seed: ${i + 1}\nmetrics:\n  listen: "off"\nlog:\n  level: info\n`,
      ),
    );
  }, 60_000);

  afterAll(async () => {
    for (const n of nodes) if (n.proc && n.proc.exitCode === null && n.proc.signalCode === null) n.proc.kill('SIGKILL');
    await broker?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test('resumes committing within a few block periods, and every chain verifies and agrees', async () => {
    for (const n of nodes) startNode(n);
    // Past 1,000 rounds, with blocks committed all along.
    await sleep(genesisMs + ROUNDS * ROUND_MS - Date.now());
    for (const n of nodes) expect(n.exits).toEqual([]);
    const heightBefore = Math.max(...nodes.flatMap((n) => [...n.commits.keys()]));
    expect(heightBefore).toBeGreaterThan(ROUNDS / BLOCK_ROUNDS / 2);

    // The power cut: every node at once.
    await killAll('SIGKILL');
    await sleep(2000);
    for (const n of nodes) startNode(n);
    await waitFor('every node to start again', () => nodes.every((n) => n.started === 2 || n.exits.length > 0), 30_000);
    for (const n of nodes) expect({ node: n.name, exits: n.exits }).toEqual({ node: n.name, exits: [] });
    const upAt = Date.now();
    // A few block periods: three, plus a view timeout.
    const limitMs = 3 * BLOCK_ROUNDS * ROUND_MS + TIMEOUT_MS;
    await waitFor('a block committed after the restart', () => nodes.some((n) => [...n.commits].some(([h, t]) => h > heightBefore && t >= upAt)), 60_000, () => nodes.map((n) => `${n.name} at ${Math.max(-1, ...n.commits.keys())}`).join(', '));
    const resumedAfterMs = Math.min(...nodes.flatMap((n) => [...n.commits].filter(([h, t]) => h > heightBefore && t >= upAt).map(([, t]) => t))) - upAt;
    expect(resumedAfterMs).toBeLessThanOrEqual(limitMs);
    // Let every node commit a few more blocks, then stop cleanly.
    const target = Math.max(...nodes.flatMap((n) => [...n.commits.keys()])) + 3;
    const heights = () => nodes.map((n) => `${n.name} at ${Math.max(-1, ...n.commits.keys())}`).join(', ');
    await waitFor(`every node at height ${target}`, () => nodes.every((n) => n.commits.has(target)), 60_000, heights);
    await killAll('SIGTERM');

    // Every chain verifies from the manifest alone, and all hold the same block at every height they share.
    const headers: string[][] = [];
    for (const n of nodes) {
      const chain = join(n.dir, 'data', 'chain');
      const v = spawnSync(process.execPath, [cli, 'chain', 'verify', chain, '--manifest', manifestPath, '--json'], { encoding: 'utf8', timeout: 120_000 });
      expect({ node: n.name, status: v.status, stderr: v.stderr.trim() }).toEqual({ node: n.name, status: 0, stderr: '' });
      const report = JSON.parse(v.stdout) as { ok: boolean; height: number };
      expect(report.ok).toBe(true);
      expect(report.height).toBeGreaterThanOrEqual(target);
      const opened = await openChain(chain);
      const blocks = await opened.source.read(0, opened.source.count);
      await opened.close();
      headers.push(blocks.map((b) => {
        const s = decodeStoredBlock(b);
        return s.ok ? toHex(s.block.header) : 'undecodable';
      }));
    }
    const shared = Math.min(...headers.map((h) => h.length));
    for (let h = 0; h < shared; h++) expect({ height: h, blocks: new Set(headers.map((x) => x[h])).size }).toEqual({ height: h, blocks: 1 });
  }, 10 * 60_000);
});
