// The brokers of the two-tier demo: one Mosquitto per region and one for the wide-area chain, on free loopback ports,
// each region's bridged to the wide-area one with the bridge section `cluster bridge-config` makes (anchors out, the
// wide-area chain's traffic both ways). Loopback only and without logins: a demo on one machine, not a deployment
// (docs/deployment.md has the production configuration with its ACLs).
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { join } from 'node:path';
import { bridgeConfig } from '@meterchain/transport';

const HOST = '127.0.0.1';

/** The mosquitto binary, or undefined when it is not installed. */
export function findMosquitto(): string | undefined {
  for (const candidate of ['mosquitto', '/usr/sbin/mosquitto', '/usr/local/sbin/mosquitto']) {
    const probe = spawnSync(candidate, ['-h'], { stdio: 'ignore', timeout: 5000 });
    if (!probe.error) return candidate;
  }
  return undefined;
}

/** A TCP port on the loopback nobody listens on now (never 1883, where a system broker may be). */
export async function freePort(): Promise<number> {
  for (;;) {
    const port = await new Promise<number>((resolve, reject) => {
      const server = createServer();
      server.once('error', reject);
      server.listen(0, HOST, () => {
        const a = server.address();
        const p = typeof a === 'object' && a ? a.port : 0;
        server.close(() => resolve(p));
      });
    });
    if (port !== 1883 && port > 0) return port;
  }
}

export interface DemoBroker {
  name: string;
  url: string;
  port: number;
  stop(): Promise<void>;
  /** What it wrote to stderr (its errors and warnings). */
  log(): string;
}

async function reachable(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect(port, HOST);
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

async function startOne(binary: string, dir: string, name: string, extra: string): Promise<DemoBroker> {
  mkdirSync(dir, { recursive: true });
  const port = await freePort();
  const conf = join(dir, 'mosquitto.conf');
  writeFileSync(
    conf,
    [
      `# ${name} broker of the meterchain two-tier demo (loopback only, no logins)`,
      'per_listener_settings false',
      'allow_anonymous true',
      'persistence false',
      'set_tcp_nodelay true',
      'max_queued_messages 8000',
      'max_inflight_messages 100',
      'max_packet_size 8389632',
      'log_dest stderr',
      'log_type error',
      'log_type warning',
      `listener ${port} ${HOST}`,
      extra,
      '',
    ].join('\n'),
  );
  let stderr = '';
  const proc: ChildProcess = spawn(binary, ['-c', conf], { stdio: ['ignore', 'ignore', 'pipe'] });
  proc.stderr!.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-8000)));
  let exited = false;
  proc.once('exit', () => (exited = true));
  const end = Date.now() + 10_000;
  while (!(await reachable(port))) {
    if (exited || Date.now() > end) {
      proc.kill('SIGKILL');
      throw new Error(`mosquitto (${name}) did not start: ${stderr.trim().split('\n').pop() ?? 'no output'}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    name,
    url: `mqtt://${HOST}:${port}`,
    port,
    log: () => stderr,
    stop: () =>
      new Promise<void>((resolve) => {
        if (exited) return resolve();
        const kill = setTimeout(() => proc.kill('SIGKILL'), 5000);
        proc.once('exit', () => {
          clearTimeout(kill);
          resolve();
        });
        proc.kill('SIGTERM');
      }),
  };
}

export interface DemoBrokers {
  wide: DemoBroker;
  regions: { [region: string]: DemoBroker };
  stop(): Promise<void>;
}

/** The wide-area broker first, then each region's with its bridge to it. */
export async function startDemoBrokers(binary: string, dir: string, widearea: string, regions: string[]): Promise<DemoBrokers> {
  const started: DemoBroker[] = [];
  try {
    const wide = await startOne(binary, join(dir, widearea), widearea, '');
    started.push(wide);
    const byRegion: { [region: string]: DemoBroker } = {};
    for (const region of regions) {
      const bridge = bridgeConfig({ region, widearea, host: HOST, port: wide.port, login: `bridge-${region}`, password: 'demo', retryMin: 1, retryMax: 2 });
      const b = await startOne(binary, join(dir, region), region, bridge);
      started.push(b);
      byRegion[region] = b;
    }
    return { wide, regions: byRegion, stop: async () => void (await Promise.all(started.map((b) => b.stop()))) };
  } catch (e) {
    await Promise.all(started.map((b) => b.stop()));
    throw e;
  }
}
