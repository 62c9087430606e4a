// A PDC client (Node): connects to a PMU over TCP, sends command frames (§6.6), receives configuration, header and
// data frames on the connection or data as UDP datagrams, follows configuration changes (STAT bit 10, then a new
// CFG-2; or a data frame that no longer fits), and reports gaps, reordering, repeats and time-quality problems.
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { connect, type Socket } from 'node:net';
import { Command, decodeFrame, encodeCommand, FrameSplitter, LOCKED, measurements, StreamMonitor, type ConfigFrame, type DataFrame, type HeaderFrame, type PmuMeasurement, type StreamEvent } from '../index.ts';

export interface PdcClientOptions {
  host: string;
  port: number;
  /** IDCODE of the PMU's stream: command frames carry it (§6.6). */
  idcode: number;
  /** Receive data frames as UDP datagrams on this local port (0: any free port) instead of on the TCP connection. */
  udpPort?: number;
  /** Ask for CFG-3 rather than CFG-2. */
  cfg3?: boolean;
  /** How long to wait for the connection and for each answer, ms. */
  timeoutMs?: number;
  /** Wall clock in s for the SOC of command frames (default: the host's). */
  now?: () => number;
}

export type PdcEvent = StreamEvent | { kind: 'config'; config: ConfigFrame } | { kind: 'undecodable'; reason: string } | { kind: 'unexpected-frame'; reason: string };

export interface PdcHandlers {
  data?: (frame: DataFrame, values: PmuMeasurement[]) => void;
  event?: (event: PdcEvent) => void;
}

export class PdcError extends Error {
  code: string;
  constructor(code: string, message: string) {
    super(message);
    this.code = code;
    this.name = 'PdcError';
  }
}

export class PdcClient {
  private readonly options: PdcClientOptions;
  private socket: Socket | undefined;
  private udp: UdpSocket | undefined;
  private readonly splitter = new FrameSplitter();
  private readonly waiters: { kind: string; resolve: (f: ConfigFrame | HeaderFrame) => void }[] = [];
  private handlers: PdcHandlers = {};
  /** The configuration data frames are decoded with. */
  config: ConfigFrame | undefined;
  readonly monitor = new StreamMonitor();
  /** Data frames that did not fit the configuration or failed their checks. */
  undecodable = 0;
  private refreshing = false;
  /** The local UDP port when data comes over UDP. */
  udpPort: number | undefined;

  constructor(options: PdcClientOptions) {
    this.options = options;
  }

  on(handlers: PdcHandlers): void {
    this.handlers = handlers;
  }

  private get timeoutMs(): number {
    return this.options.timeoutMs ?? 5000;
  }

  async connect(): Promise<void> {
    const { host, port } = this.options;
    if (this.options.udpPort !== undefined) {
      const udp = createSocket('udp4');
      this.udp = udp;
      udp.on('message', (msg: Buffer) => this.frame(new Uint8Array(msg.buffer, msg.byteOffset, msg.byteLength), 'udp'));
      await new Promise<void>((resolve, reject) => {
        udp.once('error', reject);
        udp.bind(this.options.udpPort, () => resolve());
      });
      this.udpPort = udp.address().port;
    }
    const socket = connect({ host, port });
    this.socket = socket;
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new PdcError('PDC_TIMEOUT', `no TCP connection to ${host}:${port} within ${this.timeoutMs} ms`));
      }, this.timeoutMs);
      socket.once('connect', () => {
        clearTimeout(timer);
        resolve();
      });
      socket.once('error', (e) => {
        clearTimeout(timer);
        reject(new PdcError('PDC_CONNECT', `cannot connect to ${host}:${port}: ${e.message}`));
      });
    });
    socket.on('data', (chunk: Buffer) => {
      for (const f of this.splitter.push(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength))) this.frame(f, 'tcp');
    });
    socket.on('error', () => undefined);
  }

  /** Sends one command frame to the PMU. */
  command(cmd: number): void {
    if (!this.socket) throw new PdcError('PDC_NOT_CONNECTED', 'connect() first');
    const now = this.options.now ? this.options.now() : Date.now() / 1000;
    const soc = Math.floor(now);
    this.socket.write(encodeCommand({ kind: 'command', version: 2, idcode: this.options.idcode, soc, fraction: 0, timeQuality: LOCKED, command: cmd, extended: new Uint8Array(0) }));
  }

  private wait<T extends ConfigFrame | HeaderFrame>(kinds: string, what: string): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const waiter = { kind: kinds, resolve: (f: ConfigFrame | HeaderFrame) => {
        clearTimeout(timer);
        resolve(f as T);
      } };
      const timer = setTimeout(() => {
        const i = this.waiters.indexOf(waiter);
        if (i >= 0) this.waiters.splice(i, 1);
        reject(new PdcError('PDC_TIMEOUT', `no ${what} from IDCODE ${this.options.idcode} within ${this.timeoutMs} ms`));
      }, this.timeoutMs);
      this.waiters.push(waiter);
    });
  }

  /** Asks for the configuration (CFG-2, or CFG-3 when configured) and makes it the one data frames decode with. */
  async requestConfig(): Promise<ConfigFrame> {
    const kind = this.options.cfg3 ? 'cfg3' : 'cfg2';
    const answer = this.wait<ConfigFrame>(kind, kind === 'cfg3' ? 'CFG-3 frame' : 'CFG-2 frame');
    this.command(this.options.cfg3 ? Command.sendCfg3 : Command.sendCfg2);
    return answer;
  }

  async requestHeader(): Promise<string> {
    const answer = this.wait<HeaderFrame>('header', 'header frame');
    this.command(Command.sendHeader);
    return (await answer).text;
  }

  start(): void {
    this.command(Command.dataOn);
  }

  stop(): void {
    this.command(Command.dataOff);
  }

  private emit(event: PdcEvent): void {
    this.handlers.event?.(event);
  }

  private refresh(): void {
    if (this.refreshing) return;
    this.refreshing = true;
    this.requestConfig().catch((e: Error) => this.emit({ kind: 'undecodable', reason: e.message })).finally(() => (this.refreshing = false));
  }

  private frame(bytes: Uint8Array, via: 'tcp' | 'udp'): void {
    const kind = bytes.length > 1 ? (bytes[1]! >> 4) & 7 : -1;
    if (kind === 0) {
      if (!this.config) {
        this.undecodable++;
        return;
      }
      const v = decodeFrame(bytes, this.config);
      if (!v.ok) {
        this.undecodable++;
        this.emit({ kind: 'undecodable', reason: v.reason });
        // A frame that no longer fits its configuration: the PMU changed it; fetch the new one.
        if (/configuration makes/.test(v.reason)) this.refresh();
        return;
      }
      const frame = v.value as DataFrame;
      for (const e of this.monitor.observe(frame, this.config)) {
        this.emit(e);
        if (e.kind === 'config-change-announced') this.refresh();
      }
      this.handlers.data?.(frame, measurements(frame, this.config));
      return;
    }
    const v = decodeFrame(bytes);
    if (!v.ok) {
      this.emit({ kind: 'undecodable', reason: `${via}: ${v.reason}` });
      return;
    }
    const f = v.value;
    if (f.kind === 'cfg1' || f.kind === 'cfg2' || f.kind === 'cfg3') {
      if (f.kind !== 'cfg1') {
        const changed = this.config !== undefined && this.config.pmus.some((p, i) => f.pmus[i]?.changeCount !== p.changeCount);
        this.config = f;
        if (changed) this.monitor.configApplied();
        this.emit({ kind: 'config', config: f });
      }
    }
    const i = this.waiters.findIndex((w) => w.kind === f.kind);
    if (i >= 0 && (f.kind === 'cfg1' || f.kind === 'cfg2' || f.kind === 'cfg3' || f.kind === 'header')) this.waiters.splice(i, 1)[0]!.resolve(f);
    else if (f.kind === 'command') this.emit({ kind: 'unexpected-frame', reason: 'a command frame from the PMU' });
  }

  async close(): Promise<void> {
    if (this.socket) {
      const s = this.socket;
      await new Promise<void>((resolve) => {
        s.once('close', () => resolve());
        s.end();
        setTimeout(() => {
          s.destroy();
          resolve();
        }, 500).unref();
      });
    }
    if (this.udp) {
      const u = this.udp;
      await new Promise<void>((resolve) => u.close(() => resolve()));
    }
  }
}
