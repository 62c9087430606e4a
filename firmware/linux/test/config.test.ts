import { describe, expect, test } from '@jest/globals';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, loadConfig } from '../src/config.ts';

const dir = mkdtempSync(join(tmpdir(), 'mc-config-'));
const good = `
cluster:
  manifest: cluster/manifest.cbor
key: keys/meter.key
dataDir: data
broker:
  url: mqtt://127.0.0.1:18830
sensor:
  type: simulated
  profile: three-phase
  seed: 3
metrics:
  listen: 127.0.0.1:0
`;

function write(name: string, text: string): string {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
}

function errorOf(text: string): string {
  try {
    loadConfig(write('c.yaml', text));
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    return (e as Error).message;
  }
  throw new Error('expected the configuration to be refused');
}

describe('node configuration', () => {
  test("a sensor link names where its frames come from: a serial line or MQTT, one of the two", () => {
    const link = (lines: string[]) => `${good}sensors:\n  - key: s.key\n    linkKey: l.key\n${lines.map((l) => `    ${l}\n`).join('')}`;
    expect(loadConfig(write('mqtt.yaml', link(['mqtt: true']))).sensors).toEqual([{ key: join(dir, 's.key'), linkKey: join(dir, 'l.key'), mqtt: true }]);
    expect(loadConfig(write('serial.yaml', link(['serial:', '  path: /dev/ttyUSB1']))).sensors![0]!.serial).toEqual({ path: '/dev/ttyUSB1' });
    expect(errorOf(link([]))).toMatch(/sensors\[0\]: expected either serial: \{path\} or mqtt: true .*not neither$/);
    expect(errorOf(link(['mqtt: true', 'serial:', '  path: /dev/ttyUSB1']))).toMatch(/not both$/);
    expect(errorOf(link(['mqtt: false']))).toMatch(/mqtt/);
  });

  test('a node reaches its peers through a broker or an RS-485 line, one of the two', () => {
    const onLine = good.replace('broker:\n  url: mqtt://127.0.0.1:18830\n', 'rs485:\n  path: /dev/ttyUSB0\n  baud: 115200\n');
    expect(loadConfig(write('rs485.yaml', onLine)).rs485).toEqual({ path: '/dev/ttyUSB0', baud: 115200 });
    expect(errorOf(good.replace('broker:\n  url: mqtt://127.0.0.1:18830\n', ''))).toMatch(/expected either broker: \{url\} or rs485: \{path, baud\} .*not neither$/);
    expect(errorOf(`${good}rs485:\n  path: /dev/ttyUSB0\n  baud: 115200\n`)).toMatch(/not both$/);
    expect(errorOf(`${onLine}outputs:\n  json: { username: v, passwordFile: v.pass }\n`)).toMatch(/outputs\.json\.url: required on a node without a broker/);
    expect(errorOf(onLine.replace('baud: 115200', 'baud: 12'))).toMatch(/rs485\.baud/);
  });

  test('a substation names the regions it admits and has no sensor; a gate is a member that says so', () => {
    const noSensor = good.replace('sensor:\n  type: simulated\n  profile: three-phase\n  seed: 3\n', '');
    const substation = `${noSensor}substation:\n  regions:\n    - manifest: north/manifest.cbor\n    - manifest: /abs/south.cbor\n`;
    expect(loadConfig(write('substation.yaml', substation)).substation).toEqual({ regions: [{ manifest: join(dir, 'north/manifest.cbor') }, { manifest: '/abs/south.cbor' }] });
    expect(errorOf(noSensor)).toMatch(/c\.yaml: sensor: missing \(required, except on a substation\)$/);
    expect(errorOf(`${good}substation:\n  regions:\n    - manifest: n.cbor\n`)).toMatch(/c\.yaml: sensor: not for a substation/);
    expect(errorOf(`${substation}gate: true\n`)).toMatch(/c\.yaml: gate: not for a substation/);
    expect(errorOf(`${noSensor}substation:\n  regions: []\n`)).toMatch(/substation\.regions/);
    expect(loadConfig(write('gate.yaml', `${good}gate: true\n`)).gate).toBe(true);
    expect(errorOf(`${good}gate: yes please\n`)).toMatch(/c\.yaml: gate: must be boolean$/);
  });

  test('a valid file loads, relative paths resolved against the file', () => {
    const cfg = loadConfig(write('good.yaml', good));
    expect(cfg.cluster.manifest).toBe(join(dir, 'cluster/manifest.cbor'));
    expect(cfg.dataDir).toBe(join(dir, 'data'));
    expect(cfg.sensor).toEqual({ type: 'simulated', profile: 'three-phase', seed: 3 });
  });

  test('a missing key is named', () => {
    expect(errorOf(good.replace('key: keys/meter.key\n', ''))).toMatch(/c\.yaml: key: missing \(required\)$/);
  });

  test('a misspelt key is named as unknown', () => {
    expect(errorOf(good.replace('  seed: 3', '  sead: 3'))).toMatch(/c\.yaml: sensor\.sead: unknown key$/);
  });

  test('a wrong type names the key and the expected type', () => {
    expect(errorOf(good.replace('seed: 3', 'seed: three'))).toMatch(/c\.yaml: sensor\.seed: must be integer$/);
  });

  test('a value outside its set lists the allowed values', () => {
    expect(errorOf(good.replace('type: simulated', 'type: zigbee'))).toMatch(/sensor\.type: must be one of "simulated", "modbus-tcp"/);
  });

  test('a sensor type without the keys it needs names the first missing one', () => {
    expect(errorOf(good.replace('type: simulated', 'type: modbus-rtu'))).toMatch(/sensor\.path: missing \(required for sensor\.type modbus-rtu\)$/);
  });

  test('broken YAML names the line', () => {
    expect(errorOf('cluster:\n  manifest: [unclosed\n')).toMatch(/c\.yaml:\d+: not valid YAML/);
  });

  test('lab-only faults (a clock offset, byzantine behaviours) load; an unknown behaviour is refused', () => {
    const cfg = loadConfig(write('lab.yaml', good + 'lab:\n  clockOffsetMs: 5000\n  byzantine: [censor, flood]\n'));
    expect(cfg.lab).toEqual({ clockOffsetMs: 5000, byzantine: ['censor', 'flood'] });
    expect(errorOf(good + 'lab:\n  byzantine: [bribe]\n')).toMatch(/lab\.byzantine\.0: must be one of "censor", "equivocate", "flood"$/);
  });

  test('a missing file is one clear line', () => {
    expect(() => loadConfig(join(dir, 'absent.yaml'))).toThrow(/cannot read .*absent\.yaml: no such file/);
  });
});
