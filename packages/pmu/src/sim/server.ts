// The PMU simulator as a C37.118.2 server: answers command frames on TCP (§6.6), streams data frames in real time on
// the TCP connection or, when asked, as UDP datagrams to the PDC's host (the "TCP commands, UDP data" mode), and
// can inject what a PDC must detect: lost, repeated and swapped frames, and a configuration change announced by STAT.
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { createServer, type Server, type Socket } from 'node:net';
import { Command, decodeFrame, encodeConfig12, encodeConfig3, encodeData, encodeHeader, FrameSplitter, LOCKED, type CommandFrame } from '../index.ts';
import { DEFAULT_GRID, gridConfig, gridFrame, type GridOptions } from './grid.ts';

export interface PmuSimulatorOptions extends Partial<GridOptions> {
  /** Send data frames as UDP datagrams to this port on the PDC's address instead of on the TCP connection. */
  udpDataPort?: number;
  /** Frame indices (counted from the first data frame sent) not sent, sent twice, or sent after the next one. */
  drop?: number[];
  duplicate?: number[];
  swap?: number[];
  /** SOC of frame 0 (default: the host clock's current second). */
  startSoc?: number;
  /** Wall clock in ms (injected for tests; default Date.now). */
  now?: () => number;
}

interface Session {
  socket: Socket;
  streaming: boolean;
  /** Next frame index to send, and the wall time (ms) of frame 0 of this stream. */
  next: number;
  startMs: number;
  held?: Uint8Array;
}

export class PmuSimulator {
  readonly grid: GridOptions;
  private readonly options: PmuSimulatorOptions;
  private readonly server: Server;
  private readonly udp: UdpSocket;
  private readonly sessions: Session[] = [];
  private timer: ReturnType<typeof setInterval> | undefined;
  private revision = 0;
  /** Frames still to carry STAT's configuration-change bit before the new configuration takes effect. */
  private announce = 0;
  private readonly startSoc: number;
  private readonly now: () => number;
  /** Data frames sent, over all sessions. */
  sent = 0;
  /** The last data frame made, for the other sessions streaming the same slot. */
  private encoded: { index: number; revision: number; bytes: Uint8Array } | undefined;

  constructor(options: PmuSimulatorOptions = {}) {
    this.options = options;
    this.grid = { ...DEFAULT_GRID, ...options, events: options.events ?? [] };
    this.now = options.now ?? Date.now;
    this.startSoc = options.startSoc ?? Math.floor(this.now() / 1000);
    this.server = createServer((socket) => this.accept(socket));
    this.udp = createSocket('udp4');
  }

  /** Listens on `port` (0: any free port) of `host`; resolves with the port. */
  async listen(port = 0, host = '127.0.0.1'): Promise<number> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, host, () => resolve());
    });
    this.timer = setInterval(() => this.tick(), Math.max(5, Math.floor(1000 / Math.max(1, this.grid.dataRate) / 2)));
    return (this.server.address() as { port: number }).port;
  }

  /** Announces a configuration change: STAT bit 10 for `frames` data frames, then the new CFG-2 (CFGCNT + 1, one phasor fewer or more). */
  changeConfiguration(frames = 10): void {
    this.announce = frames;
  }

  configuration(kind: 'cfg1' | 'cfg2' | 'cfg3' = 'cfg2') {
    return gridConfig(this.grid, kind, this.revision, this.soc());
  }

  private soc(): number {
    return Math.floor(this.now() / 1000);
  }

  private accept(socket: Socket): void {
    const session: Session = { socket, streaming: false, next: 0, startMs: 0 };
    this.sessions.push(session);
    const splitter = new FrameSplitter();
    socket.on('data', (chunk: Buffer) => {
      for (const bytes of splitter.push(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength))) {
        const v = decodeFrame(bytes);
        if (v.ok && v.value.kind === 'command') this.command(session, v.value);
      }
    });
    socket.on('error', () => socket.destroy());
    socket.on('close', () => {
      const i = this.sessions.indexOf(session);
      if (i >= 0) this.sessions.splice(i, 1);
    });
  }

  private command(session: Session, frame: CommandFrame): void {
    // A PMU answers only commands addressed to its stream IDCODE (§6.6).
    if (frame.idcode !== this.grid.idcode) return;
    const write = (bytes: Uint8Array) => session.socket.write(bytes);
    if (frame.command === Command.sendCfg1) write(encodeConfig12(this.configuration('cfg1')));
    else if (frame.command === Command.sendCfg2) write(encodeConfig12(this.configuration('cfg2')));
    else if (frame.command === Command.sendCfg3) write(encodeConfig3(this.configuration('cfg3')));
    else if (frame.command === Command.sendHeader) write(encodeHeader({ kind: 'header', version: 2, idcode: this.grid.idcode, soc: this.soc(), fraction: 0, timeQuality: LOCKED, text: `meterchain PMU simulator: ${this.grid.stations} station(s), ${this.grid.nominalHz} Hz, ${this.grid.dataRate} frames/s, P class, float polar phasors` }));
    else if (frame.command === Command.dataOn && !session.streaming) {
      session.streaming = true;
      // Frame 0 of the stream is the next whole frame slot of the wall clock.
      const slotMs = 1000 / this.grid.dataRate;
      const wall = this.now() - this.startSoc * 1000;
      session.next = Math.ceil(wall / slotMs);
      session.startMs = this.startSoc * 1000;
    } else if (frame.command === Command.dataOff) session.streaming = false;
  }

  private tick(): void {
    const slotMs = 1000 / this.grid.dataRate;
    for (const session of this.sessions) {
      if (!session.streaming) continue;
      while (session.startMs + session.next * slotMs <= this.now()) this.send(session, session.next++);
    }
  }

  private send(session: Session, index: number): void {
    let bytes: Uint8Array;
    // Sessions streaming in step share a frame: it is made once, not once per PDC (16 PDCs of a 16-station stream
    // would otherwise make 16 frames of 16 stations each per slot). A configuration change is announced per frame sent.
    if (this.announce === 0 && this.encoded && this.encoded.index === index && this.encoded.revision === this.revision) bytes = this.encoded.bytes;
    else {
      let config = gridConfig(this.grid, 'cfg2', this.revision, this.startSoc);
      const announcing = this.announce > 0;
      if (announcing) {
        this.announce--;
        if (this.announce === 0) {
          this.revision++;
          config = gridConfig(this.grid, 'cfg2', this.revision, this.startSoc);
        }
      }
      bytes = encodeData(gridFrame(this.grid, config, this.startSoc, index, announcing && this.announce > 0), config);
      if (!announcing) this.encoded = { index, revision: this.revision, bytes };
    }
    const sequence = this.sent++;
    const out = (b: Uint8Array) => {
      if (this.options.udpDataPort !== undefined) this.udp.send(b, this.options.udpDataPort, (session.socket.remoteAddress ?? '127.0.0.1').replace(/^::ffff:/, ''));
      else session.socket.write(b);
    };
    if (this.options.drop?.includes(sequence)) return;
    if (this.options.swap?.includes(sequence)) {
      session.held = bytes;
      return;
    }
    out(bytes);
    if (session.held) {
      out(session.held);
      session.held = undefined;
    }
    if (this.options.duplicate?.includes(sequence)) out(bytes);
  }

  async close(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    for (const s of this.sessions) s.socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
    await new Promise<void>((resolve) => this.udp.close(() => resolve()));
  }
}
