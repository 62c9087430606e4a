// The in-memory transport passes the shared suite, plus what only a hub can do: outages on command, step-wise delivery.
import { describe, expect, test } from '@jest/globals';
import { createMemoryHub, encodeFramed, frameTopic, type Delivery } from '../src/index.ts';
import { testAddress, transportSuite, waitFor } from '../compliance/index.ts';

const CLUSTER = 'feeder-7';

transportSuite('in-memory hub', async () => {
  const hub = createMemoryHub();
  return {
    cluster: CLUSTER,
    addresses: Array.from({ length: 64 }, (_, i) => testAddress(i)),
    async open(address) {
      const t = hub.open({ cluster: CLUSTER, address });
      await waitFor(() => t.connected, 'the hub connection');
      return t;
    },
    async injectRaw(kind, address, payload) {
      hub.inject(frameTopic(CLUSTER, kind, address), payload);
    },
    async teardown() {},
  };
});

describe('in-memory hub', () => {
  const [A, B] = [testAddress(100), testAddress(101)];

  test('manual delivery holds frames until deliverAll() is called', async () => {
    const hub = createMemoryHub({ delivery: 'manual' });
    const a = hub.open({ cluster: CLUSTER, address: A });
    const b = hub.open({ cluster: CLUSTER, address: B });
    await Promise.resolve();
    const got: Delivery[] = [];
    await a.subscribe({}, (d) => got.push(d));
    await b.publish('sub', new Uint8Array([1]));
    await b.publish('sub', new Uint8Array([2]));
    expect(got.length).toBe(0);
    expect(hub.pending).toBe(2);
    expect(hub.deliverNext()).toBe(true);
    expect(got.map((d) => d.seq)).toEqual([1]);
    expect(hub.deliverAll()).toBe(1);
    expect(got.map((d) => d.seq)).toEqual([1, 2]);
  });

  test('a publisher cut off keeps its frames and sends them in order when it is back', async () => {
    const hub = createMemoryHub({ delivery: 'manual' });
    const a = hub.open({ cluster: CLUSTER, address: A });
    const b = hub.open({ cluster: CLUSTER, address: B });
    await Promise.resolve();
    const got: Delivery[] = [];
    await a.subscribe({}, (d) => got.push(d));
    const events: string[] = [];
    b.on('disconnect', () => events.push('disconnect'));
    b.on('connect', () => events.push('connect'));
    hub.setOnline(B, false);
    for (let i = 0; i < 3; i++) await b.publish('sub', new Uint8Array([i]));
    hub.deliverAll();
    expect(got.length).toBe(0);
    expect(b.stats().queued).toBe(3);
    hub.setOnline(B, true);
    hub.deliverAll();
    expect(got.map((d) => d.seq)).toEqual([1, 2, 3]);
    expect(events).toEqual(['disconnect', 'connect']);
    expect(b.stats()).toMatchObject({ queued: 0, acknowledged: 3, reconnects: 1 });
  });

  test('a subscriber cut off gets what its session held, and loses what was past maxQueued as a gap', async () => {
    const hub = createMemoryHub({ delivery: 'manual', maxQueued: 2 });
    const a = hub.open({ cluster: CLUSTER, address: A });
    const b = hub.open({ cluster: CLUSTER, address: B });
    await Promise.resolve();
    const got: Delivery[] = [];
    await a.subscribe({}, (d) => got.push(d));
    await b.publish('sub', new Uint8Array([0]));
    hub.deliverAll();
    hub.setOnline(A, false);
    for (let i = 1; i < 5; i++) await b.publish('sub', new Uint8Array([i]));
    hub.setOnline(A, true);
    hub.deliverAll();
    await b.publish('sub', new Uint8Array([5]));
    hub.deliverAll();
    expect(got.map((d) => [d.seq, d.missed])).toEqual([[1, 0], [2, 0], [3, 0], [6, 2]]);
    expect(hub.dropped).toBe(2);
  });

  test('frames held while offline and past their expiry are not sent when the publisher comes back; the others are, in order', async () => {
    const hub = createMemoryHub({ delivery: 'manual' });
    let clock = 5_000;
    const a = hub.open({ cluster: CLUSTER, address: A });
    const b = hub.open({ cluster: CLUSTER, address: B, now: () => clock });
    await Promise.resolve();
    const got: Delivery[] = [];
    await a.subscribe({}, (d) => got.push(d));
    hub.setOnline(B, false);
    await b.publish('vote', new Uint8Array([1]), { expiresAt: clock + 100 });
    await b.publish('timeout', new Uint8Array([2]));
    await b.publish('vote', new Uint8Array([3]), { expiresAt: clock + 10_000 });
    clock += 1000;
    hub.setOnline(B, true);
    hub.deliverAll();
    expect(got.map((d) => [d.kind, d.seq, d.frame[0]])).toEqual([['timeout', 1, 2], ['vote', 2, 3]]);
    expect(b.stats()).toMatchObject({ published: 3, acknowledged: 2, expired: 1, queued: 0 });
  });

  test("frames not taken before close() go out from the next open of the same address, under the old incarnation", async () => {
    const hub = createMemoryHub({ delivery: 'manual' });
    const a = hub.open({ cluster: CLUSTER, address: A });
    hub.setOnline(B, false);
    const b1 = hub.open({ cluster: CLUSTER, address: B });
    await Promise.resolve();
    const got: Delivery[] = [];
    await a.subscribe({}, (d) => got.push(d));
    await b1.publish('sub', new Uint8Array([1]));
    await b1.close();
    const b2 = hub.open({ cluster: CLUSTER, address: B });
    hub.setOnline(B, true);
    await b2.publish('sub', new Uint8Array([2]));
    hub.deliverAll();
    expect(got.map((d) => [d.incarnation, d.seq])).toEqual([[b1.incarnation, 1], [b2.incarnation, 1]]);
    expect(b2.incarnation).toBeGreaterThan(b1.incarnation);
  });

  test('a frame for another cluster is reported as malformed', async () => {
    const hub = createMemoryHub({ delivery: 'manual' });
    const a = hub.open({ cluster: CLUSTER, address: A });
    await Promise.resolve();
    const reasons: string[] = [];
    a.on('malformed', (e) => reasons.push(e.reason));
    await a.subscribe({}, () => undefined);
    a._receive(frameTopic('other', 'sub', B), encodeFramed({ incarnation: 1, seq: 1 }, new Uint8Array(1)));
    expect(reasons).toEqual(['topic-other-cluster']);
  });

  test("a subscription naming another cluster gets that cluster's frames of its kind, and only those", async () => {
    const hub = createMemoryHub({ delivery: 'manual' });
    const substation = hub.open({ cluster: 'grid-wide', address: A });
    const gate = hub.open({ cluster: 'north', address: B });
    const voter = hub.open({ cluster: 'north', address: testAddress(102) });
    await Promise.resolve();
    const got: Delivery[] = [];
    await substation.subscribe({ cluster: 'north', kind: 'anchor' }, (d) => got.push(d));
    await gate.publish('anchor', new Uint8Array([1]));
    await voter.publish('vote', new Uint8Array([2]));
    await gate.publish('anchor', new Uint8Array([3]));
    hub.deliverAll();
    expect(got.map((d) => [d.cluster, d.kind, d.from, d.seq, [...d.frame]])).toEqual([
      ['north', 'anchor', B, 1, [1]],
      ['north', 'anchor', B, 2, [3]],
    ]);
    // A publication stays in the publisher's own cluster.
    const own: Delivery[] = [];
    await gate.subscribe({ kind: 'anchor' }, (d) => own.push(d));
    await substation.publish('anchor', new Uint8Array([4]));
    hub.deliverAll();
    expect(own).toEqual([]);
  });
});
