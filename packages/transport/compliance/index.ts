// @meterchain/transport/compliance: the shared Transport suite. Every implementation (in-memory hub, MQTT over
// Mosquitto, a Modbus transport to come) passes these tests. Usage, in a Jest test file of the implementation:
//   transportSuite('my transport', async () => harness)
// It runs under Jest (the caller's @jest/globals), like the suites STYLE 2 follows (libp2p's compliance tests).
import { afterAll, afterEach, beforeAll, describe, expect, test as jestTest } from '@jest/globals';
import { encodeFramed, frameTopic, type Delivery, type Transport, type TransportEvents } from '../src/index.ts';

export interface TransportHarness {
  cluster: string;
  /** Member addresses the implementation can open transports for: at least 64 (each test takes unused ones). */
  addresses: string[];
  /** Opens a transport for `address`, resolved once it is connected. */
  open(address: string): Promise<Transport>;
  /** Publishes `payload` exactly as given (no header added) on the topic of `address`'s `kind` frames. */
  injectRaw(kind: string, address: string, payload: Uint8Array): Promise<void>;
  teardown(): Promise<void>;
}

export interface TransportSuiteOptions {
  /**
   * The size of the large-frame test (default 1 MiB). A serial line moves a 1 MiB frame in minutes (about 3 at
   * 115,200 baud, twice over: in and relayed), so a line-bound transport names the largest frame it is meant to carry.
   */
  largeFrameBytes?: number;
  /**
   * How many times longer than a broker this transport may take to deliver (default 1): every wait for a frame, every
   * pause that lets in-flight frames land before checking that nothing more arrived, and every test's time limit are
   * scaled by it. A serial line polled by one master is slower than a broker, and its figures belong in the bench.
   */
  timeScale?: number;
}

/** A member address for tests: "mc" + 40 hex digits derived from `i`. */
export function testAddress(i: number): string {
  return 'mc' + (i + 1).toString(16).padStart(8, '0').repeat(5);
}

/** Polls `condition` every 5 ms until it holds or `timeoutMs` passes (then throws, naming `what`). */
export async function waitFor(condition: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** Lets in-flight messages land: a short real-time pause (no condition can say "nothing more will arrive"). */
export function settle(ms = 150): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

function bytes(...values: number[]): Uint8Array {
  return new Uint8Array(values);
}

function seqs(deliveries: Delivery[]): number[] {
  return deliveries.map((d) => d.seq);
}

function resourceCounts(): Map<string, number> {
  const counts = new Map<string, number>();
  for (const r of process.getActiveResourcesInfo()) counts.set(r, (counts.get(r) ?? 0) + 1);
  return counts;
}

export function transportSuite(name: string, factory: () => Promise<TransportHarness>, options: TransportSuiteOptions = {}): void {
  const scale = options.timeScale ?? 1;
  const wait = (condition: () => boolean, what: string, timeoutMs = 5000): Promise<void> => waitFor(condition, what, timeoutMs * scale);
  const pause = (ms = 150): Promise<void> => settle(ms * scale);
  const test = (title: string, fn: () => Promise<void>, timeoutMs = 30_000): void => jestTest(title, fn, timeoutMs * scale);
  describe(`Transport suite: ${name}`, () => {
    let h: TransportHarness;
    let opened: Transport[] = [];
    let nextAddress = 0;

    beforeAll(async () => {
      h = await factory();
    });
    afterAll(async () => {
      await h?.teardown();
    });
    afterEach(async () => {
      await Promise.all(opened.map((t) => t.close()));
      opened = [];
    });

    /** Each test takes addresses no earlier test used, so no broker session (with frames queued for it) and no
     * incarnation carries over from one test to the next. */
    function freshAddresses(n: number): string[] {
      if (nextAddress + n > h.addresses.length) throw new Error(`transport suite: the harness provides ${h.addresses.length} addresses; the suite needs more`);
      const out = h.addresses.slice(nextAddress, nextAddress + n);
      nextAddress += n;
      return out;
    }

    async function open(address: string): Promise<Transport> {
      const t = await h.open(address);
      opened.push(t);
      return t;
    }

    async function collector(t: Transport, filter: { kind?: string; from?: string } = {}): Promise<Delivery[]> {
      const got: Delivery[] = [];
      await t.subscribe(filter, (d) => got.push(d));
      return got;
    }

    test('a published frame reaches a subscriber with its kind, publisher, sequence number and bytes', async () => {
      const [a, b] = freshAddresses(2) as [string, string];
      const receiver = await open(a);
      const sender = await open(b);
      const got = await collector(receiver, { kind: 'sub' });
      const receipt = await sender.publish('sub', bytes(1, 2, 3));
      await wait(() => got.length === 1, 'the frame');
      expect(receipt.seq).toBe(1);
      expect(got[0]).toMatchObject({ cluster: h.cluster, kind: 'sub', from: b, seq: 1, incarnation: receipt.incarnation, missed: 0, late: false });
      expect(Array.from(got[0]!.frame)).toEqual([1, 2, 3]);
    });

    test('an open transport reports itself connected', async () => {
      const [a] = freshAddresses(1) as [string];
      const t = await open(a);
      expect(t.connected).toBe(true);
      expect(t.address).toBe(a);
      expect(t.cluster).toBe(h.cluster);
    });

    test('the caller may reuse its buffer as soon as publish() returned', async () => {
      const [a, b] = freshAddresses(2) as [string, string];
      const receiver = await open(a);
      const sender = await open(b);
      const got = await collector(receiver);
      const buffer = bytes(7, 7, 7);
      const sent = sender.publish('sub', buffer);
      buffer.fill(0);
      await sent;
      await wait(() => got.length === 1, 'the frame');
      expect(Array.from(got[0]!.frame)).toEqual([7, 7, 7]);
    });

    test("frames of one publisher arrive in the order published, numbered 1, 2, 3, ... per kind", async () => {
      const [a, b] = freshAddresses(2) as [string, string];
      const receiver = await open(a);
      const sender = await open(b);
      const got = await collector(receiver);
      const sends: Array<Promise<unknown>> = [];
      for (let i = 0; i < 200; i++) sends.push(sender.publish(i % 4 === 3 ? 'vote' : 'sub', bytes(i & 0xff, i >> 8)));
      await Promise.all(sends);
      await wait(() => got.length === 200, '200 frames');
      expect(got.map((d) => d.frame[0]! | (d.frame[1]! << 8))).toEqual(Array.from({ length: 200 }, (_, i) => i));
      expect(seqs(got.filter((d) => d.kind === 'vote'))).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
      expect(seqs(got.filter((d) => d.kind === 'sub'))).toEqual(Array.from({ length: 150 }, (_, i) => i + 1));
      expect(got.every((d) => d.missed === 0)).toBe(true);
    });

    test('a duplicate frame is delivered once and reported', async () => {
      const [a, b] = freshAddresses(2) as [string, string];
      const receiver = await open(a);
      const got = await collector(receiver, { from: b });
      const duplicates: Array<TransportEvents['duplicate']> = [];
      receiver.on('duplicate', (e) => duplicates.push(e));
      await h.injectRaw('vote', b, encodeFramed({ incarnation: 5, seq: 1 }, bytes(1)));
      await h.injectRaw('vote', b, encodeFramed({ incarnation: 5, seq: 2 }, bytes(2)));
      await h.injectRaw('vote', b, encodeFramed({ incarnation: 5, seq: 2 }, bytes(2)));
      await h.injectRaw('vote', b, encodeFramed({ incarnation: 5, seq: 3 }, bytes(3)));
      await wait(() => got.length === 3 && duplicates.length === 1, 'three frames and one duplicate');
      await pause();
      expect(seqs(got)).toEqual([1, 2, 3]);
      expect(duplicates).toEqual([{ from: b, kind: 'vote', incarnation: 5, seq: 2, reason: 'duplicate' }]);
      expect(receiver.stats().duplicates).toBe(1);
    });

    test('a gap in the sequence is reported and the next frame says how many were missed', async () => {
      const [a, b] = freshAddresses(2) as [string, string];
      const receiver = await open(a);
      const got = await collector(receiver, { from: b });
      const gaps: Array<TransportEvents['gap']> = [];
      receiver.on('gap', (e) => gaps.push(e));
      for (const seq of [1, 2, 5]) await h.injectRaw('sub', b, encodeFramed({ incarnation: 9, seq }, bytes(seq)));
      await wait(() => got.length === 3, 'three frames');
      expect(got.map((d) => [d.seq, d.missed])).toEqual([[1, 0], [2, 0], [5, 2]]);
      expect(gaps).toEqual([{ from: b, kind: 'sub', incarnation: 9, firstMissing: 3, lastMissing: 4 }]);
      expect(receiver.stats()).toMatchObject({ gaps: 1, missed: 2 });
    });

    test('a frame that arrives after its gap was reported is delivered once, marked late', async () => {
      const [a, b] = freshAddresses(2) as [string, string];
      const receiver = await open(a);
      const got = await collector(receiver, { from: b });
      for (const seq of [1, 3, 2, 2]) await h.injectRaw('sub', b, encodeFramed({ incarnation: 9, seq }, bytes(seq)));
      await wait(() => got.length === 3, 'three frames');
      await pause();
      expect(got.map((d) => [d.seq, d.missed, d.late])).toEqual([[1, 0, false], [3, 1, false], [2, 0, true]]);
    });

    test('a newer incarnation restarts the stream; a frame of an older one is still delivered, marked late', async () => {
      const [a, b] = freshAddresses(2) as [string, string];
      const receiver = await open(a);
      const got = await collector(receiver, { from: b });
      await h.injectRaw('sub', b, encodeFramed({ incarnation: 10, seq: 7 }, bytes(1)));
      await h.injectRaw('sub', b, encodeFramed({ incarnation: 11, seq: 1 }, bytes(2)));
      await h.injectRaw('sub', b, encodeFramed({ incarnation: 10, seq: 8 }, bytes(3)));
      await wait(() => got.length === 3, 'three frames');
      expect(got.map((d) => [d.incarnation, d.seq, d.missed, d.late])).toEqual([[10, 7, 0, false], [11, 1, 0, false], [10, 8, 0, true]]);
    });

    // The header is not signed, so anyone who can put a payload on a member's topic (a broker, a login the ACL does
    // not hold to its own address, a replay) can write any incarnation and number into it. What it sends may be
    // delivered (the consensus layer rejects it by signature, as any forgery); the member's own frames must still be.
    test("a forged frame with incarnation 0xFFFFFFFF under a member's address does not silence that member", async () => {
      const [a, b] = freshAddresses(2) as [string, string];
      const receiver = await open(a);
      const sender = await open(b);
      const got = await collector(receiver, { from: b });
      const first = await sender.publish('vote', bytes(1));
      await wait(() => got.length === 1, 'the first real frame');
      const forged = encodeFramed({ incarnation: 0xffffffff, seq: 1 }, new Uint8Array(30));
      expect(forged.length).toBe(42);
      await h.injectRaw('vote', b, forged);
      // Forged first on another kind: the stream's first frame is the forgery.
      await h.injectRaw('sub', b, forged);
      await wait(() => got.length === 3, 'the forged frames');
      await sender.publish('vote', bytes(2));
      await sender.publish('vote', bytes(3));
      await sender.publish('sub', bytes(4));
      await wait(() => got.filter((d) => d.incarnation === first.incarnation).length === 4, "the member's later frames", 10_000);
      const real = got.filter((d) => d.incarnation === first.incarnation);
      expect(real.map((d) => [d.kind, d.seq, Array.from(d.frame)])).toEqual([['vote', 1, [1]], ['vote', 2, [2]], ['vote', 3, [3]], ['sub', 1, [4]]]);
    });

    test("forged sequence numbers in a member's own incarnation (a jump, and the next numbers taken first) do not drop its frames", async () => {
      const [a, b] = freshAddresses(2) as [string, string];
      const receiver = await open(a);
      const sender = await open(b);
      const got = await collector(receiver, { from: b });
      const first = await sender.publish('vote', bytes(1));
      await wait(() => got.length === 1, 'the first real frame');
      const incarnation = first.incarnation;
      await h.injectRaw('vote', b, encodeFramed({ incarnation, seq: 2 ** 48 - 1 }, new Uint8Array(30)));
      await h.injectRaw('vote', b, encodeFramed({ incarnation, seq: 2 }, new Uint8Array(30)));
      await h.injectRaw('vote', b, encodeFramed({ incarnation, seq: 3 }, new Uint8Array(30)));
      await wait(() => got.length === 4, 'the forged frames');
      await sender.publish('vote', bytes(2));
      await sender.publish('vote', bytes(3));
      await wait(() => got.filter((d) => d.frame.length === 1).length === 3, "the member's later frames", 10_000);
      expect(got.filter((d) => d.frame.length === 1).map((d) => [d.seq, Array.from(d.frame)])).toEqual([[1, [1]], [2, [2]], [3, [3]]]);
    });

    test('a payload without a valid header is reported as malformed and not delivered', async () => {
      const [a, b] = freshAddresses(2) as [string, string];
      const receiver = await open(a);
      const got = await collector(receiver, { from: b });
      const malformed: Array<TransportEvents['malformed']> = [];
      receiver.on('malformed', (e) => malformed.push(e));
      await h.injectRaw('sub', b, bytes(1, 2, 3));
      await h.injectRaw('sub', b, encodeFramed({ incarnation: 1, seq: 1 }, bytes(4)));
      await wait(() => got.length === 1, 'the valid frame');
      expect(malformed).toEqual([{ topic: frameTopic(h.cluster, 'sub', b), reason: 'header-short' }]);
      expect(Array.from(got[0]!.frame)).toEqual([4]);
    });

    test('a subscription filtered by publisher receives only that publisher', async () => {
      const [a, b, c] = freshAddresses(3) as [string, string, string];
      const receiver = await open(a);
      const fromB = await open(b);
      const fromC = await open(c);
      const got = await collector(receiver, { from: c });
      await fromB.publish('sub', bytes(1));
      await fromC.publish('sub', bytes(2));
      await wait(() => got.length === 1, "c's frame");
      await pause();
      expect(got.map((d) => d.from)).toEqual([c]);
    });

    test('a subscription filtered by kind receives only that kind', async () => {
      const [a, b] = freshAddresses(2) as [string, string];
      const receiver = await open(a);
      const sender = await open(b);
      const got = await collector(receiver, { kind: 'vote' });
      await sender.publish('sub', bytes(1));
      await sender.publish('vote', bytes(2));
      await wait(() => got.length === 1, 'the vote');
      await pause();
      expect(got.map((d) => d.kind)).toEqual(['vote']);
    });

    test('after unsubscribe the handler gets nothing more, while another subscription still does', async () => {
      const [a, b] = freshAddresses(2) as [string, string];
      const receiver = await open(a);
      const sender = await open(b);
      const first: Delivery[] = [];
      const second: Delivery[] = [];
      const s1 = await receiver.subscribe({ kind: 'sub' }, (d) => first.push(d));
      await receiver.subscribe({ kind: 'sub' }, (d) => second.push(d));
      await sender.publish('sub', bytes(1));
      await wait(() => first.length === 1 && second.length === 1, 'the first frame on both');
      await s1.unsubscribe();
      await sender.publish('sub', bytes(2));
      await wait(() => second.length === 2, 'the second frame');
      await pause();
      expect(first.length).toBe(1);
    });

    test('after close() publishing and subscribing fail, handlers are silent, and no socket or timer is left', async () => {
      const [a, b] = freshAddresses(2) as [string, string];
      const sender = await open(b);
      const before = resourceCounts();
      const receiver = await h.open(a);
      const got = await collector(receiver);
      await receiver.close();
      await sender.publish('sub', bytes(1));
      await pause(300);
      expect(got).toEqual([]);
      await expect(receiver.publish('sub', bytes(1))).rejects.toMatchObject({ code: 'TRANSPORT_CLOSED' });
      await expect(receiver.subscribe({}, () => undefined)).rejects.toMatchObject({ code: 'TRANSPORT_CLOSED' });
      expect(receiver.connected).toBe(false);
      // Nothing this transport opened is still there (other timers of the test run may have ended meanwhile). The
      // sender's own resources come and go (a port it reopens after a silence of the line, a flush timer): a
      // snapshot with none over the count before shows nothing of the receiver's is held.
      const kinds = ['TCPSocketWrap', 'Timeout', 'FileHandle'];
      const over = (): string[] => {
        const after = resourceCounts();
        return kinds.filter((kind) => (after.get(kind) ?? 0) > (before.get(kind) ?? 0)).map((kind) => `${kind} ${before.get(kind) ?? 0} -> ${after.get(kind)}`);
      };
      let left = over();
      for (let tries = 0; left.length > 0 && tries < 20; tries++) {
        await pause(50);
        left = over();
      }
      expect(left).toEqual([]);
    });

    test('a large frame (1 MiB unless the harness says otherwise) arrives intact', async () => {
      const [a, b] = freshAddresses(2) as [string, string];
      const receiver = await open(a);
      const sender = await open(b);
      const got = await collector(receiver);
      const frame = new Uint8Array(options.largeFrameBytes ?? 1024 * 1024);
      for (let i = 0; i < frame.length; i++) frame[i] = (i * 2654435761) >>> 24;
      await sender.publish('block', frame);
      await wait(() => got.length === 1, 'the large frame', 10_000);
      expect(got[0]!.frame.length).toBe(frame.length);
      expect(Buffer.from(got[0]!.frame).equals(Buffer.from(frame))).toBe(true);
    });

    test('16 publishers at once: every frame arrives, each publisher in its own order', async () => {
      const [a, ...senders] = freshAddresses(17) as [string, ...string[]];
      const receiver = await open(a);
      const got = await collector(receiver, { kind: 'sub' });
      const transports = await Promise.all(senders.map((s) => open(s)));
      const perSender = 25;
      await Promise.all(transports.map(async (t) => {
        for (let i = 0; i < perSender; i++) await t.publish('sub', bytes(i));
      }));
      await wait(() => got.length === senders.length * perSender, `${senders.length * perSender} frames`, 15_000);
      for (const s of senders) {
        const mine = got.filter((d) => d.from === s);
        expect(seqs(mine)).toEqual(Array.from({ length: perSender }, (_, i) => i + 1));
      }
    });

    test('flushed() resolves once the broker or hub has acknowledged every frame', async () => {
      const [b] = freshAddresses(1) as [string];
      const sender = await open(b);
      for (let i = 0; i < 20; i++) void sender.publish('sub', bytes(i));
      await sender.flushed(5000 * scale);
      expect(sender.stats()).toMatchObject({ published: 20, acknowledged: 20, queued: 0 });
    });

    test("each frame the broker or hub acknowledged is reported once with its publish() receipt", async () => {
      const [b] = freshAddresses(1) as [string];
      const sender = await open(b);
      const acked: TransportEvents['acknowledged'][] = [];
      sender.on('acknowledged', (r) => acked.push(r));
      const receipts = [];
      for (let i = 0; i < 5; i++) receipts.push(await sender.publish(i % 2 === 0 ? 'vote' : 'sub', bytes(i)));
      await sender.flushed(5000 * scale);
      await waitFor(() => acked.length >= 5, 'five acknowledgments', 5000 * scale);
      const key = (r: { kind: string; incarnation: number; seq: number }): string => `${r.kind}:${r.incarnation}:${r.seq}`;
      expect(acked.map(key).sort()).toEqual(receipts.map(key).sort());
    });

    test('programmer mistakes throw at once, naming what was expected', async () => {
      const [b] = freshAddresses(1) as [string];
      const t = await open(b);
      await expect(t.publish('Not A Kind', bytes(1))).rejects.toThrow(/frame kind/);
      await expect(t.publish('sub', 'text' as unknown as Uint8Array)).rejects.toThrow(/Uint8Array/);
      await expect(t.subscribe({ from: 'someone' }, () => undefined)).rejects.toThrow(/member address/);
    });
  });
}
