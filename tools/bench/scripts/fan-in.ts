// What receiving a cluster's round traffic costs a meter process's MQTT transports (a script, not a test): K receiving
// transports in this process, as a 16-meter process runs them, each on its own connection to a real Mosquitto on this
// machine; N senders in a child process, each publishing one submission-sized frame a round, and one certificate-sized
// frame a round, as a 64-member cluster in leader mode sends. Reports this process's CPU time (user + system) per
// receiver and round, and per frame delivered: the transport's share of a meter's CPU, whatever the machine's load
// (CPU time, not wall time, and nothing here falls behind when the cores are shared).
//
//   npx tsx tools/bench/scripts/fan-in.ts [--receivers 16] [--senders 64] [--rounds 30] [--json]
import { fork } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { startMosquitto } from '@meterchain/testkit/mosquitto';
import { openMqttTransport, type MqttTransport } from '@meterchain/transport';

/** A member address: "mc" + 40 hex digits derived from `i`. */
const testAddress = (i: number) => 'mc' + (i + 1).toString(16).padStart(8, '0').repeat(5);
async function waitFor(condition: () => boolean, what: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

const CLUSTER = 'fan-in';
const { values } = parseArgs({ options: { receivers: { type: 'string' }, senders: { type: 'string' }, rounds: { type: 'string' }, json: { type: 'boolean' }, send: { type: 'string' } } });
const password = (address: string) => `pw-${address.slice(-8)}`;
const open = (address: string, url: string, dir: string) => openMqttTransport({ cluster: CLUSTER, address, url, password: password(address), spoolDir: join(dir, address), fsync: 'interval', fsyncIntervalMs: 100 });

if (values.send) {
  // The child: senders 0..N-1, one frame each per round, spread over the first 100 ms of the round; sender 0 also
  // sends the round's certificate. Stops when the parent says so.
  const { url, senders, dir } = JSON.parse(values.send) as { url: string; senders: number; dir: string };
  const ts = await Promise.all(Array.from({ length: senders }, (_, i) => open(testAddress(i), url, dir)));
  await waitFor(() => ts.every((t) => t.connected), 'senders connected', 20_000);
  const submission = new Uint8Array(330).map((_, i) => i * 7);
  const certificate = new Uint8Array(5200).map((_, i) => i * 13);
  let stop = false;
  process.on('message', () => (stop = true));
  process.send!('ready');
  while (!stop) {
    const start = Math.ceil(Date.now() / 1000) * 1000;
    await new Promise((r) => setTimeout(r, start - Date.now()));
    ts.forEach((t, i) => setTimeout(() => void t.publish('submission', submission).catch(() => undefined), (i * 100) / senders));
    setTimeout(() => void ts[0]!.publish('certificate', certificate).catch(() => undefined), 300);
  }
  await new Promise((r) => setTimeout(r, 1500));
  await Promise.all(ts.map((t) => t.close()));
  process.exit(0);
}

const receivers = Number(values.receivers ?? 16);
const senders = Number(values.senders ?? 64);
const rounds = Number(values.rounds ?? 30);
if (!(receivers >= 1 && receivers <= 64) || !(senders >= 1 && senders <= 256) || !(rounds >= 5 && rounds <= 600)) throw new Error('--receivers 1..64, --senders 1..256, --rounds 5..600');
const dir = mkdtempSync(join(tmpdir(), 'mc-fan-in-'));
const addresses = Array.from({ length: senders + receivers }, (_, i) => testAddress(i));
const broker = await startMosquitto({ users: addresses.map((a) => ({ username: a, password: password(a) })), settings: { max_queued_messages: 20000 } });
const rx: MqttTransport[] = await Promise.all(addresses.slice(senders).map((a) => open(a, broker.url, dir)));
await waitFor(() => rx.every((t) => t.connected), 'receivers connected', 20_000);
let delivered = 0;
await Promise.all(rx.map((t) => t.subscribe({}, () => void delivered++)));
const child = fork(new URL(import.meta.url).pathname, ['--send', JSON.stringify({ url: broker.url, senders, dir })], { execArgv: process.execArgv });
await new Promise((r) => child.once('message', r));
// Two rounds to settle, then the measured rounds.
await new Promise((r) => setTimeout(r, 2000));
const cpu0 = process.cpuUsage();
const delivered0 = delivered;
const t0 = performance.now();
await new Promise((r) => setTimeout(r, rounds * 1000));
const cpu = process.cpuUsage(cpu0);
const frames = delivered - delivered0;
const seconds = (performance.now() - t0) / 1000;
child.send('stop');
await new Promise((r) => child.once('exit', r));
await Promise.all(rx.map((t) => t.close()));
await broker.close();
rmSync(dir, { recursive: true, force: true });

const ms = (us: number) => us / 1000;
const result = {
  receivers,
  senders,
  rounds: Math.round(seconds),
  framesPerReceiverPerRound: frames / receivers / seconds,
  cpuMsPerReceiverPerRound: { user: ms(cpu.user) / receivers / seconds, system: ms(cpu.system) / receivers / seconds, total: ms(cpu.user + cpu.system) / receivers / seconds },
  cpuUsPerFrame: (cpu.user + cpu.system) / frames,
};
if (values.json) console.log(JSON.stringify(result, null, 2));
else {
  const c = result.cpuMsPerReceiverPerRound;
  console.log(`${receivers} receivers, ${senders} senders, ${result.rounds} rounds: ${result.framesPerReceiverPerRound.toFixed(1)} frames per receiver and round`);
  console.log(`CPU per receiver and round: ${c.total.toFixed(2)} ms (user ${c.user.toFixed(2)}, system ${c.system.toFixed(2)}); per frame delivered ${result.cpuUsPerFrame.toFixed(1)} µs`);
}
process.exit(0);
