// A sensor node over MQTT, from provisioning to the broker: `sensor provision --mqtt-node` writes broker.json,
// `cluster broker-config --sensor` turns it into the sensor's login and ACL section, and a real Mosquitto started
// from the shipped configuration with those files holds the sensor's login to publishing its own frames, read by its
// full node only.
import { afterAll, describe, expect, test } from '@jest/globals';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { requireMosquitto, startMosquitto, type MosquittoBroker } from '@meterchain/testkit/mosquitto';
import { isOneLineError, meterchain } from './run.ts';

const dir = mkdtempSync(join(tmpdir(), 'mc-sensor-broker-'));
const haveMosquitto = requireMosquitto('meterchain sensor provision --mqtt-node with broker-config');
const NODE = 'mc' + '1'.repeat(40); // replaced by a real member address below

afterAll(() => rmSync(dir, { recursive: true, force: true }));

(haveMosquitto ? describe : describe.skip)('sensor provision --mqtt-node, cluster broker-config --sensor, Mosquitto', () => {
  let broker: MosquittoBroker | undefined;
  afterAll(async () => {
    await broker?.close();
  });

  test('provision writes broker.json and node lines for MQTT; a bad --mqtt-node is one clear line', () => {
    const bad = meterchain(['sensor', 'provision', '--name', 's01', '--cluster', 'lab', '--out', join(dir, 'bad'), '--mqtt-node', 'm01']);
    expect(bad.code).not.toBe(0);
    expect(isOneLineError(bad)).toBe(true);
    expect(bad.stderr).toMatch(/--mqtt-node must be a member address/);
  });

  test("the sensor's drawn password lets it publish its frames only, and only its full node reads them", async () => {
    // A cluster without the sensor (for the refusal below), the sensor naming a full node, the cluster with it.
    expect(meterchain(['cluster', 'init', '--name', 'lab', '--members', '4', '--rule', 'bft', '--out', join(dir, 'pre')]).code).toBe(0);
    const pre = (JSON.parse(meterchain(['cluster', 'show', '--manifest', join(dir, 'pre/manifest.cbor'), '--json']).stdout) as { members: { address: string }[] }).members;
    expect(pre.length).toBe(4);
    const p = meterchain(['sensor', 'provision', '--name', 's01', '--cluster', 'lab', '--out', join(dir, 'sensors'), '--mqtt-node', NODE]);
    expect(p.code).toBe(0);
    expect(p.stdout).toContain(`over MQTT to ${NODE}`);
    const entry = JSON.parse(readFileSync(join(dir, 'sensors/s01/broker.json'), 'utf8')) as { sensor: string; node: string; topic: string; cluster: string };
    expect(entry).toMatchObject({ cluster: 'lab', node: NODE, topic: `meterchain/lab/sensor/${entry.sensor}` });
    expect(readFileSync(join(dir, 'sensors/s01/node-sensors.yaml'), 'utf8')).toMatch(/^ {4}mqtt: true/m);
    expect(meterchain(['cluster', 'init', '--name', 'lab', '--members', '4', '--rule', 'bft', '--out', join(dir, 'c'), '--sensor', join(dir, 'sensors/s01/member.json')]).code).toBe(0);
    const members = (JSON.parse(meterchain(['cluster', 'show', '--manifest', join(dir, 'c/manifest.cbor'), '--json']).stdout) as { members: { name: string; address: string; role: string }[] }).members;
    const full = members.filter((m) => m.role !== 'sensor').map((m) => m.address);
    const [node, other] = full as [string, string];
    // broker.json names the full node by address: point it at this cluster's first full member.
    const brokerJson = join(dir, 'sensors/s01/broker.json');
    const text = readFileSync(brokerJson, 'utf8').replace(NODE, node);
    writeFileSync(brokerJson, text);

    // A sensor entry of another cluster, or naming no member, is refused in one line.
    const wrong = meterchain(['cluster', 'broker-config', '--manifest', join(dir, 'pre/manifest.cbor'), '--out', join(dir, 'broker-wrong'), '--sensor', brokerJson]);
    expect(wrong.code).not.toBe(0);
    expect(isOneLineError(wrong)).toBe(true);

    // --board-broker needs HOST:PORT, and a --sensor to write for: one line each.
    const badPort = meterchain(['cluster', 'broker-config', '--manifest', join(dir, 'c/manifest.cbor'), '--out', join(dir, 'broker-bad'), '--sensor', brokerJson, '--board-broker', '10.0.0.2']);
    expect(isOneLineError(badPort)).toBe(true);
    expect(badPort.stderr).toMatch(/--board-broker expects HOST:PORT/);
    const noSensor = meterchain(['cluster', 'broker-config', '--manifest', join(dir, 'c/manifest.cbor'), '--out', join(dir, 'broker-bad'), '--board-broker', '10.0.0.2:1883']);
    expect(isOneLineError(noSensor)).toBe(true);
    expect(noSensor.stderr).toMatch(/--board-broker needs at least one --sensor/);

    const r = meterchain(['cluster', 'broker-config', '--manifest', join(dir, 'c/manifest.cbor'), '--out', join(dir, 'broker'), '--sensor', brokerJson, '--board-broker', '10.0.0.2:1883']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/5 members \(1 of them sensors over MQTT\)/);
    // The board's broker login: host and port as given, the password its login was drawn with (checked against the
    // broker below), and a program that stores the same bytes in the board's flash.
    const mcMqtt = readFileSync(join(dir, `broker/boards/${entry.sensor}/mc.mqtt`), 'utf8');
    expect(JSON.parse(mcMqtt)).toEqual({ host: '10.0.0.2', port: 1883, password: readFileSync(join(dir, `broker/passwords/${entry.sensor}.pass`), 'utf8').trim() });
    expect(statSync(join(dir, `broker/boards/${entry.sensor}/mc.mqtt`)).mode & 0o777).toBe(0o600);
    expect(readFileSync(join(dir, `broker/boards/${entry.sensor}/board-mqtt.js`), 'utf8')).toContain(`s.write("mc.mqtt", ${JSON.stringify(mcMqtt)});`);
    const acl = readFileSync(join(dir, 'broker/meterchain.acl'), 'utf8');
    expect(acl).toContain(`user ${entry.sensor}\ntopic write ${entry.topic}\n`);
    expect(acl.split('\n').filter((l) => l.includes(`sensor/${entry.sensor}`)).sort()).toEqual([`topic read ${entry.topic}`, `topic write ${entry.topic}`]);

    broker = await startMosquitto({ acl, passwordFile: join(dir, 'broker/meterchain.passwd') });
    const pass = (address: string) => readFileSync(join(dir, `broker/passwords/${address}.pass`), 'utf8').trim();
    const connect = (login: string) => mqtt.connectAsync(broker!.url, { username: login, password: pass(login), protocolVersion: 5, reconnectPeriod: 0 });
    const [sensor, reader, outsider] = [await connect(entry.sensor), await connect(node), await connect(other)];
    try {
      const [readerSaw, outsiderSaw, sensorSaw] = [[] as string[], [] as string[], [] as string[]];
      reader.on('message', (t) => readerSaw.push(t));
      outsider.on('message', (t) => outsiderSaw.push(t));
      sensor.on('message', (t) => sensorSaw.push(t));
      await reader.subscribeAsync('meterchain/lab/sensor/+', { qos: 1 });
      await outsider.subscribeAsync('meterchain/lab/sensor/+', { qos: 1 });
      await sensor.subscribeAsync('#', { qos: 1 });
      await expect(sensor.publishAsync(`meterchain/lab/submission/${entry.sensor}`, 'x', { qos: 1 })).rejects.toMatchObject({ code: 135 });
      await expect(sensor.publishAsync(`meterchain/lab/sensor/${other}`, 'x', { qos: 1 })).rejects.toMatchObject({ code: 135 });
      await sensor.publishAsync(entry.topic, 'frame', { qos: 1 });
      await outsider.publishAsync(`meterchain/lab/vote/${other}`, 'v', { qos: 1 });
      const until = Date.now() + 5000;
      while (readerSaw.length < 1 && Date.now() < until) await new Promise((res) => setTimeout(res, 20));
      await new Promise((res) => setTimeout(res, 300));
      expect(readerSaw).toEqual([entry.topic]);
      expect(outsiderSaw).toEqual([]);
      expect(sensorSaw).toEqual([]);
    } finally {
      await Promise.all([sensor, reader, outsider].map((c) => c.endAsync(true)));
    }
  }, 90_000);
});
