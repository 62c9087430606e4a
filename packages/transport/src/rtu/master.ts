// The bus master of a cluster's RS-485 line (docs/transport.md §12): the one Modbus client on the line, in the data
// concentrator or in one member. It reads each member's outbox stream with Read Holding Registers, one piece per
// transaction, and writes every complete message to all members at once: Write Multiple Registers to unit 0. A piece
// a member did not get (it says which relay piece it expects next in every answer) is written again; a piece the
// master did not get is read again (the piece number travels in the register address and comes back in the answer).
//
// The master is trusted with delivery only. It checks that a member's messages carry that member's address (as a
// broker's ACL does), but it never signs, and what it relays is verified by signature at every member: a master that
// drops, delays or alters frames can stall the cluster, never make it accept anything.
import { performance } from 'node:perf_hooks';
import { assertAddressText, assertClusterName, isFrameKind } from '../topic.ts';
import { DEFAULT_MAX_FRAME_BYTES } from '../outgoing.ts';
import {
  BROADCAST_UNIT,
  encodeReadRequest,
  encodeWriteRequest,
  interFrameMs,
  MAX_READ_REGISTERS,
  MAX_RTU_FRAME,
  wireMs,
  type RtuFrame,
} from './frames.ts';
import {
  decodeUplinkPiece,
  encodeDownlinkPiece,
  encodeMessage,
  MAX_DOWNLINK_DATA,
  MAX_UPLINK_DATA,
  MessageAssembler,
  PieceWriter,
  UPLINK_HEADER,
  type LinkMessage,
} from './pieces.ts';
import { RtuPort } from './port.ts';

export interface BusMember {
  unit: number;
  address: string;
}

export interface ModbusRtuMasterOptions {
  cluster: string;
  path: string;
  baudRate: number;
  /** Bit times per byte on the line: 10 (8N1) or 11 (8E1, 8N2). Default 11. */
  bitsPerByte?: 10 | 11;
  /** The members on this line: unit id and address (from the cluster's configuration). */
  members: BusMember[];
  /** Time a member has to start answering, beyond the wire time of request and answer (default 250 ms). */
  responseTimeoutMs?: number;
  /**
   * Silence kept after a request that got no valid answer, before the next frame (default 100 ms): an answer that
   * comes this late is heard and dropped instead of running into the next frame (docs/transport.md §12.3).
   */
  guardMs?: number;
  /** Unanswered polls in a row before a member counts as gone (default 3). Gone members are tried one at a time,
   * one every `probeMs` (default 1000), so that a line with many absent members still serves the present ones. */
  failuresBeforeGone?: number;
  probeMs?: number;
  /** Relay pieces kept for resends (default 512, about 125 KB). */
  historyPieces?: number;
  /** Relay bytes waiting to go out above which members are read for status only, no data (default 64 KiB). */
  maxRelayBacklog?: number;
  maxFrameBytes?: number;
  /**
   * Pause after a round of polls in which nobody had anything, ms (default 20). Every frame on the line wakes every
   * drop, so a master polling an idle line flat out keeps every member's CPU busy for nothing; 20 ms is little
   * against rounds of seconds.
   */
  idlePauseMs?: number;
}

export interface RtuMasterStats {
  /** Transactions started (requests and broadcasts written). */
  requests: number;
  broadcasts: number;
  /** Requests that got no valid answer in time. */
  timeouts: number;
  /** Answers that came after their request's timeout, heard while the master kept off the line, and dropped. */
  lateAnswers: number;
  /** Frames held back while the line was not the master's: the guard after a silent timeout, a late answer heard out. */
  heldBack: number;
  /** Uplink pieces read again, relay pieces written again. */
  rereads: number;
  rebroadcasts: number;
  /** Polls answered with nothing (no data, nothing waiting). */
  idlePolls: number;
  /** Messages taken from members, and relayed. */
  messages: number;
  /** Messages refused: not under the address of the unit that sent them. */
  refused: number;
  /** Messages lost in the uplink (a member restarted mid-message, or garbage). */
  lost: number;
  bytesOut: number;
  bytesIn: number;
  garbageBytes: number;
  membersPresent: number;
}

interface MemberState extends BusMember {
  nextNum: number;
  more: number;
  /** The relay piece it expects next, as it last said (or as assumed after a broadcast). */
  relayNext: number | undefined;
  failures: number;
  gone: boolean;
  /** Registers asked for in the read still unanswered (a retry asks for the same). */
  asking: number | undefined;
  assembler: MessageAssembler;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export class ModbusRtuMaster {
  readonly cluster: string;
  readonly #port: RtuPort;
  readonly #baud: number;
  readonly #bits: number;
  readonly #gapMs: number;
  readonly #responseTimeoutMs: number;
  readonly #guardMs: number;
  /** performance.now() before which the master must not transmit: a late answer may be on the line. */
  #quietUntil = 0;
  /** The bytes of the answer being waited for go here; bytes nobody waits for hold the master off the line. */
  #awaiting: ((count: number) => void) | undefined;
  readonly #failuresBeforeGone: number;
  readonly #probeMs: number;
  readonly #historySize: number;
  readonly #maxBacklog: number;
  readonly #idlePauseMs: number;
  readonly #members: MemberState[];
  readonly #maxMessageBytes: number;
  #nextProbeAt = 0;
  readonly #relay = new PieceWriter<undefined>();
  /** Relay pieces by number, as written (register bytes), the last #historySize of them. */
  readonly #history = new Map<number, Uint8Array>();
  #head = 0;
  #turn = 0;
  #expect: { unit: number; match: (f: RtuFrame) => boolean; resolve: (f: RtuFrame | undefined) => void } | undefined;
  #loop: Promise<void> | undefined;
  #wake: (() => void) | undefined;
  #closed = false;
  readonly #stats = { requests: 0, broadcasts: 0, timeouts: 0, lateAnswers: 0, heldBack: 0, idlePolls: 0, rereads: 0, rebroadcasts: 0, messages: 0, refused: 0, lost: 0 };
  /** Called for every message relayed (a concentrator bridging to another transport, or the master's own member). */
  onMessage: (message: LinkMessage) => void = () => undefined;

  constructor(options: ModbusRtuMasterOptions) {
    assertClusterName(options.cluster);
    this.cluster = options.cluster;
    this.#baud = options.baudRate;
    this.#bits = options.bitsPerByte ?? 11;
    this.#gapMs = interFrameMs(this.#baud, this.#bits);
    this.#responseTimeoutMs = options.responseTimeoutMs ?? 250;
    this.#guardMs = options.guardMs ?? 100;
    this.#failuresBeforeGone = options.failuresBeforeGone ?? 3;
    this.#probeMs = options.probeMs ?? 1000;
    this.#historySize = options.historyPieces ?? 512;
    this.#maxBacklog = options.maxRelayBacklog ?? 64 * 1024;
    this.#idlePauseMs = options.idlePauseMs ?? 20;
    this.#maxMessageBytes = (options.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES) + 64;
    this.#members = [];
    for (const m of options.members) this.addMember(m);
    this.#port = new RtuPort({ path: options.path, baudRate: options.baudRate });
    this.#port.onFrame = (frame) => {
      const expect = this.#expect;
      if (expect && frame.unit === expect.unit && expect.match(frame)) {
        this.#expect = undefined;
        expect.resolve(frame);
      } else if (frame.kind === 'read-response' || frame.kind === 'write-response') {
        // An answer nobody waits for: it came after its timeout. The piece is read again (the same bytes).
        this.#stats.lateAnswers++;
      }
    };
    this.#port.onBytes = (count) => {
      if (this.#awaiting) this.#awaiting(count);
      // Bytes nobody asked for: a late answer is starting. Keep off the line for as long as the longest frame takes,
      // from now (more of it moves this on), and the silence after it.
      else this.#holdOff(wireMs(MAX_RTU_FRAME, this.#baud, this.#bits) + this.#gapMs);
    };
  }

  /** Opens the port and starts polling. */
  async start(): Promise<void> {
    await this.#port.start();
    this.#loop = this.#run();
  }

  /** Adds a member to the poll list (a meter plugged into the line). */
  addMember(member: BusMember): void {
    if (!Number.isInteger(member.unit) || member.unit < 1 || member.unit > 247) throw new RangeError(`modbus rtu master: expected unit ids in 1..247, got ${member.unit}`);
    if (this.#members.some((m) => m.unit === member.unit)) throw new RangeError(`modbus rtu master: unit ${member.unit} is given twice`);
    assertAddressText(member.address);
    this.#members.push({ unit: member.unit, address: member.address, nextNum: 0, more: 0, relayNext: undefined, failures: 0, gone: false, asking: undefined, assembler: new MessageAssembler(this.#maxMessageBytes) });
    this.#wake?.();
  }

  /**
   * Writes a message to every member as if `from` had sent it (a concentrator bridging from a broker; tests). False,
   * and nothing queued, while the relay holds more than 4 times `maxRelayBacklog`: the line is slower than what comes.
   */
  inject(kind: string, from: string, payload: Uint8Array): boolean {
    if (!isFrameKind(kind)) throw new TypeError(`modbus rtu master: expected a frame kind, got ${JSON.stringify(kind)}`);
    assertAddressText(from);
    if (this.#relay.pendingBytes > 4 * this.#maxBacklog) return false;
    this.#relay.push(encodeMessage({ kind, from, payload: payload.slice() }), undefined);
    this.#wake?.();
    return true;
  }

  /** The addresses of the members on this line. */
  get addresses(): string[] {
    return this.#members.map((m) => m.address);
  }

  /** Members answering polls now. */
  get present(): number {
    return this.#members.filter((m) => !m.gone && m.failures === 0).length;
  }

  stats(): RtuMasterStats {
    const c = this.#port.counters;
    return { ...this.#stats, bytesOut: c.bytesOut, bytesIn: c.bytesIn, garbageBytes: c.garbageBytes, membersPresent: this.present };
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#wake?.();
    this.#expect?.resolve(undefined);
    await this.#loop;
    await this.#port.close();
  }

  // ---- the schedule: at most one relay write, then one poll, over and over ----

  async #run(): Promise<void> {
    let idleRound = 0;
    while (!this.#closed) {
      if (!this.#port.isOpen) {
        await sleep(50);
        continue;
      }
      let busy = await this.#relayStep();
      const member = this.#nextMember();
      if (member) busy = (await this.#poll(member)) || busy;
      if (this.#closed) return;
      if (busy) idleRound = 0;
      else if (++idleRound >= Math.max(1, this.#members.filter((m) => !m.gone).length)) {
        idleRound = 0;
        await this.#pause(member ? this.#idlePauseMs : 20);
      }
    }
  }

  async #pause(ms: number): Promise<void> {
    if (ms <= 0) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(done, ms);
      function done(): void {
        clearTimeout(timer);
        resolve();
      }
      this.#wake = done;
    });
    this.#wake = undefined;
  }

  #nextMember(): MemberState | undefined {
    const now = performance.now();
    const probe = now >= this.#nextProbeAt;
    for (let i = 0; i < this.#members.length; i++) {
      const m = this.#members[(this.#turn + i) % this.#members.length]!;
      if (m.gone && !probe) continue;
      if (m.gone) this.#nextProbeAt = now + this.#probeMs;
      this.#turn = (this.#turn + i + 1) % this.#members.length;
      return m;
    }
    return undefined;
  }

  /** Rewrites the oldest relay piece a member still lacks, else writes the next new one. True if it wrote. */
  async #relayStep(): Promise<boolean> {
    let oldest: number | undefined;
    let oldestBehind = 0;
    for (const m of this.#members) {
      if (m.gone || m.relayNext === undefined) continue;
      const behind = (this.#head - m.relayNext) & 0xffff;
      if (behind === 0) continue;
      if (behind > this.#history.size) {
        // Further behind than the history: move it on to the newest piece (what it missed is lost to it; the
        // consensus layer's catch-up fetches what matters).
        await this.#jump(m);
        return true;
      }
      if (behind > oldestBehind) {
        oldestBehind = behind;
        oldest = m.relayNext;
      }
    }
    if (oldest !== undefined) {
      // A broadcast again rather than a write to one member: the members that have it ignore it, and noise on a
      // line tends to cost every drop the same piece.
      await this.#broadcast(oldest, this.#history.get(oldest)!);
      this.#stats.rebroadcasts++;
      // Members keep the pieces after a missing one: assume this one fills their gap until their next answer says.
      for (const m of this.#members) if (m.relayNext === oldest) m.relayNext = this.#head;
      await this.#afterBroadcast(this.#history.get(oldest)!.length);
      return true;
    }
    if (this.#relay.pendingBytes === 0) return false;
    const { piece, consumed } = this.#relay.take(MAX_DOWNLINK_DATA);
    this.#relay.commit(consumed);
    const num = this.#head;
    const data = encodeDownlinkPiece(piece);
    this.#history.set(num, data);
    this.#history.delete((num - this.#historySize) & 0xffff);
    this.#head = (num + 1) & 0xffff;
    await this.#broadcast(num, data);
    for (const m of this.#members) if (m.relayNext === num) m.relayNext = this.#head;
    await this.#afterBroadcast(data.length);
    return true;
  }

  async #broadcast(num: number, data: Uint8Array): Promise<void> {
    await this.#keepOff();
    this.#port.write(encodeWriteRequest(BROADCAST_UNIT, num, data));
    this.#stats.broadcasts++;
  }

  /** The line may carry a late answer until `ms` from now: no frame goes out before then. */
  #holdOff(ms: number): void {
    this.#quietUntil = Math.max(this.#quietUntil, performance.now() + ms);
  }

  /** Waits until the line is the master's again (§12.3: a late answer is heard out, never talked over). */
  async #keepOff(): Promise<void> {
    let waitMs = this.#quietUntil - performance.now();
    if (waitMs > 0) this.#stats.heldBack++;
    while (waitMs > 0 && !this.#closed) {
      await sleep(waitMs);
      waitMs = this.#quietUntil - performance.now();
    }
  }

  /** Nobody answers a broadcast: the line is free once its bytes are out and the silence after them has passed. */
  async #afterBroadcast(dataBytes: number): Promise<void> {
    await sleep(wireMs(9 + dataBytes, this.#baud, this.#bits) + this.#gapMs);
  }

  async #jump(m: MemberState): Promise<void> {
    const num = (this.#head - 1) & 0xffff;
    const data = this.#history.get(num);
    if (!data) {
      m.relayNext = this.#head;
      return;
    }
    const answer = await this.#transact(m.unit, encodeWriteRequest(m.unit, num, data), 8, this.#responseTimeoutMs, (f) => f.kind === 'write-response' && f.address === num);
    if (answer) m.relayNext = this.#head;
  }

  /** Reads one piece of a member's outbox stream. True if the member had something (or we must come back soon). */
  async #poll(m: MemberState): Promise<boolean> {
    const backlogged = this.#relay.pendingBytes > this.#maxBacklog;
    const want = backlogged || m.more === 0 ? UPLINK_HEADER : UPLINK_HEADER + Math.min(m.more, MAX_UPLINK_DATA);
    // A piece asked for again is asked for at the same size: the member answers with the very same bytes.
    const quantity = m.asking ?? Math.min(MAX_READ_REGISTERS, Math.ceil(want / 2));
    m.asking = quantity;
    const num = m.nextNum;
    // A gone member gets the full time too: one that is back may answer as slowly as any (50 ms left members on a
    // loaded machine gone for good).
    const waitMs = this.#responseTimeoutMs;
    const answer = await this.#transact(m.unit, encodeReadRequest(m.unit, num, quantity), 5 + quantity * 2, waitMs, (f) => f.kind === 'read-response' && f.data.length === quantity * 2 && f.data[0] === num >> 8 && f.data[1] === (num & 0xff));
    if (this.#closed) return false;
    if (!answer || answer.kind !== 'read-response') {
      m.failures++;
      this.#stats.timeouts++;
      if (!m.gone) this.#stats.rereads++;
      if (m.failures >= this.#failuresBeforeGone) m.gone = true;
      return !m.gone;
    }
    const decoded = decodeUplinkPiece(answer.data);
    if (!decoded.ok) {
      m.failures++;
      return true;
    }
    // Back from gone or not, an answer to the number asked for continues the stream where it was; a member that
    // restarted starts a message afresh, and the assembler drops the partial one at that start.
    m.failures = 0;
    m.gone = false;
    m.asking = undefined;
    m.nextNum = (num + 1) & 0xffff;
    const piece = decoded.piece;
    m.more = piece.more;
    m.relayNext = piece.relayNext;
    for (const result of m.assembler.push(piece)) {
      if (!result.ok) {
        this.#stats.lost++;
        continue;
      }
      if (result.message.from !== m.address) {
        this.#stats.refused++;
        continue;
      }
      this.#stats.messages++;
      this.#relay.push(encodeMessage(result.message), undefined);
      try {
        this.onMessage(result.message);
      } catch {
        // A bridge's failure is its own; the line goes on.
      }
    }
    const busy = piece.data.length > 0 || piece.more > 0;
    if (!busy) this.#stats.idlePolls++;
    return busy;
  }

  /** Writes a request and waits for the answer that `match` accepts, or for the timeout. */
  async #transact(unit: number, request: Uint8Array, answerBytes: number, waitMs: number, match: (f: RtuFrame) => boolean): Promise<RtuFrame | undefined> {
    await this.#keepOff();
    if (this.#closed) return undefined;
    this.#stats.requests++;
    const timeoutMs = wireMs(request.length + answerBytes, this.#baud, this.#bits) + waitMs;
    let received = 0;
    let sent = false;
    const answer = await new Promise<RtuFrame | undefined>((resolve) => {
      let giveUp: NodeJS.Timeout | undefined;
      const timer = setTimeout(() => done(undefined), timeoutMs);
      const done = (f: RtuFrame | undefined): void => {
        clearTimeout(timer);
        clearTimeout(giveUp);
        this.#awaiting = undefined;
        if (this.#expect?.resolve === done) this.#expect = undefined;
        resolve(f);
      };
      // As many bytes as the answer has came in and none of it made the answer (its CRC failed): no need to wait
      // out the timeout, only the few characters a longer frame could still need.
      this.#awaiting = (count) => {
        received += count;
        if (received >= answerBytes && giveUp === undefined) giveUp = setTimeout(() => done(undefined), Math.max(2, wireMs(4, this.#baud, this.#bits)));
      };
      this.#expect = { unit, match, resolve: done };
      sent = this.#port.write(request);
      if (!sent) done(undefined);
    });
    // Not a byte came back: the answer may still come, late (a member whose process was held up). The guard lets it
    // be heard out instead of meeting the next frame; a member that hears the next frame first stays silent
    // (member.ts). A damaged answer was the member's answer: nothing more comes after it.
    if (!answer && sent && received === 0) this.#holdOff(this.#guardMs);
    // The silence that ends the answer before the next request (Modbus over serial line §2.5.1.1).
    await sleep(this.#gapMs);
    return answer;
  }
}
