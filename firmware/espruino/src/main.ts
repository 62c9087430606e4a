// Espruino sensor-node firmware: binds the board's services (native SHA-256, flash storage, serial link, clock) to
// the sensor node and starts sampling at boot. Built into dist/meterchain.js through the portability gate.
import { fromHex, type Channel } from '@meterchain/core';
import { createSensorNode, type SensorServices } from './node.ts';

// Espruino's built-in objects and modules, as far as this file uses them.
interface EspruinoCrypto {
  SHA256(data: Uint8Array): ArrayBuffer;
}
interface EspruinoStorage {
  read(name: string): string | undefined;
  write(name: string, data: string): boolean;
}
interface EspruinoSerial {
  setup(baud: number): void;
  write(data: Uint8Array): void;
}
declare const E: { on(event: 'init', handler: () => void): void; CRC32(data: Uint8Array): number };
declare const Serial1: EspruinoSerial;

/** Provisioned into flash beside the bundle: key and meter address as hex text, the sequence high-water mark. */
const FILES = { key: 'mc.key', meter: 'mc.meter', sequence: 'mc.seq' };
const CLUSTER = 'cluster-1';
const LINK_BAUD = 115200;
const PERIOD_MS = 10000;

const crypto = require('crypto') as EspruinoCrypto;
const storage = require('Storage') as EspruinoStorage;

function provisioned(name: string): string {
  const text = storage.read(name);
  if (text === undefined) throw new Error(`firmware: ${name} is not provisioned in flash`);
  return text.trim();
}

function reserveSequence(count: number): number {
  const first = Number(storage.read(FILES.sequence) ?? '0');
  storage.write(FILES.sequence, String(first + count));
  return first;
}

/** Acquisition is not wired yet: the Modbus RTU master and the meter decoders (@meterchain/meters) with the edge
 * checks (@meterchain/edge) fill this in once they pass the gate. Until then no reading is sent. */
function acquire(): { channels: Channel[]; quality: number } {
  return { channels: [], quality: 0 };
}

function start(): void {
  Serial1.setup(LINK_BAUD);
  const services: SensorServices = {
    hash: (data) => new Uint8Array(crypto.SHA256(data)),
    crc32: (bytes) => E.CRC32(bytes),
    key: fromHex(provisioned(FILES.key)),
    now: () => Date.now(),
    send: (frame) => Serial1.write(frame),
    reserveSequence,
  };
  const node = createSensorNode(services, { cluster: CLUSTER, meter: fromHex(provisioned(FILES.meter)) });
  setInterval(() => {
    const sample = acquire();
    if (sample.channels.length > 0) node.publish(sample.channels, sample.quality);
  }, PERIOD_MS);
}

E.on('init', start);
