// The Mosquitto harness: a real broker from the shipped configuration, on a free loopback port, with logins and ACL.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { readFile } from 'node:fs/promises';
import { connect } from 'node:net';
import mqtt from 'mqtt';
import { requireMosquitto, rewriteConfig, startMosquitto, type MosquittoBroker } from '../src/mosquitto.ts';

const USER = { username: 'mc' + 'ab'.repeat(20), password: 'pw-one' };

/** Logs in with MQTT 3.1.1 and reports the CONNACK outcome. */
function login(url: string, username: string, password: string): Promise<'accepted' | string> {
  return new Promise((resolve) => {
    const client = mqtt.connect(url, { username, password, reconnectPeriod: 0, connectTimeout: 3000, clientId: `probe-${username}` });
    client.once('connect', () => {
      client.end(true);
      resolve('accepted');
    });
    client.once('error', (error) => {
      client.end(true);
      resolve(error.message);
    });
  });
}

function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect({ host: '127.0.0.1', port });
    s.once('connect', () => (s.destroy(), resolve(true)));
    s.once('error', () => (s.destroy(), resolve(false)));
  });
}

describe('requireMosquitto', () => {
  test('with no binary, a CI run fails with a message naming what cannot run', () => {
    expect(() => requireMosquitto('the broker tests', { binary: '/nonexistent/mosquitto', ci: true })).toThrow(/mosquitto not found: the broker tests.*CI requires it/);
  });

  test('with no binary outside CI, it warns loudly and says not to run', () => {
    const warnings: string[] = [];
    expect(requireMosquitto('the broker tests', { binary: '/nonexistent/mosquitto', ci: false, warn: (m) => warnings.push(m) })).toBe(false);
    expect(warnings).toEqual([expect.stringMatching(/mosquitto not found: the broker tests/)]);
  });
});

describe('rewriteConfig', () => {
  const template = ['per_listener_settings true', 'set_tcp_nodelay true', 'max_queued_messages 8000', 'persistence true', 'listener 1883', 'password_file /etc/x', 'acl_file /etc/y', 'listener 8883', 'certfile /etc/c'].join('\n');

  test('moves the listener to the loopback port, points the files at the temp dir and drops other listeners', () => {
    const text = rewriteConfig(template, '/tmp/t', 41000);
    expect(text).toMatch(/^listener 41000 127\.0\.0\.1$/m);
    expect(text).toMatch(/^password_file \/tmp\/t\/passwd$/m);
    expect(text).toMatch(/^acl_file \/tmp\/t\/acl$/m);
    expect(text).not.toMatch(/8883|1883|certfile/);
    expect(text).toMatch(/^set_tcp_nodelay true$/m);
    expect(text).toMatch(/^persistence false$/m);
  });

  test('settings replace the shipped value for their key, once, before the listener', () => {
    const text = rewriteConfig(template, '/tmp/t', 41000, { settings: { max_queued_messages: 5, max_inflight_messages: 3 } });
    expect(text.match(/^max_queued_messages .*$/gm)).toEqual(['max_queued_messages 5']);
    expect(text.indexOf('max_inflight_messages 3')).toBeLessThan(text.indexOf('listener 41000'));
  });

  test("persistence true saves after every change; 'shipped' keeps the template's own schedule", () => {
    const shipped = `autosave_interval 30\n${template}`;
    const everyChange = rewriteConfig(shipped, '/tmp/t', 41000, { persistence: true });
    expect(everyChange.match(/^autosave_.*$/gm)).toEqual(['autosave_interval 1', 'autosave_on_changes true']);
    expect(everyChange).toMatch(/^persistence_location \/tmp\/t\/$/m);
    const asShipped = rewriteConfig(shipped, '/tmp/t', 41000, { persistence: 'shipped' });
    expect(asShipped.match(/^autosave_.*$/gm)).toEqual(['autosave_interval 30']);
    expect(asShipped.match(/^persistence .*$/gm)).toEqual(['persistence true']);
    expect(asShipped).toMatch(/^persistence_location \/tmp\/t\/$/m);
  });

  test('refuses port 1883', () => {
    expect(() => rewriteConfig(template, '/tmp/t', 1883)).toThrow(/1883/);
  });
});

const haveMosquitto = requireMosquitto('the Mosquitto harness tests');

(haveMosquitto ? describe : describe.skip)('startMosquitto (real broker)', () => {
  let broker: MosquittoBroker;
  beforeAll(async () => {
    broker = await startMosquitto({ users: [USER] });
  });
  afterAll(async () => {
    await broker?.close();
  });

  test('listens on a loopback port other than 1883, from the shipped configuration with set_tcp_nodelay', async () => {
    expect(broker.port).not.toBe(1883);
    expect(broker.url).toBe(`mqtt://127.0.0.1:${broker.port}`);
    const config = await readFile(broker.configPath, 'utf8');
    expect(config).toMatch(/^set_tcp_nodelay true$/m);
    expect(config).toMatch(/^max_queued_messages 8000$/m);
    expect(await readFile(`${broker.dir}/acl`, 'utf8')).toMatch(/^pattern write meterchain\/\+\/\+\/%u$/m);
  });

  test('accepts a configured login and refuses a wrong password and anonymous clients', async () => {
    expect(await login(broker.url, USER.username, USER.password)).toBe('accepted');
    expect(await login(broker.url, USER.username, 'wrong')).toMatch(/Not authorized|Bad username/);
    expect(await login(broker.url, '', '')).not.toBe('accepted');
  });

  test('a user added later can log in', async () => {
    await broker.addUser({ username: 'observer', password: 'pw-two' });
    expect(await login(broker.url, 'observer', 'pw-two')).toBe('accepted');
  });

  test('stop() closes the port; start() opens the same port again', async () => {
    const port = broker.port;
    await broker.stop();
    expect(broker.running).toBe(false);
    expect(await portOpen(port)).toBe(false);
    await broker.start();
    expect(broker.port).toBe(port);
    expect(await login(broker.url, USER.username, USER.password)).toBe('accepted');
  });

  test('kill() ends the process at once; restart() after it works', async () => {
    const pid = broker.pid;
    await broker.kill();
    expect(pid).toBeDefined();
    expect(() => process.kill(pid!, 0)).toThrow();
    await broker.restart();
    expect(await login(broker.url, USER.username, USER.password)).toBe('accepted');
  });
});
