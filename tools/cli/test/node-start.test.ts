// `meterchain node` checks everything it needs before it connects to anything: a start error is one line naming the
// configuration key, exit 2, and nothing was opened. A meter that does not answer is no start error: the node runs,
// says so once, and stops on a signal however it was started (npx included).
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isOneLineError, meterchain, repoRoot } from './run.ts';

const dir = mkdtempSync(join(tmpdir(), 'mc-node-start-'));
/** Stands in for the broker: counts the connections a node makes. */
let broker: Server;
let brokerPort = 0;
let connections = 0;

function listenAny(server: Server): Promise<number> {
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as { port: number }).port)));
}

function config(name: string, lines: string[]): string {
  const path = join(dir, `${name}.yaml`);
  writeFileSync(path, [
    'cluster:', `  manifest: ${join(dir, 'c/manifest.cbor')}`, `key: ${join(dir, 'c/members/m01/meter.key')}`, `dataDir: ${join(dir, `data-${name}`)}`,
    'broker:', `  url: mqtt://127.0.0.1:${brokerPort}`, ...lines, '',
  ].join('\n'));
  return path;
}

beforeAll(async () => {
  expect(meterchain(['cluster', 'init', '--name', 'start', '--members', '1', '--rule', 'majority', '--out', join(dir, 'c')]).code).toBe(0);
  broker = createServer((socket) => {
    connections++;
    socket.destroy();
  });
  brokerPort = await listenAny(broker);
}, 60_000);

afterAll(() => {
  broker?.close();
});

describe('a start error is one line naming the key, exit 2, before anything is opened', () => {
  const refused = (name: string, lines: string[], key: RegExp) => {
    const before = connections;
    const r = meterchain(['node', '--config', config(name, lines)], { timeoutMs: 30_000 });
    expect(r.code).toBe(2);
    expect(isOneLineError(r)).toBe(true);
    expect(r.stderr).toMatch(key);
    expect(connections).toBe(before);
  };

  test('an unknown sensor profile', () => {
    refused('profile', ['sensor:', '  type: modbus-tcp', '  host: 127.0.0.1', '  port: 1502', '  unit: 1', '  profile: sdm999'], /sensor\.profile: 'sdm999' is not one of/);
  }, 30_000);

  test('an unknown edge profile', () => {
    refused('edge', ['sensor:', '  type: simulated', 'edge:', '  profile: nuclear'], /edge\.profile: unknown profile 'nuclear'/);
  }, 30_000);

  test('a serial port that is not there', () => {
    refused('serial', ['sensor:', '  type: modbus-rtu', `  path: ${join(dir, 'ttyUSB9')}`, '  baud: 9600', '  unit: 1', '  profile: sdm630'], /sensor\.path: .*ttyUSB9: no such serial port/);
  }, 30_000);

  test('a metrics port in use', async () => {
    const taken = createServer();
    const port = await listenAny(taken);
    try {
      refused('metrics', ['sensor:', '  type: simulated', 'metrics:', `  listen: 127.0.0.1:${port}`], new RegExp(`metrics\\.listen: cannot listen on 127\\.0\\.0\\.1:${port}: address already in use`));
    } finally {
      taken.close();
    }
  }, 30_000);

  test('a register map file that does not load', () => {
    writeFileSync(join(dir, 'bad-map.yaml'), 'device: x\nregisters: []\n');
    refused('map', ['sensor:', '  type: modbus-tcp', '  host: 127.0.0.1', '  port: 1502', '  unit: 1', '  profile: bad-map.yaml'], /sensor\.profile: .*bad-map\.yaml: \/registers must NOT have fewer than 1 items/);
  }, 30_000);
});

/** Runs a command in the background, collecting its output; resolves `closed` when its stdout and stderr close (every
 * process holding them has exited). */
function background(command: string, args: string[]) {
  const child = spawn(command, args, { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, MC_DEBUG: '' } });
  let output = '';
  child.stdout.on('data', (b: Buffer) => (output += b.toString()));
  child.stderr.on('data', (b: Buffer) => (output += b.toString()));
  let open = 2;
  const closed = new Promise<void>((resolve) => {
    const one = () => {
      if (--open === 0) resolve();
    };
    child.stdout.on('close', one);
    child.stderr.on('close', one);
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const waitFor = async (pattern: RegExp, ms: number) => {
    const until = Date.now() + ms;
    while (!pattern.test(output)) {
      if (Date.now() > until) throw new Error(`no ${pattern} within ${ms} ms; output:\n${output}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  };
  return { child, output: () => output, closed, exited, waitFor };
}

function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([p, new Promise<T>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what} within ${ms} ms`)), ms)))]).finally(() => clearTimeout(timer));
}

describe('a meter that does not answer is no start error', () => {
  test('the node runs, logs the failure once, and stops on SIGTERM with exit 0', async () => {
    // A port nothing listens on: the meter's gateway is off.
    const gone = createServer();
    const deadPort = await listenAny(gone);
    await new Promise((resolve) => gone.close(resolve));
    const path = config('offline', ['sensor:', '  type: modbus-tcp', '  host: 127.0.0.1', `  port: ${deadPort}`, '  unit: 1', '  profile: sdm630', '  timeoutMs: 200', 'metrics:', '  listen: "off"']);
    const node = background(process.execPath, [join(repoRoot, 'tools/cli/bin/meterchain.js'), 'node', '--config', path]);
    try {
      await node.waitFor(/"msg":"node started"/, 30_000);
      await node.waitFor(/"msg":"device not read"/, 15_000);
      // Several rounds later it still runs, and has said it once per kind of failure, not once a round.
      await new Promise((r) => setTimeout(r, 6000)); // six rounds of 1 s
      expect(node.output()).not.toMatch(/"level":"warn","msg":"sensor sample failed/);
      const said = node.output().split('\n').filter((l) => l.includes('"msg":"device not read"'));
      expect(said.length).toBeLessThanOrEqual(2);
      expect(said.some((l) => /"device":"SDM630","unit":1,"function":4,"registers":"0-79","link":"tcp 127\.0\.0\.1:\d+","kind":"BUS_CLOSED"/.test(l))).toBe(true);
      node.child.kill('SIGTERM');
      expect(await within(node.exited, 15_000, 'exit after SIGTERM')).toBe(0);
    } finally {
      node.child.kill('SIGKILL');
    }
  }, 90_000);
});

describe('signals reach the node however it was started', () => {
  test('SIGTERM to `npx meterchain node` stops the node itself, leaving no orphan', async () => {
    const path = config('npx', ['sensor:', '  type: simulated', 'metrics:', '  listen: "off"']);
    const npx = background('npx', ['--no-install', 'meterchain', 'node', '--config', path]);
    try {
      await npx.waitFor(/"msg":"node started"/, 60_000);
      npx.child.kill('SIGTERM');
      // stdout closes only when every process holding it is gone: the node too, not only npx and its shell.
      await within(npx.closed, 15_000, 'every process of `npx meterchain node` gone after SIGTERM');
      expect(npx.output()).toMatch(/meterchain node: parent process gone: stopping/);
    } finally {
      npx.child.kill('SIGKILL');
    }
  }, 90_000);
});
