// The Mosquitto bridge between a region's broker and the wide-area broker, with real Mosquitto processes on loopback
// and the bridge section as generated (and shipped as firmware/linux/mosquitto/bridge.conf.example): the region's
// anchors go out, the wide-area chain's traffic goes both ways, nothing else crosses. The wide-area broker down and
// up, then the regional broker down and up: every anchor arrives (verified against the region's manifest) and anchors
// published afterwards keep arriving.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { readFileSync } from 'node:fs';
import mqtt from 'mqtt';
import { requireMosquitto, startMosquitto, SHIPPED_MOSQUITTO_CONF, type MosquittoBroker } from '@meterchain/testkit/mosquitto';
import { bridgeConfig, gateAcl, wideAreaBridgeAcl } from '@meterchain/transport';
import { RegionRegistry, anchorOfStoredBlock, encodeAnchor } from '../src/index.ts';
import { hash, region, verifier } from './support.ts';

const north = region({ blocks: 14, seed: 1, cluster: 'north', blockRounds: 1 });
const anchors = north.chain.blocks.map((b) => {
  const a = anchorOfStoredBlock('north', b);
  if (!a.ok) throw new Error(a.reason);
  return Buffer.from(encodeAnchor(a.anchor));
});
const pw = (login: string) => `pw-${login}`;
const user = (username: string) => ({ username, password: pw(username) });

const haveMosquitto = requireMosquitto('the wide-area bridge test');

async function waitFor(what: string, cond: () => boolean, ms = 20_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

test('the shipped bridge example is what the generator makes', () => {
  const shipped = readFileSync(new URL('../../../firmware/linux/mosquitto/bridge.conf.example', import.meta.url), 'utf8');
  expect(shipped).toBe(bridgeConfig({ region: 'north', widearea: 'grid-wide', host: 'wide-area.example.net', port: 1883, login: 'bridge-north', password: 'CHANGE-ME' }));
  expect(() => bridgeConfig({ region: 'north', widearea: 'north', host: 'x', port: 1, login: 'b', password: 'p' })).toThrow(/must differ/);
  expect(() => bridgeConfig({ region: 'north', widearea: 'w', host: 'x', port: 1, login: 'b', password: 'p w' })).toThrow(/password/);
  expect(() => bridgeConfig({ region: 'no/rth', widearea: 'w', host: 'x', port: 1, login: 'b', password: 'p' })).toThrow(/cluster name/);
});

(haveMosquitto ? describe : describe.skip)('the wide-area bridge (real Mosquitto)', () => {
  let wide: MosquittoBroker;
  let regional: MosquittoBroker;
  const clients: mqtt.MqttClient[] = [];
  /** What the observer on the wide-area broker received, and the substation on the regional broker. */
  const atWide: { topic: string; payload: Buffer }[] = [];
  const atRegion: { topic: string; payload: Buffer }[] = [];
  let gate: mqtt.MqttClient;
  let meter: mqtt.MqttClient;
  let substation: mqtt.MqttClient;
  let widePublisher: mqtt.MqttClient;

  async function connect(broker: MosquittoBroker, login: string, into?: { topic: string; payload: Buffer }[], filter?: string): Promise<mqtt.MqttClient> {
    const c = mqtt.connect(broker.url, { username: login, password: pw(login), clientId: login, clean: false, protocolVersion: 4, reconnectPeriod: 100, connectTimeout: 2000 });
    clients.push(c);
    c.on('error', () => undefined);
    if (into) c.on('message', (topic, payload) => into.push({ topic, payload: Buffer.from(payload) }));
    await new Promise<void>((resolve, reject) => {
      c.once('connect', () => resolve());
      c.once('error', reject);
    });
    if (filter) await c.subscribeAsync(filter, { qos: 1 });
    return c;
  }

  beforeAll(async () => {
    wide = await startMosquitto({
      persistence: true,
      users: [user('bridge-north'), user('observer'), user('wide-publisher')],
      acl: [wideAreaBridgeAcl({ region: 'north', widearea: 'grid-wide', login: 'bridge-north' }), 'user observer', 'topic read meterchain/#', '', 'user wide-publisher', 'topic write meterchain/#', ''].join('\n'),
    });
    const template = readFileSync(SHIPPED_MOSQUITTO_CONF, 'utf8') + '\n' + bridgeConfig({ region: 'north', widearea: 'grid-wide', host: wide.host, port: wide.port, login: 'bridge-north', password: pw('bridge-north') });
    regional = await startMosquitto({
      persistence: true,
      template,
      users: [user('gate-north'), user('meter-1'), user('substation-1')],
      acl: [gateAcl({ region: 'north', login: 'gate-north' }), 'user meter-1', 'topic write meterchain/north/vote/meter-1', '', 'user substation-1', 'topic read meterchain/#', 'topic write meterchain/grid-wide/#', ''].join('\n'),
    });
    await connect(wide, 'observer', atWide, 'meterchain/#');
    widePublisher = await connect(wide, 'wide-publisher');
    gate = await connect(regional, 'gate-north');
    meter = await connect(regional, 'meter-1');
    substation = await connect(regional, 'substation-1', atRegion, 'meterchain/#');
  }, 60_000);

  afterAll(async () => {
    await Promise.all(clients.map((c) => c.endAsync(true).catch(() => undefined)));
    await regional?.close();
    await wide?.close();
  });

  const anchorsAtWide = () => atWide.filter((m) => m.topic === 'meterchain/north/anchor/gate-north');
  const publishAnchors = async (from: number, to: number) => {
    for (let h = from; h < to; h++) await gate.publishAsync('meterchain/north/anchor/gate-north', anchors[h]!, { qos: 1 });
  };
  /** Every anchor up to `count` arrived, in height order (a repeat after a reconnect is allowed, a gap is not). */
  const receivedUpTo = (count: number): boolean => {
    const seen = new Set(anchorsAtWide().map((m) => anchors.findIndex((a) => a.equals(m.payload))));
    for (let h = 0; h < count; h++) if (!seen.has(h)) return false;
    return true;
  };

  test('anchors go out once the bridge is up; the region’s own traffic does not', async () => {
    // The bridge connects on its own schedule: the first anchor may wait for it, queued on the regional broker.
    await publishAnchors(0, 2);
    await meter.publishAsync('meterchain/north/vote/meter-1', Buffer.from('a vote stays in the region'), { qos: 1 });
    await publishAnchors(2, 3);
    await waitFor('anchors 0..2 at the wide-area broker', () => receivedUpTo(3));
    expect(atWide.filter((m) => m.topic.includes('/vote/'))).toEqual([]);
    expect(atRegion.some((m) => m.topic === 'meterchain/north/vote/meter-1')).toBe(true);
  }, 60_000);

  test('the wide-area chain’s traffic goes both ways; other regions’ anchors do not come in', async () => {
    await widePublisher.publishAsync('meterchain/south/anchor/gate-south', Buffer.from('south'), { qos: 1 });
    await widePublisher.publishAsync('meterchain/grid-wide/submission/substation-9', Buffer.from('from the wide area'), { qos: 1 });
    await substation.publishAsync('meterchain/grid-wide/vote/substation-1', Buffer.from('from the region'), { qos: 1 });
    await waitFor('wide-area traffic into the region', () => atRegion.some((m) => m.topic === 'meterchain/grid-wide/submission/substation-9'));
    await waitFor('wide-area traffic out of the region', () => atWide.some((m) => m.topic === 'meterchain/grid-wide/vote/substation-1'));
    expect(atRegion.some((m) => m.topic.startsWith('meterchain/south/'))).toBe(false);
    // Nothing the bridge carried in went back out (no loop): the wide-area submission arrived at the observer once.
    expect(atWide.filter((m) => m.topic === 'meterchain/grid-wide/submission/substation-9').length).toBe(1);
  }, 60_000);

  test('the wide-area broker down and up: the anchors published meanwhile all arrive, and anchors resume', async () => {
    await wide.stop();
    await publishAnchors(3, 8);
    await substation.publishAsync('meterchain/grid-wide/vote/substation-1', Buffer.from('while the wide area was down'), { qos: 1 });
    await wide.start();
    await waitFor('anchors 0..7 after the wide-area broker came back', () => receivedUpTo(8), 40_000);
    await waitFor('wide-area traffic queued in the region', () => atWide.some((m) => m.payload.toString() === 'while the wide area was down'));
    await publishAnchors(8, 10);
    await waitFor('anchors 8..9', () => receivedUpTo(10));
  }, 90_000);

  test('the regional broker down and up: queued wide-area traffic comes in, and anchors resume', async () => {
    await regional.stop();
    await widePublisher.publishAsync('meterchain/grid-wide/block/substation-9', Buffer.from('while the region was down'), { qos: 1 });
    await regional.start();
    await waitFor('wide-area traffic queued for the region', () => atRegion.some((m) => m.payload.toString() === 'while the region was down'), 40_000);
    await waitFor('the gate reconnected', () => gate.connected);
    await publishAnchors(10, 14);
    await waitFor('anchors 10..13', () => receivedUpTo(14), 40_000);
    // Every anchor that arrived verifies against the region's manifest.
    const registry = new RegionRegistry([{ region: 'north', operator: north.manifest.operator }], hash, verifier);
    expect(registry.register(north.chain.manifest).ok).toBe(true);
    const heights = new Set<number>();
    for (const m of anchorsAtWide()) {
      const v = registry.verify(new Uint8Array(m.payload));
      if (!v.ok) throw new Error(v.reason);
      heights.add(v.checked.height);
    }
    expect([...heights].sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13]);
  }, 90_000);
});
