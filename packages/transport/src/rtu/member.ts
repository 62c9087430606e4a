// The Modbus RTU transport: a cluster member on an RS-485 line, a Modbus server (slave) at its unit id. The bus
// master reads its outbox stream with Read Holding Registers and writes the relay stream (every member's frames)
// to unit 0; docs/transport.md §12 has the link. Frames go through the on-disk spool as with MQTT: publish()
// resolves when a frame is durable, and a frame counts as acknowledged once the master has read its last piece.
import { assertAddressText, assertClusterName, filterTopic, frameTopic, parseFrameTopic, TOPIC_ROOT, type FrameFilter } from '../topic.ts';
import { TransportEmitter } from '../events.ts';
import { Inbox, newCounters, type Counters, type LocalSubscription } from '../inbox.ts';
import { DEFAULT_MAX_FRAME_BYTES } from '../outgoing.ts';
import { Spool, type FsyncPolicy, type SpoolRecord } from '../spool.ts';
import { SpooledOutbox } from '../spooled.ts';
import {
  TransportClosedError,
  type FrameHandler,
  type PublishOptions,
  type PublishReceipt,
  type Subscription,
  type Transport,
  type TransportEventName,
  type TransportEvents,
  type TransportStats,
} from '../transport.ts';
import { BROADCAST_UNIT, encodeException, encodeReadResponse, encodeWriteResponse, type RtuFrame } from './frames.ts';
import {
  decodeDownlinkPiece,
  encodeMessage,
  encodeUplinkPiece,
  MAX_UPLINK_DATA,
  MessageAssembler,
  PieceWriter,
  UPLINK_HEADER,
  type AssembledMessage,
  type Piece,
} from './pieces.ts';
import { RtuPort } from './port.ts';

export interface ModbusRtuTransportOptions {
  cluster: string;
  address: string;
  /** This member's Modbus unit id on the line (1..247), as the bus master's member table has it. */
  unit: number;
  /** The serial port of the RS-485 adapter (or a pty of a simulated line). */
  path: string;
  baudRate: number;
  spoolDir: string;
  fsync?: FsyncPolicy;
  spoolMaxBytes?: number;
  maxFrameBytes?: number;
  /** Without a poll for this long the member counts itself disconnected (default 2000 ms). */
  pollTimeoutMs?: number;
  now?: () => number;
}

/** What the member saw of the line, for the operator (meterchain_rtu_* metrics, the demo's line figures). */
export interface RtuMemberLinkStats {
  polls: number;
  /** Requests left unanswered because the line carried something after them: the master had given up waiting (§12.3). */
  staleRequests: number;
  /** Pieces read again by the master (a lost or damaged answer). */
  resentPieces: number;
  /** Relay pieces taken, and relay pieces that went missing before a resend filled them. */
  relayPieces: number;
  relayGaps: number;
  /** Messages of the relay stream cut short or damaged (their pieces went missing). */
  lostMessages: number;
  bytesIn: number;
  bytesOut: number;
  garbageBytes: number;
}

const EXCEPTION_ILLEGAL_DATA_VALUE = 3;
const REFILL_MESSAGES = 8;
/** Relay pieces kept ahead of a missing one (at most 64 × 244 bytes). */
const RELAY_WINDOW = 64;

interface Outgoing {
  record: SpoolRecord;
}

export class ModbusRtuTransport implements Transport {
  readonly cluster: string;
  readonly address: string;
  readonly unit: number;
  readonly #spool: Spool;
  readonly #port: RtuPort;
  readonly #maxFrameBytes: number;
  readonly #pollTimeoutMs: number;
  readonly #events = new TransportEmitter();
  readonly #counters: Counters = newCounters();
  readonly #inbox: Inbox;
  readonly #outbox: SpooledOutbox;
  readonly #writer = new PieceWriter<Outgoing>();
  readonly #assembler: MessageAssembler;
  readonly #link = { polls: 0, staleRequests: 0, resentPieces: 0, relayPieces: 0, relayGaps: 0, lostMessages: 0 };
  /** The uplink piece last handed to the master, until it asks for the next number. */
  #current: { num: number; consumed: number; quantity: number; encoded: Uint8Array } | undefined;
  #relayNext: number | undefined;
  readonly #ahead = new Map<number, Piece>();
  #refilling = false;
  #refillAgain = false;
  #connected = false;
  #everConnected = false;
  #lastPollAt = Date.now();
  #watchdog: NodeJS.Timeout | undefined;
  #closed = false;

  private constructor(options: ModbusRtuTransportOptions, spool: Spool) {
    this.cluster = options.cluster;
    this.address = options.address;
    this.unit = options.unit;
    this.#spool = spool;
    this.#maxFrameBytes = options.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES;
    this.#outbox = new SpooledOutbox(spool, this.#maxFrameBytes, this.#counters, this.#events, options.now);
    this.#pollTimeoutMs = options.pollTimeoutMs ?? 2000;
    this.#assembler = new MessageAssembler(this.#maxFrameBytes);
    this.#inbox = new Inbox(this.cluster, this.#events, this.#counters);
    this.#port = new RtuPort({ path: options.path, baudRate: options.baudRate });
    this.#port.onFrame = (frame, heardAfter) => this.#onFrame(frame, heardAfter);
    this.#port.onLost = (reason) => this.#setConnected(false, reason);
    spool.onWritten = () => this.#refill();
  }

  /** Opens the spool and the serial port; resolves without waiting for the master's first poll. */
  static async open(options: ModbusRtuTransportOptions): Promise<ModbusRtuTransport> {
    assertClusterName(options.cluster);
    assertAddressText(options.address);
    if (!Number.isInteger(options.unit) || options.unit < 1 || options.unit > 247) throw new RangeError(`modbus rtu: expected a unit id in 1..247, got ${options.unit}`);
    const spool = await Spool.open({ dir: options.spoolDir, fsync: options.fsync, maxBytes: options.spoolMaxBytes, now: options.now });
    let transport: ModbusRtuTransport;
    try {
      transport = new ModbusRtuTransport(options, spool);
    } catch (error) {
      await spool.close();
      throw error;
    }
    await transport.#port.start();
    transport.#watchdog = setInterval(() => transport.#checkPolled(), Math.max(50, Math.floor(transport.#pollTimeoutMs / 4)));
    transport.#refill();
    return transport;
  }

  get connected(): boolean {
    return this.#connected;
  }

  get incarnation(): number {
    return this.#outbox.incarnation;
  }

  async publish(kind: string, frame: Uint8Array, options?: PublishOptions): Promise<PublishReceipt> {
    if (this.#closed) throw new TransportClosedError('publish()');
    return this.#outbox.publish(frameTopic(this.cluster, kind, this.address), kind, frame, options);
  }

  async subscribe(filter: FrameFilter, handler: FrameHandler): Promise<Subscription> {
    if (this.#closed) throw new TransportClosedError('subscribe()');
    filterTopic(this.cluster, filter);
    // The line carries one cluster's frames: another cluster's never come.
    if (filter.cluster !== undefined && filter.cluster !== this.cluster) throw new TypeError(`transport: an RS-485 member reads only its own cluster, not '${filter.cluster}'`);
    const local = this.#inbox.add(filter, handler);
    return { filter: { ...local.filter }, unsubscribe: async () => this.#unsubscribe(local) };
  }

  async flushed(timeoutMs = 30_000): Promise<void> {
    await this.#outbox.flushed(timeoutMs, this.#closed);
  }

  on<E extends TransportEventName>(event: E, listener: (payload: TransportEvents[E]) => void): () => void {
    return this.#events.on(event, listener);
  }

  stats(): TransportStats {
    return this.#outbox.stats();
  }

  linkStats(): RtuMemberLinkStats {
    const c = this.#port.counters;
    return { ...this.#link, bytesIn: c.bytesIn, bytesOut: c.bytesOut, garbageBytes: c.garbageBytes };
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    clearInterval(this.#watchdog);
    this.#watchdog = undefined;
    this.#connected = false;
    await this.#port.close();
    this.#inbox.clear();
    await this.#outbox.close();
    this.#events.clear();
  }

  // ---- the line ----

  #onFrame(frame: RtuFrame, heardAfter: boolean): void {
    if (this.#closed) return;
    // A request followed by anything on the line is one its master gave up on: answering it now would talk over
    // whatever came after (§12.3, late answers). Its effects still count; only the answer stays unsaid.
    const answer = (bytes: Uint8Array): void => {
      if (heardAfter) this.#link.staleRequests++;
      else this.#port.write(bytes);
    };
    if (frame.kind === 'read-request' && frame.unit === this.unit) this.#answerPoll(frame.address, frame.quantity, answer);
    else if (frame.kind === 'write-request' && (frame.unit === this.unit || frame.unit === BROADCAST_UNIT)) this.#takeRelay(frame.unit, frame.address, frame.data, answer);
  }

  #answerPoll(num: number, quantity: number, answer: (bytes: Uint8Array) => void): void {
    if (quantity * 2 < UPLINK_HEADER) {
      answer(encodeException(this.unit, 0x03, EXCEPTION_ILLEGAL_DATA_VALUE));
      return;
    }
    this.#link.polls++;
    this.#lastPollAt = Date.now();
    this.#setConnected(true, '');
    const current = this.#current;
    if (current && num === current.num) {
      // The master did not take this piece (lost, damaged, or too late): the very same bytes again. Building it
      // afresh could put more in it, and a late copy of the first answer may be the one the master takes.
      if (current.consumed > 0) this.#link.resentPieces++;
      if (current.quantity === quantity) {
        answer(current.encoded);
        return;
      }
      if (current.consumed > 0) {
        answer(encodeException(this.unit, 0x03, EXCEPTION_ILLEGAL_DATA_VALUE));
        return;
      }
    } else if (current && num === ((current.num + 1) & 0xffff)) {
      // Asking for the next number acknowledges the last piece.
      this.#acknowledge(this.#writer.commit(current.consumed));
    } else {
      // The master lost track of this stream (it restarted, or this member did): the message in progress starts over.
      this.#writer.restartHead();
    }
    const maxData = Math.min(MAX_UPLINK_DATA, quantity * 2 - UPLINK_HEADER);
    const { piece, consumed } = this.#writer.take(maxData);
    const more = this.#writer.pendingBytes - consumed + (this.#spool.hasUnsent ? MAX_UPLINK_DATA : 0);
    const encoded = encodeReadResponse(this.unit, encodeUplinkPiece({ num, relayNext: this.#relayNext, more, start: piece.start, data: piece.data }, quantity));
    this.#current = { num, consumed, quantity, encoded };
    answer(encoded);
    if (this.#writer.length < REFILL_MESSAGES) this.#refill();
  }

  #acknowledge(done: Outgoing[]): void {
    for (const o of done) this.#outbox.acknowledged(o.record);
    if (done.length > 0) this.#outbox.settled();
  }

  #takeRelay(unit: number, num: number, data: Uint8Array, answer: (bytes: Uint8Array) => void): void {
    const decoded = decodeDownlinkPiece(data);
    if (unit !== BROADCAST_UNIT) answer(decoded.ok ? encodeWriteResponse(this.unit, num, data.length / 2) : encodeException(this.unit, 0x10, EXCEPTION_ILLEGAL_DATA_VALUE));
    if (!decoded.ok) return;
    if (unit === BROADCAST_UNIT && this.#relayNext !== undefined && num !== this.#relayNext) {
      // Ahead of a piece this member missed: kept until the master writes the missing one again (it learns which
      // from this member's next poll answer), so one lost piece costs one resend, not every piece after it.
      const ahead = (num - this.#relayNext) & 0xffff;
      if (ahead < RELAY_WINDOW && !this.#ahead.has(num)) this.#ahead.set(num, decoded.piece);
      return;
    }
    if (unit === BROADCAST_UNIT && this.#relayNext === undefined) {
      // The first piece this member hears: it joins the stream here.
      this.#assembler.lose();
    } else if (unit !== BROADCAST_UNIT && num !== this.#relayNext) {
      // The master moved this member on past pieces it no longer holds.
      this.#link.relayGaps++;
      this.#ahead.clear();
      if (this.#assembler.lose()) this.#link.lostMessages++;
    }
    this.#takePiece(num, decoded.piece);
    let next = this.#ahead.get(this.#relayNext!);
    while (next !== undefined) {
      this.#ahead.delete(this.#relayNext!);
      this.#takePiece(this.#relayNext!, next);
      next = this.#ahead.get(this.#relayNext!);
    }
    // Pieces the stream has moved past (a jump) are of no use any more.
    for (const key of [...this.#ahead.keys()]) if (((key - this.#relayNext!) & 0xffff) >= RELAY_WINDOW) this.#ahead.delete(key);
  }

  #takePiece(num: number, piece: Piece): void {
    this.#relayNext = (num + 1) & 0xffff;
    this.#link.relayPieces++;
    for (const result of this.#assembler.push(piece)) this.#deliver(result);
  }

  #deliver(result: AssembledMessage): void {
    if (!result.ok) {
      this.#link.lostMessages++;
      this.#counters.malformed++;
      this.#events.emit('malformed', { topic: `modbus-rtu unit ${this.unit}`, reason: result.reason });
      return;
    }
    const { kind, from, payload } = result.message;
    this.#inbox.accept(`${TOPIC_ROOT}/${this.cluster}/${kind}/${from}`, payload);
  }

  #checkPolled(): void {
    const silentMs = Date.now() - this.#lastPollAt;
    if (silentMs <= this.#pollTimeoutMs) return;
    if (this.#connected) this.#setConnected(false, `no poll from the bus master for ${this.#pollTimeoutMs} ms`);
    // The cable may have been pulled and plugged back: a fresh open of the path finds the port behind it now.
    if (silentMs > 2 * this.#pollTimeoutMs) {
      this.#lastPollAt = Date.now() - this.#pollTimeoutMs - 1;
      this.#port.reopen();
    }
  }

  #setConnected(connected: boolean, reason: string): void {
    if (this.#closed || this.#connected === connected) return;
    this.#connected = connected;
    if (connected) {
      if (this.#everConnected) this.#counters.reconnects++;
      this.#everConnected = true;
      this.#events.emit('connect', { protocolVersion: 0, sessionPresent: false });
    } else {
      this.#events.emit('disconnect', { reason });
    }
  }

  // ---- the outbox ----

  #refill(): void {
    if (this.#refilling) {
      this.#refillAgain = true;
      return;
    }
    this.#refilling = true;
    void this.#refillLoop()
      .catch((error: unknown) => this.#events.emit('error', { error: error instanceof Error ? error : new Error(String(error)) }))
      .finally(() => {
        this.#refilling = false;
        if (this.#refillAgain && !this.#closed) {
          this.#refillAgain = false;
          this.#refill();
        }
      });
  }

  async #refillLoop(): Promise<void> {
    while (!this.#closed && this.#writer.length < REFILL_MESSAGES && this.#spool.hasUnsent) {
      const records = await this.#outbox.take(REFILL_MESSAGES - this.#writer.length);
      if (this.#closed) return;
      for (const record of records) {
        const parsed = parseFrameTopic(record.topic);
        if (!parsed.ok || parsed.cluster !== this.cluster) {
          // Spooled for another cluster by an earlier configuration: nobody on this line may take it.
          this.#outbox.refused(record);
          continue;
        }
        this.#writer.push(encodeMessage({ kind: parsed.kind, from: parsed.from, payload: record.payload }), { record });
      }
    }
  }

  async #unsubscribe(local: LocalSubscription): Promise<void> {
    this.#inbox.remove(local);
  }
}

export function openModbusRtuTransport(options: ModbusRtuTransportOptions): Promise<ModbusRtuTransport> {
  return ModbusRtuTransport.open(options);
}
