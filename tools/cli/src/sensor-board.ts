// A sensor node without the board: the Espruino firmware program (firmware/espruino src/main.ts, built minified through
// the portability gate, as it ships) run in the gate's stripped context, with the Espruino built-ins it uses provided
// over this machine's serial ports and a folder standing for its flash; or, with an interpreter binary, run on
// Espruino for Linux from its own flash. The demo and its tests wire it to a simulated meter and to a full node over
// ptys (`meterchain sensor run`).
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createContext, runInContext } from 'node:vm';
import zlib from 'node:zlib';
import { SerialPort } from 'serialport';
import { bundleTarget, defaultRoot, discoverTargets, strippingPrelude } from '@meterchain/gate';

/** The firmware program as it ships: built minified through the gate; refuses to run a bundle with findings. */
export async function buildFirmware(scratchDir: string): Promise<string> {
  const target = discoverTargets(defaultRoot).find((t) => t.main !== undefined && t.name === '@meterchain/firmware-espruino');
  if (!target) throw new Error('the Espruino firmware package was not found in this workspace');
  mkdirSync(scratchDir, { recursive: true });
  const built = await bundleTarget(target, defaultRoot, join(scratchDir, 'meterchain.js'), true);
  if (!built.code || built.findings.length > 0) throw new Error(`the firmware does not pass the gate (${built.findings.length} findings): run npm run gate`);
  return built.code.replace(/\/\/# sourceMappingURL=.*\n?$/, '');
}

/** Names of the provisioning files a board holds in flash (firmware/espruino/src/main.ts). */
export const FLASH_FILES = ['mc.key', 'mc.meter', 'mc.cluster', 'mc.period', 'mc.uart', 'mc.link', 'mc.modbus', 'mc.mqtt', 'mc.seq'];

export interface BoardWiring {
  /** Folder standing for the board's flash: one file per Storage entry. */
  flash: string;
  /** Serial1, the meter's UART (RS-485 on a board). */
  meterPort: string;
  /** Serial2, the link to the full node. */
  linkPort: string;
  log: (line: string) => void;
}

export interface RunningBoard {
  /** Bytes written to the link so far. */
  linkBytes(): number;
  stop(): Promise<void>;
}

function openPort(path: string, baudRate: number): Promise<SerialPort> {
  const port = new SerialPort({ path, baudRate, autoOpen: false });
  return new Promise((resolve, reject) => port.open((e) => (e ? reject(new Error(`${path}: ${e.message}`)) : resolve(port))));
}

/** The Espruino built-ins the firmware uses, defined inside the context over host functions that carry only strings
 * and numbers (bytes as latin1 text, as Espruino hands received data to `on('data')`). */
const BOARD_SHIM = `(function (host) {
  function text(bytes) { var s = ''; for (var i = 0; i < bytes.length; i++) s += String.fromCharCode(bytes[i] & 255); return s; }
  function bytes(s) { var out = new Uint8Array(s.length); for (var i = 0; i < s.length; i++) out[i] = s.charCodeAt(i) & 255; return out; }
  function serial(n) {
    return {
      setup: function (baud, options) { host.serialSetup(n, baud, options === undefined ? '' : JSON.stringify(options)); },
      write: function (data) { host.serialWrite(n, typeof data === 'string' ? data : text(data)); },
      on: function (event, handler) { if (event === 'data') host.serialOnData(n, handler); }
    };
  }
  var init = [];
  globalThis.Serial1 = serial(1);
  globalThis.Serial2 = serial(2);
  globalThis.E = {
    on: function (event, handler) { if (event === 'init') init.push(handler); },
    CRC32: function (data) { return host.crc32(text(data)); },
    toUint8Array: function (s) { return bytes(s); }
  };
  var modules = {
    crypto: { SHA256: function (data) { return bytes(host.sha256(text(data))).buffer; } },
    Storage: {
      read: function (name) { return host.storageRead(name); },
      write: function (name, data) { return host.storageWrite(name, String(data)); }
    }
  };
  globalThis.require = function (name) { if (!modules[name]) throw new Error('no module ' + name); return modules[name]; };
  globalThis.setTimeout = function (fn, ms) { return host.setTimeout(fn, ms); };
  globalThis.setInterval = function (fn, ms) { return host.setInterval(fn, ms); };
  globalThis.clearTimeout = function (id) { host.clearTimeout(id); };
  globalThis.clearInterval = function (id) { host.clearTimeout(id); };
  globalThis.print = function () { host.log(Array.prototype.join.call(arguments, ' ')); };
  globalThis.console = { log: globalThis.print };
  globalThis.__boot = function () { for (var i = 0; i < init.length; i++) init[i](); };
})`;

/** Runs the firmware in the stripped context (CI's stand-in for the interpreter). */
export async function runInContextBoard(code: string, wiring: BoardWiring): Promise<RunningBoard> {
  const ports = new Map<number, SerialPort>();
  const paths: Record<number, string> = { 1: wiring.meterPort, 2: wiring.linkPort };
  const timers = new Set<NodeJS.Timeout>();
  const handles = new Map<number, NodeJS.Timeout>();
  let nextHandle = 1;
  let linkBytes = 0;
  let stopped = false;
  const storagePath = (name: string) => {
    if (!/^[A-Za-z0-9._-]{1,28}$/.test(name)) throw new Error(`Storage: bad file name '${name}'`);
    return join(wiring.flash, name);
  };
  // Open both lines before the program boots: on a board its UARTs exist before the program does.
  for (const n of [1, 2]) ports.set(n, await openPort(paths[n]!, n === 1 ? 9600 : 115200));
  const guard = (fn: () => void) => () => {
    if (stopped) return;
    try {
      fn();
    } catch (e) {
      wiring.log(`Uncaught ${(e as Error).message}`);
    }
  };
  const host = {
    serialSetup: (n: number, baud: number, options: string) => {
      const port = ports.get(n)!;
      port.update({ baudRate: baud }, () => undefined);
      if (options) wiring.log(`Serial${n}.setup(${baud}, ${options}): wired to ${paths[n]}`);
    },
    serialWrite: (n: number, data: string) => {
      const buf = Buffer.from(data, 'latin1');
      if (n === 2) linkBytes += buf.length;
      ports.get(n)!.write(buf);
    },
    serialOnData: (n: number, handler: (data: string) => void) => {
      ports.get(n)!.on('data', (chunk: Buffer) => guard(() => handler(chunk.toString('latin1')))());
    },
    crc32: (data: string) => zlib.crc32(Buffer.from(data, 'latin1')),
    sha256: (data: string) => createHash('sha256').update(Buffer.from(data, 'latin1')).digest().toString('latin1'),
    storageRead: (name: string) => {
      const p = storagePath(name);
      return existsSync(p) ? readFileSync(p, 'latin1') : undefined;
    },
    storageWrite: (name: string, data: string) => {
      writeFileSync(storagePath(name), data, 'latin1');
      return true;
    },
    setTimeout: (fn: () => void, ms: number) => {
      const id = nextHandle++;
      const t = setTimeout(() => {
        handles.delete(id);
        guard(fn)();
      }, ms);
      handles.set(id, t);
      return id;
    },
    setInterval: (fn: () => void, ms: number) => {
      const id = nextHandle++;
      const t = setInterval(guard(fn), ms);
      timers.add(t);
      handles.set(id, t);
      return id;
    },
    clearTimeout: (id: number) => {
      const t = handles.get(id);
      if (t) clearTimeout(t);
      handles.delete(id);
    },
    log: wiring.log,
  };
  const context = createContext({}, { codeGeneration: { strings: true, wasm: false } });
  runInContext(strippingPrelude(), context);
  (runInContext(BOARD_SHIM, context) as (h: typeof host) => void)(host);
  runInContext(code, context, { filename: 'espruino-sandbox/meterchain.js' });
  // Espruino emits 'init' once the saved program has loaded: the firmware starts there.
  runInContext('__boot()', context);
  return {
    linkBytes: () => linkBytes,
    stop: async () => {
      stopped = true;
      for (const t of handles.values()) clearTimeout(t);
      for (const p of ports.values()) if (p.isOpen) await new Promise<void>((r) => p.close(() => r()));
    },
  };
}

/**
 * Runs the firmware on Espruino for Linux as a board runs it: the provisioning files and the program written to the
 * interpreter's flash through its console (a piece at a time: its input buffer drops what overflows), then load().
 * Its UARTs are the ptys, named in `mc.uart` and `mc.link` (the Linux build opens a device path given in setup()).
 */
export async function runOnEspruino(bin: string, code: string, wiring: BoardWiring): Promise<RunningBoard & { memory(): string | undefined }> {
  const ascii = code.replace(/[^\x00-\x7f]/g, (c) => '\\u' + c.charCodeAt(0).toString(16).padStart(4, '0'));
  writeFileSync(join(wiring.flash, 'mc.uart'), JSON.stringify({ path: wiring.meterPort }));
  writeFileSync(join(wiring.flash, 'mc.link'), JSON.stringify({ path: wiring.linkPort }));
  const pieces: string[] = ['require("Storage").eraseAll();'];
  for (const name of FLASH_FILES) {
    const p = join(wiring.flash, name);
    if (existsSync(p)) pieces.push(`require("Storage").write(${JSON.stringify(name)},${JSON.stringify(readFileSync(p, 'latin1'))});`);
  }
  const PIECE = 256;
  for (let at = 0; at < ascii.length; at += PIECE) {
    pieces.push(`require("Storage").write(".bootcde",${JSON.stringify(ascii.slice(at, at + PIECE))},${at},${ascii.length});`);
  }
  pieces.push('load();');
  // The interpreter boots whatever its flash file holds: a program of an earlier run would start before this one is
  // written (and, too big for the heap, fill it). The folder is the board's flash between runs: the interpreter's
  // file starts empty and the sequence mark is copied back to the folder when the board stops.
  rmSync(join(wiring.flash, 'espruino.flash'), { force: true });
  const child: ChildProcess = spawn(bin, [], { cwd: wiring.flash, stdio: ['pipe', 'pipe', 'pipe'] });
  let text = '';
  let sent = 0;
  let memory: string | undefined;
  const next = () => {
    if (sent < pieces.length && (text.match(/\n=(true|undefined|false)/g) ?? []).length >= sent) child.stdin!.write(pieces[sent++] + '\n');
  };
  const writing = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('Espruino: writing the program to flash did not finish within 120 s')), 120_000);
    child.stdout!.on('data', (chunk: Buffer) => {
      text += chunk.toString('latin1');
      if (text.length > 1 << 20) text = text.slice(-4096);
      next();
      if (/Uncaught|FIFO_FULL|LOW_MEMORY/.test(text) && sent < pieces.length) {
        clearTimeout(timer);
        reject(new Error(`Espruino: ${/(Uncaught.*|FIFO_FULL|LOW_MEMORY)/.exec(text)![1]!.trim()}`));
      }
      if (sent === pieces.length) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.on('error', (e) => reject(new Error(`could not run ${bin}: ${e.message}`)));
    setTimeout(next, 300);
  });
  try {
    await writing;
  } catch (e) {
    child.kill('SIGKILL'); // it ignores SIGTERM
    throw e;
  }
  // After load() the program runs; its output (errors, memory figures) goes to the log line by line.
  let line = '';
  child.stdout!.on('data', (chunk: Buffer) => {
    line += chunk.toString('latin1');
    const lines = line.split('\n');
    line = lines.pop()!;
    for (const l of lines) {
      const clean = l.replace(/\r$/, '').replace(/\x1b\[[0-9;]*[A-Za-z]/g, '');
      if (clean.trim() !== '' && clean.trim() !== '>') wiring.log(`E ${clean}`);
      if (/^\s*\{.*"usage"/.test(clean)) memory = clean.trim();
      const mark = /^mc\.seq=(\d+)$/.exec(clean.trim());
      if (mark) writeFileSync(join(wiring.flash, 'mc.seq'), mark[1]!);
    }
  });
  return {
    linkBytes: () => 0,
    memory: () => memory,
    /** Asks for its memory figures first, so the log shows what the program held. */
    stop: async () => {
      child.stdin!.write('print(JSON.stringify(process.memory()));print("mc.seq="+require("Storage").read("mc.seq"));\n');
      await new Promise((r) => setTimeout(r, 500));
      child.kill('SIGKILL');
    },
  };
}
