// A sensor node's files (`meterchain sensor provision` and the demo): its member key pair, the HMAC key it shares
// with its full node, its manifest entry, the files for the board's flash and the full node's node.yaml lines.
import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { addressFromPublicKey, toHex } from '@meterchain/core';
import { generateSeed, writeKeyPair, type KeyPairFiles } from '@meterchain/crypto';
import { InputError } from './command.ts';
import { writeOutput } from './files.ts';

export interface SensorFiles extends KeyPairFiles {
  dir: string;
  keyPath: string;
  linkKeyPath: string;
  /** Folder of the files for the board's flash (mc.*). */
  boardDir: string;
}

/**
 * `node`: the address of the full node the board sends to over MQTT (a board with a network); without it, over a
 * serial line. Over MQTT the board logs in to the cluster's broker under its own address and may only publish its
 * frames, which only `node` may read: `broker.json` is what `meterchain cluster broker-config --sensor` needs for it.
 */
export function provisionSensor(dir: string, name: string, cluster: string, periodMs: number, node?: string): SensorFiles {
  mkdirSync(dir, { recursive: true });
  let pair: KeyPairFiles;
  try {
    pair = writeKeyPair(dir, generateSeed(), 'sensor');
  } catch (e) {
    throw new InputError((e as Error).message);
  }
  const link = randomBytes(32).toString('hex');
  writeOutput(join(dir, 'link.key'), link + '\n', { mode: 0o600 });
  const meter = toHex(addressFromPublicKey(pair.publicKey));
  writeOutput(join(dir, 'member.json'), JSON.stringify({ name, role: 'sensor', publicKey: toHex(pair.publicKey), address: pair.address }, null, 2) + '\n');
  const flash: Record<string, string> = { 'mc.key': link, 'mc.meter': meter, 'mc.cluster': cluster, 'mc.period': String(periodMs) };
  for (const [file, text] of Object.entries(flash)) writeOutput(join(dir, 'board', file), text, { mode: file === 'mc.key' ? 0o600 : 0o644 });
  const writes = Object.entries(flash).map(([file, text]) => `s.write(${JSON.stringify(file)}, ${JSON.stringify(text)});`);
  writeOutput(
    join(dir, 'board.js'),
    [`// Provisions sensor ${name} (${pair.address}) of cluster ${cluster}: run once on the board, then flash the firmware.`, 'var s = require("Storage");', ...writes, 'print("provisioned");', ''].join('\n'),
    { mode: 0o600 },
  );
  if (node !== undefined) {
    writeOutput(join(dir, 'broker.json'), JSON.stringify({ name, cluster, sensor: pair.address, node, topic: `meterchain/${cluster}/sensor/${pair.address}` }, null, 2) + '\n');
  }
  const line = node === undefined
    ? ['    serial:', '      path: /dev/ttyUSB0   # the board\'s link (its Serial2)', '      baud: 115200']
    : ['    mqtt: true   # frames from the cluster\'s broker, through this node\'s own connection'];
  writeOutput(join(dir, 'node-sensors.yaml'), ['sensors:', `  - name: ${name}`, `    key: ${resolve(dir, 'sensor.key')}`, `    linkKey: ${resolve(dir, 'link.key')}`, ...line, ''].join('\n'));
  return { ...pair, dir, keyPath: join(dir, 'sensor.key'), linkKeyPath: join(dir, 'link.key'), boardDir: join(dir, 'board') };
}
