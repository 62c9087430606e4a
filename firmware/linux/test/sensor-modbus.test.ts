// Sensor frames over Modbus RTU: a board as the firmware composes it (createSensorNode, its frames posted to the
// Modbus mailbox that answers on its link) on one end of a socat pty, the full node's Modbus sensor link polling it
// with modbus-serial on the other end, and the gateway checking and submitting what it takes. Frames of 40 channels
// take several reads each; a frame posted again is refused as a replay and one under another key as bad-tag, and both
// are still taken off the board.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { SerialPort } from 'serialport';
import { createManifest, crc32, decodeReading, openEnvelope, sha256 as portableSha256, verifyManifest, type Channel, type Manifest } from '@meterchain/core';
import { createNodeSigner, generateSeed, nodeVerifier, publicKeyFromSeed } from '@meterchain/crypto';
import { createModbusMailbox, type ModbusMailbox } from '../../espruino/src/modbus-mailbox.ts';
import { createSensorNode, framePayload } from '../../espruino/src/node.ts';
import { requirePrograms } from '../../../hil-tests/support/programs.ts';
import { ptyPair, tempDir, type PtyPair } from '../../../hil-tests/support/pty.ts';
import { createLogger } from '../src/log.ts';
import { openModbusSensorLink, SensorGateway, type ModbusSensorLink } from '../src/sensor-gateway.ts';

const ROUND_MS = 300;
const sensorSigner = createNodeSigner(generateSeed());
const linkKey = new Uint8Array(32).map((_, i) => i + 1);

const manifest: Manifest = (() => {
  const bytes = createManifest(
    {
      cluster: 'lab',
      rule: 'bft',
      members: [...[0, 1, 2, 3].map((i) => ({ publicKey: publicKeyFromSeed(generateSeed()), name: `m0${i + 1}` })), { publicKey: sensorSigner.publicKey, role: 'sensor' as const, name: 's01' }],
      params: { roundMs: ROUND_MS, blockRounds: 4, skewMs: 500, timeoutMs: 2000 },
      genesisMs: Date.now() - 10 * ROUND_MS,
    },
    createNodeSigner(generateSeed()),
  );
  const v = verifyManifest(bytes, nodeVerifier());
  if (!v.ok) throw new Error(v.reason);
  return v.manifest;
})();
const sensorAddress = manifest.members.find((m) => m.role === 'sensor')!.address;

const ready = requirePrograms('socat');
const run = ready ? describe : describe.skip;
const dir = tempDir('sensor-modbus');

async function until(what: string, condition: () => boolean, ms = 15_000): Promise<void> {
  const end = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

function channels(n: number, base: number): Channel[] {
  const out: Channel[] = [];
  for (let i = 0; i < n; i++) out.push({ id: `1-0:${i + 1}.7.0`, unit: 'W', scale: -1, value: base + i });
  return out;
}

run('a sensor node polled over Modbus RTU by its full node', () => {
  let pty: PtyPair;
  let port: SerialPort;
  let mailbox: ModbusMailbox;
  let link: ModbusSensorLink;
  const submitted: Uint8Array[] = [];
  let gateway: SensorGateway;
  let mark = 0;
  const board = (key: Uint8Array) =>
    createSensorNode(
      {
        hash: portableSha256,
        crc32: (b) => crc32(b),
        key,
        now: () => Date.now(),
        send: (f) => mailbox.post(framePayload(f)),
        reserveSequence: (n) => {
          mark += n;
          return mark - n;
        },
      },
      { cluster: 'lab', meter: sensorAddress },
    );

  beforeAll(async () => {
    pty = await ptyPair(dir.path);
    port = new SerialPort({ path: pty.b, baudRate: 115200, autoOpen: false });
    await new Promise<void>((resolve, reject) => port.open((e) => (e ? reject(e) : resolve())));
    mailbox = createModbusMailbox(1, (bytes) => void port.write(Buffer.from(bytes)));
    port.on('data', (chunk: Buffer) => mailbox.push(new Uint8Array(chunk)));
    gateway = new SensorGateway({
      name: 's01',
      manifest,
      signer: sensorSigner,
      linkKey,
      stateFile: `${dir.path}/s01.json`,
      submit: async (bytes) => {
        submitted.push(bytes);
      },
      now: () => Date.now(),
      log: createLogger({ level: 'error', write: () => undefined }),
    });
    await gateway.open();
    link = await openModbusSensorLink({ key: '', linkKey: '', serial: { path: pty.a, baud: 115200, modbus: { unit: 1, pollMs: 100 } } }, gateway, createLogger({ level: 'error', write: () => undefined }));
  }, 30_000);

  afterAll(async () => {
    await link?.close();
    if (port?.isOpen) await new Promise<void>((resolve) => port.close(() => resolve()));
    await pty?.stop();
    dir.remove();
  });

  test('each reading of 40 channels is read out in several requests, taken off, and submitted with its values', async () => {
    const node = board(linkKey);
    for (let i = 0; i < 4; i++) {
      const frame = node.publish(channels(40, 1000 * i), 0);
      expect(frame.length).toBeGreaterThan(2 * 250); // beyond one read of 125 registers
      await until(`frame ${i} taken`, () => mailbox.counts.taken === i + 1);
      await until(`frame ${i} judged`, () => gateway.counts.submitted + gateway.counts['same-round'] === i + 1);
      // The next reading in a later round: one reading a round is submitted.
      await new Promise((r) => setTimeout(r, ROUND_MS));
    }
    expect(gateway.counts.submitted).toBe(4);
    expect(submitted).toHaveLength(4);
    for (let i = 0; i < 4; i++) {
      const env = openEnvelope(submitted[i]!);
      if (!env.ok) throw new Error(env.reason);
      const r = decodeReading(env.envelope.body);
      if (!r.ok) throw new Error(r.reason);
      expect(r.reading.channels.map((c) => c.value)).toEqual(channels(40, 1000 * i).map((c) => c.value));
    }
    expect(mailbox.counts).toMatchObject({ posted: 4, taken: 4, replaced: 0, exceptions: 0 });
    expect(link.polls.failed).toBe(0);
  }, 60_000);

  test('a frame posted again is a replay, one under another key bad-tag; both are taken off the board', async () => {
    const node = board(linkKey);
    const frame = node.publish(channels(3, 7), 0);
    await until('the frame taken', () => mailbox.counts.taken === 5);
    mailbox.post(framePayload(frame));
    await until('the repeat taken', () => mailbox.counts.taken === 6);
    await until('the repeat judged', () => gateway.counts.replay === 1);
    await new Promise((r) => setTimeout(r, ROUND_MS));
    board(new Uint8Array(32).fill(9)).publish(channels(3, 8), 0);
    await until('the forgery taken', () => mailbox.counts.taken === 7);
    await until('the forgery judged', () => gateway.counts['bad-tag'] === 1);
    expect(gateway.counts.submitted).toBe(5);
  }, 30_000);
});
