// `meterchain cluster broker-config`: the password file and ACL made from a manifest, used by a real Mosquitto
// started from the shipped configuration.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { requireMosquitto, startMosquitto, type MosquittoBroker } from '@meterchain/testkit/mosquitto';
import { isOneLineError, meterchain } from './run.ts';

const dir = mkdtempSync(join(tmpdir(), 'mc-broker-config-'));
const haveMosquitto = requireMosquitto('meterchain cluster broker-config');
let members: string[] = [];

beforeAll(() => {
  expect(meterchain(['cluster', 'init', '--name', 'feeder-9', '--members', '4', '--rule', 'bft', '--out', join(dir, 'c')]).code).toBe(0);
  members = (JSON.parse(meterchain(['cluster', 'show', '--manifest', join(dir, 'c/manifest.cbor'), '--json']).stdout) as { members: { address: string }[] }).members.map((m) => m.address);
}, 60_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

(haveMosquitto ? describe : describe.skip)('meterchain cluster broker-config', () => {
  let broker: MosquittoBroker | undefined;
  afterAll(async () => {
    await broker?.close();
  });

  test('writes an ACL naming each member in manifest order, a hashed password file and a drawn password per login', () => {
    writeFileSync(join(dir, 'given.txt'), `# the observer's password is chosen by the operator\ncontrol-centre s3cret-observer\n`);
    const r = meterchain(['cluster', 'broker-config', '--manifest', join(dir, 'c/manifest.cbor'), '--out', join(dir, 'broker'), '--observer', 'control-centre', '--passwords', join(dir, 'given.txt')]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/4 members and 1 observers/);
    const acl = readFileSync(join(dir, 'broker/meterchain.acl'), 'utf8');
    members.forEach((address, i) => {
      expect(acl).toContain(`user ${address}\ntopic write meterchain/feeder-9/+/${address}\n`);
      expect(acl).toContain(`topic read meterchain/feeder-9/vote-to-${i}/+`);
    });
    expect(acl).not.toMatch(/^pattern/m);
    const passwd = readFileSync(join(dir, 'broker/meterchain.passwd'), 'utf8');
    expect(passwd.trim().split('\n').map((l) => l.split(':')[0])).toEqual([...members, 'control-centre']);
    expect(passwd).not.toContain('s3cret-observer');
    expect(passwd).toMatch(/^control-centre:\$7\$/m);
    for (const address of members) expect(statSync(join(dir, `broker/passwords/${address}.pass`)).mode & 0o777).toBe(0o600);
    expect(statSync(join(dir, 'broker/meterchain.passwd')).mode & 0o777).toBe(0o600);
    expect(() => statSync(join(dir, 'broker/passwords/control-centre.pass'))).toThrow();
  });

  test('Mosquitto from the shipped configuration with these files lets each member in with its drawn password and holds it to its address', async () => {
    broker = await startMosquitto({ acl: readFileSync(join(dir, 'broker/meterchain.acl'), 'utf8'), passwordFile: join(dir, 'broker/meterchain.passwd') });
    const pass = (address: string) => readFileSync(join(dir, `broker/passwords/${address}.pass`), 'utf8').trim();
    const [m0, m1] = members as [string, string];
    const c0 = await mqtt.connectAsync(broker.url, { username: m0, password: pass(m0), protocolVersion: 5, reconnectPeriod: 0 });
    const c1 = await mqtt.connectAsync(broker.url, { username: m1, password: pass(m1), protocolVersion: 5, reconnectPeriod: 0 });
    const observer = await mqtt.connectAsync(broker.url, { username: 'control-centre', password: 's3cret-observer', protocolVersion: 5, reconnectPeriod: 0 });
    try {
      const seen: string[] = [];
      observer.on('message', (topic) => seen.push(topic));
      await observer.subscribeAsync('meterchain/feeder-9/+/+', { qos: 1 });
      await expect(c1.publishAsync(`meterchain/feeder-9/vote/${m0}`, 'x', { qos: 1 })).rejects.toMatchObject({ code: 135 });
      await c0.publishAsync(`meterchain/feeder-9/vote/${m0}`, 'x', { qos: 1 });
      const until = Date.now() + 5000;
      while (seen.length === 0 && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
      expect(seen).toEqual([`meterchain/feeder-9/vote/${m0}`]);
      await expect(mqtt.connectAsync(broker.url, { username: m0, password: 'wrong', protocolVersion: 5, reconnectPeriod: 0 })).rejects.toThrow(/Bad User Name or Password|Not authorized/);
    } finally {
      await Promise.all([c0, c1, observer].map((c) => c.endAsync(true)));
    }
  });

  test('refuses to overwrite, and names a password-file login that is not in the cluster, in one line', () => {
    const again = meterchain(['cluster', 'broker-config', '--manifest', join(dir, 'c/manifest.cbor'), '--out', join(dir, 'broker')]);
    expect(again.code).toBe(2);
    expect(isOneLineError(again)).toBe(true);
    expect(again.stderr).toMatch(/refusing to overwrite/);
    writeFileSync(join(dir, 'stranger.txt'), 'mc0000000000000000000000000000000000000000 pw\n');
    const stranger = meterchain(['cluster', 'broker-config', '--manifest', join(dir, 'c/manifest.cbor'), '--out', join(dir, 'other'), '--passwords', join(dir, 'stranger.txt')]);
    expect(stranger.code).toBe(2);
    expect(isOneLineError(stranger)).toBe(true);
    expect(stranger.stderr).toMatch(/is neither a member of cluster 'feeder-9' nor an --observer/);
  });
});
