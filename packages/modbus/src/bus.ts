// A Modbus bus over modbus-serial: RTU on a serial line, Modbus TCP, or raw RTU frames over TCP (RS-485 gateways,
// ser2net). It adds what the library leaves to its caller (DESIGN §4): one request at a time, a timeout on every
// request, replies checked against the request, late replies dropped, retries with backoff, counters, and a link
// reopened after it disappears.
import ModbusRTU from 'modbus-serial';
import { crc16, crcOk } from './crc16.ts';
import {
  ModbusBusClosedError, ModbusCrcError, ModbusError, ModbusExceptionError, ModbusReplyMismatchError, ModbusTimeoutError,
  type RequestContext,
} from './errors.ts';

export type Parity = 'none' | 'even' | 'odd';

export type Link =
  | { kind: 'rtu'; path: string; baudRate: number; parity: Parity; dataBits?: 7 | 8; stopBits?: 1 | 2 }
  | { kind: 'tcp'; host: string; port: number }
  /** Raw RTU frames (with CRC) over a TCP socket: RS-485-to-Ethernet gateways in transparent mode, ser2net. */
  | { kind: 'rtu-over-tcp'; host: string; port: number };

export interface BusOptions {
  link: Link;
  /** Reply timeout per request. modbus-serial has none by default (an unanswered request waits forever). */
  timeoutMs?: number;
  /** Further attempts after a timeout, CRC error, mismatched reply or busy/gateway exception. */
  retries?: number;
  /** Wait before the first retry; doubles on each further one. */
  backoffMs?: number;
  /** Consecutive failed requests after which the link is closed and reopened (a half-open socket, a dead pty). */
  reopenAfterFailures?: number;
  /** After a timeout on a serial line: how long to wait for a late reply to arrive so it can be dropped (default: timeoutMs). */
  lateReplyWindowMs?: number;
  /** Read every block until two replies in a row agree word for word. Modbus TCP carries no checksum of its own:
   * behind a gateway or a link that garbles bytes, a corrupted reply is otherwise taken as the device's values. */
  confirmReads?: boolean;
  /** Injected for tests; defaults to setTimeout. */
  sleep?: (ms: number) => Promise<void>;
}

export interface ReadRequest {
  /** Device name for messages (profile or configured name). */
  device: string;
  unit: number;
  /** 3 = read holding registers, 4 = read input registers. */
  fn: 3 | 4;
  address: number;
  count: number;
}

/** Counters since the bus was created; drivers take differences around a sample. */
export interface BusCounters {
  requests: number;
  replies: number;
  timeouts: number;
  crcErrors: number;
  exceptions: number;
  mismatches: number;
  retries: number;
  /** Bytes of replies that came after their request had timed out, dropped instead of read as the next answer. */
  lateReplies: number;
  reopens: number;
  closedErrors: number;
  /** Confirmed reads (confirmReads) whose two replies differed: at least one of them was corrupted. */
  disagreements: number;
}

export function zeroCounters(): BusCounters {
  return { requests: 0, replies: 0, timeouts: 0, crcErrors: 0, exceptions: 0, mismatches: 0, retries: 0, lateReplies: 0, reopens: 0, closedErrors: 0, disagreements: 0 };
}

export function countersDelta(after: BusCounters, before: BusCounters): BusCounters {
  const delta = zeroCounters();
  for (const key of Object.keys(delta) as (keyof BusCounters)[]) delta[key] = after[key] - before[key];
  return delta;
}

/** Human form of a link: `rtu /dev/ttyUSB0 9600 8E1`, `tcp 127.0.0.1:502`, `rtu-over-tcp 127.0.0.1:4001`. */
export function describeLink(link: Link): string {
  if (link.kind === 'rtu') {
    const parity = link.parity === 'none' ? 'N' : link.parity === 'even' ? 'E' : 'O';
    return `rtu ${link.path} ${link.baudRate} ${link.dataBits ?? 8}${parity}${link.stopBits ?? 1}`;
  }
  return `${link.kind} ${link.host}:${link.port}`;
}

/** Time on the wire of `chars` characters at `baudRate` with 11 bits each (start, 8 data, parity or 2nd stop, stop). */
export function charTimeMs(baudRate: number): number {
  return (11 * 1000) / baudRate;
}

/**
 * Time on an RTU line of reads of `counts` registers each: request (8 bytes) and reply (5 + 2n bytes), 11 bits a
 * character, a 3.5-character silence before each frame. The device's own reaction time comes on top.
 */
export function rtuWireMs(baudRate: number, counts: number[]): number {
  let chars = 0;
  for (const n of counts) chars += 8 + 5 + 2 * n + 7;
  return chars * charTimeMs(baudRate);
}

type Client = InstanceType<typeof ModbusRTU>;
interface RawPort {
  _buffer?: Buffer;
  _client?: NodeJS.EventEmitter;
}

const RETRY_EXCEPTIONS = [5, 6, 11];
/** Replies a confirmed read asks for before it gives up (at a byte error rate of 1e-2 about one 80-register Modbus TCP
 * reply in six is intact: ten replies find two intact ones about half the time). */
const CONFIRM_MAX_REPLIES = 10;
/** Requests after the line last carried a stray frame during which confirmed reads listen for the whole timeout. */
const STRAY_REQUESTS = 4;

export class ModbusBus {
  readonly link: Link;
  readonly counters: BusCounters = zeroCounters();
  private readonly timeoutMs: number;
  private readonly retries: number;
  private readonly backoffMs: number;
  private readonly reopenAfterFailures: number;
  private readonly lateReplyWindowMs: number;
  private readonly confirmReads: boolean;
  private readonly sleep: (ms: number) => Promise<void>;
  private client: Client | null = null;
  private opening: Promise<void> | null = null;
  private tail: Promise<unknown> = Promise.resolve();
  private consecutiveFailures = 0;
  private closed = false;
  // Raw bytes seen on the line since the current request was sent (serial links): lets a timeout tell
  // "nothing came" from "a reply came from another unit".
  private rx = Buffer.alloc(1024);
  private rxLength = 0;
  private lastRxAt = 0;
  private afterTimeout = false;
  // When the current request went out, and the slowest recent time a device took to answer besides the reply's own
  // time on the wire (decaying): a confirmed read knows how long to listen for the answer a stale copy stood in for.
  private sentAt = 0;
  private deviceMs = 0;
  // The request count when the line last carried bytes nobody asked for (late replies, copies of replies).
  private strayAt = -Infinity;

  constructor(options: BusOptions) {
    if (!options || !options.link) throw new Error('expected bus options with a link ({kind: "rtu"|"tcp"|"rtu-over-tcp", ...})');
    this.link = options.link;
    this.timeoutMs = options.timeoutMs ?? 1000;
    if (!(this.timeoutMs > 0)) throw new Error(`expected timeoutMs > 0, got ${options.timeoutMs}`);
    this.retries = options.retries ?? 2;
    this.backoffMs = options.backoffMs ?? 100;
    this.reopenAfterFailures = options.reopenAfterFailures ?? 3;
    this.lateReplyWindowMs = options.lateReplyWindowMs ?? this.timeoutMs;
    this.confirmReads = options.confirmReads ?? false;
    this.sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
  }

  /** `rtu /dev/ttyUSB0 9600 8E1` etc. */
  get description(): string {
    return describeLink(this.link);
  }

  get isOpen(): boolean {
    return this.client !== null && this.client.isOpen;
  }

  /** Opens the link now (otherwise the first request opens it). Rejects when the port or peer is not there. */
  async open(): Promise<void> {
    if (this.closed) throw new Error(`bus ${this.description} was closed`);
    if (this.isOpen) return;
    if (this.opening) return this.opening;
    this.opening = this.connect().finally(() => {
      this.opening = null;
    });
    return this.opening;
  }

  private async connect(): Promise<void> {
    this.dropClient();
    const client = new ModbusRTU();
    const link = this.link;
    if (link.kind === 'rtu') {
      await client.connectRTUBuffered(link.path, { baudRate: link.baudRate, parity: link.parity, dataBits: link.dataBits ?? 8, stopBits: link.stopBits ?? 1 });
    } else if (link.kind === 'tcp') {
      await client.connectTCP(link.host, { port: link.port, timeout: 0 } as never);
    } else {
      await client.connectTelnet(link.host, { port: link.port });
    }
    client.setTimeout(this.timeoutMs);
    // Errors after open surface as failed requests; an unhandled 'error' event would kill the process.
    client.on('error', () => undefined);
    client.on('close', () => {
      if (this.client === client) this.client = null;
    });
    const raw = (client as unknown as { _port: RawPort })._port._client;
    raw?.on('error', () => undefined);
    raw?.on('data', (chunk: Buffer) => this.onRaw(chunk));
    this.client = client;
  }

  private onRaw(chunk: Buffer): void {
    this.lastRxAt = Date.now();
    const room = this.rx.length - this.rxLength;
    chunk.copy(this.rx, this.rxLength, 0, Math.min(room, chunk.length));
    this.rxLength += Math.min(room, chunk.length);
  }

  private dropClient(): void {
    const client = this.client;
    this.client = null;
    if (client) {
      try {
        (client as unknown as NodeJS.EventEmitter).removeAllListeners('close');
        client.close(() => undefined);
      } catch {
        // already gone
      }
    }
  }

  /**
   * Reads `count` registers, queued behind any request in flight. Resolves with the words (copied into `target`
   * when given, so drivers reuse one buffer); rejects with a ModbusError naming device, unit and register.
   */
  read(request: ReadRequest, target?: Uint16Array): Promise<Uint16Array> {
    checkRequest(request);
    const run = this.tail.then(() => (this.confirmReads ? this.readConfirmed(request, target) : this.readWithRetries(request, target)));
    this.tail = run.catch(() => undefined);
    return run;
  }

  /**
   * Writes one holding register (function 6), in turn with the reads, once: no retry (a caller that must know it
   * landed reads it back). Rejects with the same errors as a read.
   */
  writeRegister(device: string, unit: number, address: number, value: number): Promise<void> {
    if (!Number.isInteger(unit) || unit < 1 || unit > 247) throw new Error(`unit must be 1..247, got ${unit}`);
    if (!Number.isInteger(address) || address < 0 || address > 0xffff) throw new Error(`address must be 0..65535, got ${address}`);
    if (!Number.isInteger(value) || value < 0 || value > 0xffff) throw new Error(`value must be 0..65535, got ${value}`);
    const run = this.tail.then(() => this.writeOnce({ device, unit, fn: 6, address, count: 1, link: this.description }, value));
    this.tail = run.catch(() => undefined);
    return run;
  }

  private async writeOnce(context: RequestContext, value: number): Promise<void> {
    if (!this.isOpen) {
      try {
        await this.open();
      } catch (e) {
        this.counters.closedErrors++;
        throw new ModbusBusClosedError(context, (e as Error).message);
      }
    }
    const client = this.client!;
    await this.dropStaleBytes(client);
    this.counters.requests++;
    client.setID(context.unit);
    try {
      await client.writeRegister(context.address, value);
    } catch (e) {
      this.rxLength = 0;
      throw this.classify(e as Error & { modbusCode?: number; errno?: string }, context);
    }
    this.counters.replies++;
    this.rxLength = 0;
  }

  /**
   * Reads until two replies agree word for word (any two of those received: on a noisy link most replies may be
   * garbled, each differently), at most CONFIRM_MAX_REPLIES replies; each reply is itself retried as any read is.
   * On a serial line the reply that completes a pair must be the only thing the line said (see answeredOnly).
   */
  private async readConfirmed(request: ReadRequest, target?: Uint16Array): Promise<Uint16Array> {
    const seen: Uint16Array[] = [];
    for (let replies = 0; replies < CONFIRM_MAX_REPLIES; replies++) {
      const words = (await this.readWithRetries(request)).slice();
      const same = seen.find((s) => s.every((w, i) => w === words[i]));
      if (!same) {
        this.heardOnly(request, words);
        if (seen.length > 0) this.counters.disagreements++;
        seen.push(words);
      } else if (await this.answeredOnly(request, words)) {
        const out = target ?? new Uint16Array(request.count);
        out.set(words);
        return out;
      } else this.counters.mismatches++;
    }
    throw new ModbusReplyMismatchError(this.context(request), `no two of ${CONFIRM_MAX_REPLIES} replies agreed: the link is garbling bytes`);
  }

  /**
   * A serial line has no transaction id: a copy of an earlier reply (a repeater or gateway sending a frame twice)
   * that arrives after the next request went out is a well-formed answer to it when the lengths match, and two such
   * copies would agree with each other. The device's own answer then still comes, after the copy. So the reply that
   * would confirm a read is kept only if the line, listened to for as long as the device may take to answer, said
   * nothing since the request but that reply, once or repeated: the agreeing pair then holds the device's own
   * answer, whatever the other one was. It listens, from the request, for the reply's time on the wire and twice the
   * device's slowest recent reaction (three times while the line carries stray frames: any in the last
   * STRAY_REQUESTS requests), at most the reply timeout. Modbus TCP replies carry their transaction id: nothing to
   * listen for.
   */
  private async answeredOnly(request: ReadRequest, words: Uint16Array): Promise<boolean> {
    if (this.link.kind === 'tcp') return true;
    const quietMs = this.quietMs();
    const strays = this.counters.requests - this.strayAt <= STRAY_REQUESTS;
    const until = this.sentAt + Math.min(this.timeoutMs, this.replyWireMs(request.count) + (strays ? 3 : 2) * this.deviceMs + quietMs);
    if (Date.now() < until) await this.sleep(until - Date.now());
    for (let i = 0; i < 20 && Date.now() - this.lastRxAt < quietMs; i++) await this.sleep(quietMs);
    return this.heardOnly(request, words);
  }

  /** Whether the line said nothing since the request but the reply of `words`, once or repeated; anything more is
   * counted as stray (a late reply). Forgets what it heard. */
  private heardOnly(request: ReadRequest, words: Uint16Array): boolean {
    if (this.link.kind === 'tcp') return true;
    const frame = replyFrame(request, words);
    const heard = this.rx.subarray(0, this.rxLength);
    const full = this.rxLength === this.rx.length;
    this.rxLength = 0;
    if (heard.length === frame.length) return heard.equals(frame);
    this.strayAt = this.counters.requests;
    this.counters.lateReplies++;
    if (heard.length === 0 || heard.length % frame.length !== 0 || full) return false;
    for (let at = 0; at < heard.length; at += frame.length) if (!heard.subarray(at, at + frame.length).equals(frame)) return false;
    return true;
  }

  /** Time on the wire of the request and its reply of `count` registers (0 over TCP: unknown, the gateway's). */
  private replyWireMs(count: number): number {
    return this.link.kind === 'rtu' ? (8 + 5 + 2 * count) * charTimeMs(this.link.baudRate) : 0;
  }

  private quietMs(): number {
    return this.link.kind === 'rtu' ? Math.max(5, 3.5 * charTimeMs(this.link.baudRate)) : 5;
  }

  private async readWithRetries(request: ReadRequest, target?: Uint16Array): Promise<Uint16Array> {
    let lastError: ModbusError | null = null;
    for (let attempt = 0; attempt <= this.retries; attempt++) {
      if (attempt > 0) {
        this.counters.retries++;
        await this.sleep(this.backoffMs * Math.pow(2, attempt - 1));
      }
      try {
        const words = await this.readOnce(request, target);
        this.consecutiveFailures = 0;
        return words;
      } catch (e) {
        const error = e as ModbusError;
        lastError = error;
        this.consecutiveFailures++;
        if (this.consecutiveFailures >= this.reopenAfterFailures && !(error instanceof ModbusExceptionError)) {
          // A link that stays silent may be half open (peer restarted, pty recreated): start afresh.
          this.dropClient();
          this.consecutiveFailures = 0;
        }
        const retriable = error instanceof ModbusTimeoutError || error instanceof ModbusCrcError || error instanceof ModbusReplyMismatchError
          || (error instanceof ModbusExceptionError && RETRY_EXCEPTIONS.includes(error.exceptionCode));
        if (!retriable) break;
      }
    }
    throw lastError!;
  }

  private context(request: ReadRequest): RequestContext {
    return { device: request.device, unit: request.unit, fn: request.fn, address: request.address, count: request.count, link: this.description };
  }

  private async readOnce(request: ReadRequest, target?: Uint16Array): Promise<Uint16Array> {
    const context = this.context(request);
    if (!this.isOpen) {
      try {
        const wasOpened = this.client !== null || this.counters.requests > 0;
        await this.open();
        if (wasOpened) this.counters.reopens++;
      } catch (e) {
        this.counters.closedErrors++;
        throw new ModbusBusClosedError(context, (e as Error).message);
      }
    }
    const client = this.client!;
    await this.dropStaleBytes(client);
    this.counters.requests++;
    client.setID(request.unit);
    this.sentAt = Date.now();
    let result: { data: number[]; buffer: Buffer; responses?: Buffer[] };
    try {
      result = (request.fn === 3
        ? await client.readHoldingRegisters(request.address, request.count)
        : await client.readInputRegisters(request.address, request.count)) as typeof result;
    } catch (e) {
      const error = this.classify(e as Error & { modbusCode?: number; errno?: string }, context);
      // From here on, bytes that arrive are late replies, dropped before the next request.
      this.rxLength = 0;
      throw error;
    }
    const protocolId = this.foreignProtocolId();
    if (protocolId !== null) {
      this.counters.mismatches++;
      this.rxLength = 0;
      throw new ModbusReplyMismatchError(context, `protocol id ${protocolId} in the reply's MBAP header (Modbus is 0)`);
    }
    const reply = result.responses && result.responses.length > 0 ? result.responses[result.responses.length - 1]! : null;
    if (reply !== null && (reply[0] !== request.unit || reply[1] !== request.fn)) {
      this.counters.mismatches++;
      throw new ModbusReplyMismatchError(context, `unit ${reply[0]} function ${reply[1]} answered unit ${request.unit} function ${request.fn}`);
    }
    if (result.data.length !== request.count) {
      this.counters.mismatches++;
      throw new ModbusReplyMismatchError(context, `${result.data.length} registers instead of ${request.count}`);
    }
    this.counters.replies++;
    this.deviceMs = Math.max(Date.now() - this.sentAt - this.replyWireMs(request.count), 0.8 * this.deviceMs);
    // A confirmed read on a serial line still looks at what the line said since the request (heardOnlyReply).
    if (!this.confirmReads || this.link.kind === 'tcp') this.rxLength = 0;
    const words = target ?? new Uint16Array(request.count);
    if (words.length < request.count) throw new Error(`target buffer of ${words.length} registers is too small for ${request.count}`);
    for (let i = 0; i < request.count; i++) words[i] = result.data[i]!;
    return words;
  }

  /**
   * Modbus TCP: the protocol id of the first MBAP header received since the request went out, when it is not 0
   * (Modbus Messaging on TCP/IP v1.0b §3.1.3; modbus-serial does not look at it). A frame of another protocol on the
   * port is not a Modbus reply, whatever its registers would read as.
   */
  private foreignProtocolId(): number | null {
    if (this.link.kind !== 'tcp' || this.rxLength < 4) return null;
    const protocolId = this.rx.readUInt16BE(2);
    return protocolId === 0 ? null : protocolId;
  }

  /**
   * Serial lines (and RTU over TCP) have no transaction id: a reply that arrives after its request timed out
   * would be taken as the answer to the next request, shifting every later read (DESIGN §4). Wait for the line
   * to go quiet, then throw away whatever is buffered before sending.
   */
  private async dropStaleBytes(client: Client): Promise<void> {
    if (this.link.kind === 'tcp') {
      this.rxLength = 0;
      return;
    }
    if (this.afterTimeout) {
      this.afterTimeout = false;
      await this.sleep(this.lateReplyWindowMs);
    }
    const quietMs = this.quietMs();
    for (let i = 0; i < 20 && Date.now() - this.lastRxAt < quietMs; i++) await this.sleep(quietMs);
    const port = (client as unknown as { _port: RawPort })._port;
    if (this.rxLength > 0 || (port._buffer && port._buffer.length > 0)) {
      this.counters.lateReplies++;
      this.strayAt = this.counters.requests;
    }
    if (port._buffer) port._buffer = Buffer.alloc(0);
    this.rxLength = 0;
  }

  private classify(error: Error & { modbusCode?: number; errno?: string }, context: RequestContext): ModbusError {
    if (typeof error.modbusCode === 'number') {
      this.counters.exceptions++;
      return new ModbusExceptionError(context, error.modbusCode);
    }
    const message = String(error.message);
    if (message === 'CRC error') {
      this.counters.crcErrors++;
      return new ModbusCrcError(context);
    }
    if (message.startsWith('Unexpected data error') || message.startsWith('Data length error')) {
      this.counters.mismatches++;
      return new ModbusReplyMismatchError(context, message);
    }
    if (message === 'Timed out' || error.errno === 'ETIMEDOUT') {
      if (this.link.kind !== 'tcp') this.afterTimeout = true;
      const mismatch = this.replyMismatch(context);
      const garbled = this.rxLength >= 4 && !crcOk(this.rx.subarray(0, this.rxLength));
      if (mismatch !== null) {
        this.counters.mismatches++;
        return new ModbusReplyMismatchError(context, mismatch);
      }
      if (garbled) {
        this.counters.crcErrors++;
        return new ModbusCrcError(context);
      }
      this.counters.timeouts++;
      return new ModbusTimeoutError(context, this.timeoutMs);
    }
    this.counters.closedErrors++;
    this.dropClient();
    return new ModbusBusClosedError(context, message);
  }

  /**
   * On a serial line modbus-serial waits for the frame it expects and times out on any other: a well-formed frame
   * (valid CRC) that came instead says what went wrong. Another unit: the unit id is wrong (or two devices share
   * it); another function code, or fewer registers than asked: the device answered something else.
   */
  private replyMismatch(context: RequestContext): string | null {
    if (this.link.kind === 'tcp' || this.rxLength < 5) return null;
    const frame = this.rx.subarray(0, this.rxLength);
    for (let end = 5; end <= frame.length; end++) {
      const crc = crc16(frame, 0, end - 2);
      if (frame[end - 2] !== (crc & 0xff) || frame[end - 1] !== crc >> 8) continue;
      const unit = frame[0]!;
      const fn = frame[1]!;
      if (unit !== context.unit) return `the reply came from unit ${unit}: check the unit id`;
      if (fn !== context.fn && fn !== (context.fn | 0x80)) return `function ${fn} answered function ${context.fn}`;
      if (fn === context.fn && frame[2] !== 2 * context.count) return `${Math.floor(frame[2]! / 2)} registers instead of ${context.count}`;
      return null;
    }
    return null;
  }

  /** Closes the link; pending requests fail. The bus cannot be used afterwards. */
  async close(): Promise<void> {
    this.closed = true;
    await this.tail;
    const client = this.client;
    this.client = null;
    if (client && client.isOpen) await new Promise<void>((resolve) => client.close(() => resolve()));
  }
}

function checkRequest(request: ReadRequest): void {
  if (!request || typeof request.device !== 'string') throw new Error('expected a read request {device, unit, fn, address, count}');
  if (!Number.isInteger(request.unit) || request.unit < 0 || request.unit > 255) throw new Error(`expected a unit id 0-255, got ${request.unit}`);
  if (request.fn !== 3 && request.fn !== 4) throw new Error(`expected function 3 or 4, got ${request.fn}`);
  if (!Number.isInteger(request.address) || request.address < 0 || request.address > 65535) throw new Error(`expected a register address 0-65535, got ${request.address}`);
  if (!Number.isInteger(request.count) || request.count < 1 || request.count > 125) throw new Error(`expected 1-125 registers per read (Modbus limit), got ${request.count}`);
}

/** The RTU frame a device sends for `words` read by `request`: unit, function, byte count, the words, CRC. */
function replyFrame(request: ReadRequest, words: Uint16Array): Buffer {
  const frame = Buffer.alloc(5 + 2 * request.count);
  frame[0] = request.unit;
  frame[1] = request.fn;
  frame[2] = 2 * request.count;
  for (let i = 0; i < request.count; i++) frame.writeUInt16BE(words[i]!, 3 + 2 * i);
  const crc = crc16(frame, 0, frame.length - 2);
  frame[frame.length - 2] = crc & 0xff;
  frame[frame.length - 1] = crc >> 8;
  return frame;
}
