// The demo's sensor nodes (`meterchain demo --sensors K`): for each, a simulated SDM630 on a pty, the Espruino firmware
// reading it as its board would (`meterchain sensor run`: in the stripped context, or on Espruino with --espruino),
// and a second pty carrying its frames to the full node it is wired to. Everything it starts, it stops.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { startSimulator, type RunningSimulator } from '@meterchain/modbus/sim';
import { InputError } from '../command.ts';
import type { SensorFiles } from '../sensor-files.ts';

/** A socat pty pair: `a` and `b` are symlinks to its two ends. */
export interface Pty {
  a: string;
  b: string;
  stop(): Promise<void>;
}

export function requireSocat(): void {
  const r = spawnSync('socat', ['-V'], { stdio: 'ignore' });
  if (r.error) throw new InputError('--sensors needs socat for the serial lines (install the Debian package "socat")');
}

function stopChild(child: ChildProcess, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const kill = setTimeout(() => child.kill('SIGKILL'), 10_000);
    child.once('exit', () => {
      clearTimeout(kill);
      resolve();
    });
    child.kill(signal);
  });
}

export async function openPty(dir: string, a: string, b: string): Promise<Pty> {
  const pa = join(dir, a);
  const pb = join(dir, b);
  const child = spawn('socat', ['-d', '-d', `pty,raw,echo=0,link=${pa}`, `pty,raw,echo=0,link=${pb}`], { stdio: ['ignore', 'ignore', 'pipe'] });
  let said = '';
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`socat did not open ${pa} and ${pb} within 10 s: ${said.trim().split('\n').pop()}`)), 10_000);
    child.stderr!.on('data', (chunk: Buffer) => {
      said += chunk.toString();
      if (said.includes('starting data transfer loop')) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.on('error', (e) => reject(e));
  });
  for (let i = 0; i < 100 && !(existsSync(pa) && existsSync(pb)); i++) await new Promise((r) => setTimeout(r, 20));
  return { a: pa, b: pb, stop: () => stopChild(child) };
}

export interface DemoSensor {
  name: string;
  files: SensorFiles;
  /** Name of the full node it is wired to. */
  host: string;
  meterLine: Pty;
  link: Pty;
  simulator: RunningSimulator;
  board?: ChildProcess;
  exited?: number | null;
  lastLine?: string;
}

/** The lines and the simulated meter of one sensor; the board starts later (`startBoard`), with the nodes. */
export async function wireSensor(name: string, files: SensorFiles, host: string, seed: number): Promise<DemoSensor> {
  const meterLine = await openPty(files.dir, 'meter-board', 'meter-device');
  const link = await openPty(files.dir, 'link-board', 'link-node');
  const simulator = await startSimulator({ profile: 'sdm630', link: { kind: 'rtu', path: meterLine.b, baudRate: 9600 }, seed, tickMs: 1000 });
  return { name, files, host, meterLine, link, simulator };
}

/** node.yaml lines wiring `sensor` to its full node. */
export function sensorYaml(sensor: DemoSensor): string[] {
  return [`  - name: ${sensor.name}`, `    key: ${sensor.files.keyPath}`, `    linkKey: ${sensor.files.linkKeyPath}`, '    serial:', `      path: ${sensor.link.b}`, '      baud: 115200'];
}

export function startBoard(bin: string, sensor: DemoSensor, espruino?: string): void {
  const args = [bin, 'sensor', 'run', '--flash', sensor.files.boardDir, '--meter-port', sensor.meterLine.a, '--link-port', sensor.link.a, ...(espruino ? ['--espruino', espruino] : [])];
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  sensor.board = child;
  for (const stream of [child.stdout!, child.stderr!]) createInterface({ input: stream }).on('line', (line) => (sensor.lastLine = line));
  child.on('exit', (code) => (sensor.exited = code));
}

export async function stopSensor(sensor: DemoSensor): Promise<void> {
  if (sensor.board) await stopChild(sensor.board);
  await sensor.simulator.close();
  await sensor.meterLine.stop();
  await sensor.link.stop();
}
