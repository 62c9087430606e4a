// A real Mosquitto for tests and benchmarks: started from the shipped configuration (firmware/linux/mosquitto) on a
// free loopback port with a temporary password file, ACL and (optional) persistence; stop, kill and restart it on
// the same port. Never port 1883: a system broker may live there.
import { execFile, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { brokerAcl } from '@meterchain/transport';

const run = promisify(execFile);

const SHIPPED_DIR = fileURLToPath(new URL('../../../firmware/linux/mosquitto/', import.meta.url));
/** The configuration integrators ship; the harness starts Mosquitto from it. */
export const SHIPPED_MOSQUITTO_CONF = join(SHIPPED_DIR, 'mosquitto.conf');
export const SHIPPED_MOSQUITTO_ACL = join(SHIPPED_DIR, 'acl.example');

const FORBIDDEN_PORT = 1883;
const HOST = '127.0.0.1';

export interface MosquittoUser {
  username: string;
  password: string;
}

/** A cluster on the broker, for the ACL made from its manifest (`brokerAcl`, as `meterchain cluster broker-config`). */
export interface MosquittoCluster {
  name: string;
  /** Members in manifest order (the member at index i reads `<kind>-to-<i>`); each username is the member's address. */
  members: MosquittoUser[];
  /** Logins that only read the cluster's broadcast kinds. */
  observers?: MosquittoUser[];
  /** Members that are sensor nodes publishing their own frames, each read by its full node only (`brokerAcl`). */
  sensors?: { address: string; node: string }[];
}

export interface MosquittoOptions {
  /** Logins written to the password file with `mosquitto_passwd -b`. */
  users?: MosquittoUser[];
  /**
   * The enforcing configuration as shipped for the field: the ACL made from these clusters' members (each login
   * publishes only under its own address in its own cluster, reads its cluster's broadcast kinds and its own
   * `-to-<i>` frames, nothing else). Their members and observers are added to the password file.
   */
  cluster?: MosquittoCluster | MosquittoCluster[];
  /** ACL lines appended to the generated one (test-only logins, e.g. a forger allowed to write anywhere). */
  extraAcl?: string;
  /** A password file made elsewhere (e.g. by `meterchain cluster broker-config`): copied in before any `users`. */
  passwordFile?: string;
  /** Keep sessions and queued messages across restarts (default false). `true` saves the database after every change
   * (autosave_on_changes, interval 1), so even a SIGKILL keeps what the broker had; each save writes the whole
   * database, so a broker holding megabytes of queued frames then spends its time saving. `'shipped'` keeps the
   * template's own schedule (the shipped file: every 30 s), so a SIGKILL loses what changed since the last save, as
   * in the field. */
  persistence?: boolean | 'shipped';
  /** Settings that replace the shipped file's value for the same key, or are added (e.g. max_queued_messages). */
  settings?: Record<string, string | number | boolean>;
  /** ACL text instead of the shipped acl.example (or of the ACL made from `cluster`). */
  acl?: string;
  /** Configuration template instead of the shipped mosquitto.conf (same rewriting applies). */
  template?: string;
  /** The mosquitto binary (default: `mosquitto` on PATH, or /usr/sbin/mosquitto). */
  binary?: string;
  startTimeoutMs?: number;
}

export interface MosquittoBroker {
  readonly host: string;
  readonly port: number;
  /** mqtt://127.0.0.1:<port> */
  readonly url: string;
  /** The temporary directory holding config, passwords, ACL, database and nothing else. */
  readonly dir: string;
  readonly configPath: string;
  readonly running: boolean;
  readonly pid: number | undefined;
  /** Everything Mosquitto wrote to stderr/stdout since it was first started. */
  log(): string;
  /** Starts it again on the same port (after stop() or kill()). */
  start(): Promise<void>;
  /** SIGTERM and wait for it to exit (it saves its database first when persistence is on). */
  stop(): Promise<void>;
  /** SIGKILL and wait: a crash. */
  kill(): Promise<void>;
  restart(): Promise<void>;
  /** Adds a login; a running broker re-reads the password file (SIGHUP). */
  addUser(user: MosquittoUser): Promise<void>;
  /** Stops the broker and removes its directory. */
  close(): Promise<void>;
}

/** Where the mosquitto binary is, or undefined. */
export function findMosquitto(binary?: string): string | undefined {
  const candidates = binary ? [binary] : ['mosquitto', '/usr/sbin/mosquitto', '/usr/local/sbin/mosquitto'];
  for (const candidate of candidates) {
    const probe = spawnSync(candidate, ['-h'], { stdio: 'ignore', timeout: 5000 });
    // `mosquitto -h` exits with 3 after printing its usage; ENOENT means it is not there.
    if (!probe.error) return candidate;
  }
  return undefined;
}

export interface MosquittoRequirement {
  binary?: string;
  /** Whether this is a CI run (default: process.env.CI is set and not "0"/"false"). */
  ci?: boolean;
  warn?: (message: string) => void;
}

/**
 * Whether tests needing Mosquitto can run. Missing Mosquitto fails a CI run (throws) and elsewhere returns false
 * after a loud warning, so the caller can skip (and the runner counts the tests as skipped, not passed).
 */
export function requireMosquitto(what: string, options: MosquittoRequirement = {}): boolean {
  const ciEnv = process.env.CI;
  const ci = options.ci ?? (ciEnv !== undefined && ciEnv !== '' && ciEnv !== '0' && ciEnv !== 'false');
  if (findMosquitto(options.binary) !== undefined) return true;
  const message = `mosquitto not found: ${what} cannot run (install the Debian package "mosquitto")`;
  if (ci) throw new Error(`${message}; CI requires it`);
  (options.warn ?? ((m: string) => console.warn(`\n!!! SKIPPED: ${m}\n`)))(message);
  return false;
}

/** A TCP port on 127.0.0.1 nobody listens on right now (never 1883). */
export async function freeLoopbackPort(): Promise<number> {
  for (let attempt = 0; attempt < 20; attempt++) {
    const port = await new Promise<number>((resolve, reject) => {
      const server = createServer();
      server.once('error', reject);
      server.listen(0, HOST, () => {
        const address = server.address();
        const p = typeof address === 'object' && address ? address.port : 0;
        server.close(() => resolve(p));
      });
    });
    if (port !== FORBIDDEN_PORT && port > 0) return port;
  }
  throw new Error('mosquitto harness: could not find a free loopback port');
}

/** The settings the harness always sets, whatever the template says. */
function harnessSettings(dir: string, persistence: boolean | 'shipped'): { global: string[]; drop: Set<string> } {
  const global = [
    `# ---- test harness overrides ----`,
    `log_dest stderr`,
    `log_type error`,
    `log_type warning`,
    `log_type notice`,
    `connection_messages true`,
    persistence ? 'persistence true' : 'persistence false',
    ...(persistence ? [`persistence_location ${dir}/`] : []),
    ...(persistence === true ? ['autosave_interval 1', 'autosave_on_changes true'] : []),
  ];
  // Running as root, Mosquitto would switch to the "mosquitto" user, which cannot read a private temp directory.
  if (typeof process.getuid === 'function' && process.getuid() === 0) global.push('user root');
  const drop = new Set(['log_dest', 'log_type', 'connection_messages', 'persistence', 'persistence_location', 'persistence_file', 'user', 'pid_file', 'include_dir', 'bind_address', 'port']);
  if (persistence !== 'shipped') drop.add('autosave_interval').add('autosave_on_changes');
  return { global, drop };
}

/** Rewrites a Mosquitto configuration for a test: one loopback listener on `port`, files in `dir`. */
export function rewriteConfig(template: string, dir: string, port: number, options: { persistence?: boolean | 'shipped'; settings?: Record<string, string | number | boolean> } = {}): string {
  if (port === FORBIDDEN_PORT) throw new RangeError('mosquitto harness: port 1883 belongs to the system broker, not to tests');
  const { global, drop } = harnessSettings(dir, options.persistence ?? false);
  const settings = new Map(Object.entries(options.settings ?? {}).map(([k, v]) => [k, String(v)]));
  const used = new Set<string>();
  const out: string[] = [];
  let listeners = 0;
  let skippingListener = false;
  for (const raw of template.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) {
      if (!skippingListener) out.push(raw);
      continue;
    }
    const key = line.split(/\s+/)[0]!;
    if (key === 'listener') {
      listeners++;
      // Only the first listener is kept, moved to the loopback port; others (TLS) need files a test does not have.
      skippingListener = listeners > 1;
      if (!skippingListener) out.push(`listener ${port} ${HOST}`);
      continue;
    }
    if (skippingListener) continue;
    if (drop.has(key)) continue;
    if (key === 'password_file') {
      out.push(`password_file ${join(dir, 'passwd')}`);
      continue;
    }
    if (key === 'acl_file') {
      out.push(`acl_file ${join(dir, 'acl')}`);
      continue;
    }
    if (key === 'certfile' || key === 'keyfile' || key === 'cafile' || key === 'capath') continue;
    if (settings.has(key)) {
      if (!used.has(key)) out.push(`${key} ${settings.get(key)}`);
      used.add(key);
      continue;
    }
    out.push(raw);
  }
  if (listeners === 0) throw new Error('mosquitto harness: the configuration template has no listener');
  const extra = [...settings].filter(([k]) => !used.has(k)).map(([k, v]) => `${k} ${v}`);
  // Global settings go before the first listener: with per_listener_settings, lines after it belong to it.
  const firstListener = out.findIndex((l) => l.startsWith('listener '));
  out.splice(firstListener, 0, ...global, ...extra, '');
  return out.join('\n') + '\n';
}

function waitForPort(port: number, child: ChildProcess, timeoutMs: number, log: () => string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  return new Promise((resolve, reject) => {
    const attempt = (): void => {
      if (child.exitCode !== null || child.signalCode !== null) {
        reject(new Error(`mosquitto exited (${child.exitCode ?? child.signalCode}) before listening on ${port}:\n${log()}`));
        return;
      }
      const socket = connect({ host: HOST, port });
      socket.once('connect', () => {
        socket.destroy();
        resolve();
      });
      socket.once('error', () => {
        socket.destroy();
        if (Date.now() > deadline) reject(new Error(`mosquitto did not listen on ${port} within ${timeoutMs} ms:\n${log()}`));
        else setTimeout(attempt, 20);
      });
    };
    attempt();
  });
}

function waitForExit(child: ChildProcess, timeoutMs: number): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
    }, timeoutMs);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

class Broker implements MosquittoBroker {
  readonly host = HOST;
  port: number;
  readonly dir: string;
  readonly configPath: string;
  readonly #binary: string;
  readonly #startTimeoutMs: number;
  readonly #options: MosquittoOptions;
  #template = '';
  #child: ChildProcess | undefined;
  #log = '';
  #users: MosquittoUser[] = [];
  #closed = false;

  constructor(dir: string, port: number, binary: string, options: MosquittoOptions) {
    this.dir = dir;
    this.port = port;
    this.configPath = join(dir, 'mosquitto.conf');
    this.#binary = binary;
    this.#options = options;
    this.#startTimeoutMs = options.startTimeoutMs ?? 5000;
  }

  get url(): string {
    return `mqtt://${HOST}:${this.port}`;
  }

  get running(): boolean {
    return this.#child !== undefined && this.#child.exitCode === null && this.#child.signalCode === null;
  }

  get pid(): number | undefined {
    return this.running ? this.#child!.pid : undefined;
  }

  log(): string {
    return this.#log;
  }

  async prepare(): Promise<void> {
    this.#template = this.#options.template ?? (await readFile(SHIPPED_MOSQUITTO_CONF, 'utf8'));
    const clusters = this.#options.cluster === undefined ? [] : Array.isArray(this.#options.cluster) ? this.#options.cluster : [this.#options.cluster];
    const generated = clusters.length > 0
      ? clusters.map((c) => brokerAcl({ cluster: c.name, members: c.members.map((m) => m.username), observers: (c.observers ?? []).map((o) => o.username), ...(c.sensors ? { sensors: c.sensors } : {}) })).join('\n') + (this.#options.extraAcl ?? '')
      : undefined;
    await writeFile(join(this.dir, 'acl'), this.#options.acl ?? generated ?? (await readFile(SHIPPED_MOSQUITTO_ACL, 'utf8')), { mode: 0o600 });
    await writeFile(join(this.dir, 'passwd'), this.#options.passwordFile ? await readFile(this.#options.passwordFile) : '', { mode: 0o600 });
    const users = [...(this.#options.users ?? []), ...clusters.flatMap((c) => [...c.members, ...(c.observers ?? [])])];
    // One login in several clusters (or also in `users`) is written once.
    const written = new Set<string>();
    for (const user of users) {
      if (written.has(user.username)) continue;
      written.add(user.username);
      await this.#passwd(user);
    }
    await this.#writeConfig();
  }

  async #writeConfig(): Promise<void> {
    const text = rewriteConfig(this.#template, this.dir, this.port, { persistence: this.#options.persistence, settings: this.#options.settings });
    await writeFile(this.configPath, text, { mode: 0o600 });
  }

  async #passwd(user: MosquittoUser): Promise<void> {
    if (!/^[^:\s]{1,256}$/.test(user.username)) throw new TypeError(`mosquitto harness: expected a username without ':' or spaces, got ${JSON.stringify(user.username)}`);
    // `-b`: batch mode, the password on the command line (fine for throwaway test logins).
    await run('mosquitto_passwd', ['-b', join(this.dir, 'passwd'), user.username, user.password], { timeout: 10_000 });
    await chmod(join(this.dir, 'passwd'), 0o600);
    this.#users.push(user);
  }

  async addUser(user: MosquittoUser): Promise<void> {
    await this.#passwd(user);
    if (this.running) {
      this.#child!.kill('SIGHUP');
      // Give the reload a moment: Mosquitto re-reads files on its next loop iteration.
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  async start(): Promise<void> {
    if (this.#closed) throw new Error('mosquitto harness: start() after close()');
    if (this.running) return;
    const child = spawn(this.#binary, ['-c', this.configPath], { stdio: ['ignore', 'pipe', 'pipe'] });
    this.#child = child;
    const append = (chunk: Buffer): void => {
      this.#log += chunk.toString('utf8');
      if (this.#log.length > 1_000_000) this.#log = this.#log.slice(-500_000);
    };
    child.stdout!.on('data', append);
    child.stderr!.on('data', append);
    child.once('error', (error) => append(Buffer.from(`spawn error: ${error.message}\n`)));
    try {
      await waitForPort(this.port, child, this.#startTimeoutMs, () => this.#log);
    } catch (error) {
      child.kill('SIGKILL');
      await waitForExit(child, 2000);
      throw error;
    }
  }

  async stop(): Promise<void> {
    const child = this.#child;
    if (!child || !this.running) return;
    child.kill('SIGTERM');
    await waitForExit(child, 5000);
  }

  async kill(): Promise<void> {
    const child = this.#child;
    if (!child || !this.running) return;
    child.kill('SIGKILL');
    await waitForExit(child, 5000);
  }

  async restart(): Promise<void> {
    await this.stop();
    await this.start();
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    await this.kill();
    this.#closed = true;
    await rm(this.dir, { recursive: true, force: true });
  }

  /** First start: on a port race ("address in use"), move to another free port. */
  async firstStart(): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      try {
        await this.start();
        return;
      } catch (error) {
        if (attempt >= 3 || !/in use/i.test(this.#log)) throw error;
        this.port = await freeLoopbackPort();
        this.#log = '';
        await this.#writeConfig();
      }
    }
  }
}

/** Starts Mosquitto from the shipped configuration on a free loopback port; resolves once it accepts connections. */
export async function startMosquitto(options: MosquittoOptions = {}): Promise<MosquittoBroker> {
  const binary = findMosquitto(options.binary);
  if (binary === undefined) throw new Error(`mosquitto harness: no mosquitto binary (${options.binary ?? 'mosquitto on PATH'})`);
  const dir = await mkdtemp(join(tmpdir(), 'meterchain-mosquitto-'));
  const broker = new Broker(dir, await freeLoopbackPort(), binary, options);
  try {
    await broker.prepare();
    await broker.firstStart();
  } catch (error) {
    await broker.close().catch(() => undefined);
    throw error;
  }
  return broker;
}
