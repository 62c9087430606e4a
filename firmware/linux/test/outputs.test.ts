import { describe, expect, test } from '@jest/globals';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, loadConfig } from '../src/config.ts';
import { planOutputs, readingToJson } from '../src/outputs.ts';

const dir = mkdtempSync(join(tmpdir(), 'mc-outputs-'));
const base = ['cluster:', '  manifest: m.cbor', 'key: k', 'dataDir: d', 'broker:', '  url: mqtt://127.0.0.1:18830', 'sensor:', '  type: simulated'];

function load(lines: string[]) {
  const p = join(dir, 'node.yaml');
  writeFileSync(p, [...base, ...lines, ''].join('\n'));
  return loadConfig(p);
}

describe('outputs configuration', () => {
  test('json and sparkplug outputs load; a password file is resolved against the configuration file', () => {
    const cfg = load(['outputs:', '  json: { topic: scada/meter-1 }', '  sparkplug:', '    url: mqtt://10.0.0.5:1883', '    groupId: feeder-7', '    passwordFile: scada.pass']);
    expect(cfg.outputs?.json?.topic).toBe('scada/meter-1');
    expect(cfg.outputs?.sparkplug?.groupId).toBe('feeder-7');
    expect(cfg.outputs?.sparkplug?.passwordFile).toBe(join(dir, 'scada.pass'));
  });

  test('a Sparkplug output without a group, or with an id holding a topic separator, is refused naming the key', () => {
    expect(() => load(['outputs:', '  sparkplug: { edgeNodeId: n1 }'])).toThrow(ConfigError);
    expect(() => load(['outputs:', '  sparkplug: { edgeNodeId: n1 }'])).toThrow(/outputs\.sparkplug\.groupId: missing/);
    expect(() => load(['outputs:', '  sparkplug: { groupId: a/b }'])).toThrow(/outputs\.sparkplug\.groupId: does not look right/);
    expect(() => load(['outputs:', '  json: { topic: "a/#" }'])).toThrow(/outputs\.json\.topic/);
    expect(() => load(['outputs:', '  csv: {}'])).toThrow(/outputs\.csv: unknown key/);
  });
});

describe('outputs on the cluster broker', () => {
  const ctx = {
    cluster: 'feeder-7',
    address: 'mc' + 'ab'.repeat(20),
    broker: { url: 'mqtt://127.0.0.1:18830', username: 'mc' + 'ab'.repeat(20), password: 'x' },
    dataDir: dir,
  };

  test("an output on the cluster's broker without a login of its own is refused: it would take over the node's connection", async () => {
    await expect(planOutputs({ json: {} }, ctx)).rejects.toThrow(/^outputs\.json\.username: an output needs its own broker login/);
    await expect(planOutputs({ json: { username: ctx.address } }, ctx)).rejects.toThrow(ConfigError);
    await expect(planOutputs({ sparkplug: { groupId: 'g', url: 'mqtt://127.0.0.1:18830' } }, ctx)).rejects.toThrow(/^outputs\.sparkplug\.username/);
    // Another broker, or its own login with a password file that cannot be read: named too.
    await expect(planOutputs({ json: { url: 'mqtt://10.0.0.5:1883' } }, ctx)).resolves.toMatchObject({ json: { broker: { url: 'mqtt://10.0.0.5:1883' } } });
    await expect(planOutputs({ json: { username: 'values-1', passwordFile: join(dir, 'missing.pass') } }, ctx)).rejects.toThrow(/^outputs\.json\.passwordFile: cannot read .*missing\.pass: ENOENT$/);
  });
});

describe('a reading as plain values', () => {
  test('each channel is its fixed-point value times 10^scale, with its unit, the flags by name and the time in UTC', () => {
    const body = readingToJson({
      address: 'mc' + 'ab'.repeat(20),
      round: 12,
      acceptedAt: 1_767_225_600_450,
      reading: {
        v: 1,
        cluster: 'feeder-7',
        meter: new Uint8Array(20).fill(0xab),
        seq: 12,
        ts: 1_767_225_600_010,
        clock: 0,
        quality: (1 << 13) | (1 << 0),
        channels: [
          { id: '1-0:32.7.0', unit: 'V', scale: -1, value: 2301 },
          { id: '1-0:31.7.0', unit: 'A', scale: -3, value: 4217 },
          { id: '1-0:1.8.0', unit: 'Wh', scale: 3, value: 12 },
        ],
      },
    });
    expect(body).toEqual({
      cluster: 'feeder-7',
      meter: 'mc' + 'ab'.repeat(20),
      round: 12,
      seq: 12,
      ts: '2026-01-01T00:00:00.010Z',
      tsMs: 1_767_225_600_010,
      acceptedAtMs: 1_767_225_600_450,
      quality: 8193,
      flags: ['GAP', 'FILTERED'],
      values: { '1-0:32.7.0': { value: 230.1, unit: 'V' }, '1-0:31.7.0': { value: 4.217, unit: 'A' }, '1-0:1.8.0': { value: 12000, unit: 'Wh' } },
    });
  });
});
