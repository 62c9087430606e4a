// Entry bundled for the real interpreter by mqtt.test.ts: the firmware's MQTT publisher over Espruino's own `net`
// sockets, as src/main.ts binds it, publishing five messages of a 300-byte payload under a sensor login, one every
// 300 ms, then waiting past 1.5 keep-alives with nothing to send (its PINGREQs keep it connected), then closing.
import { createMqttPublisher } from '../src/mqtt.ts';
import { transportHeader } from '../src/node.ts';

interface Socket {
  write(data: string): void;
  end(): void;
  on(event: string, handler: (data: string) => void): void;
}
declare const E: { toUint8Array(data: string): Uint8Array; toString(data: Uint8Array): string };
declare function require(name: 'net'): { connect(options: { host: string; port: number }, connected: () => void): Socket };
/** Set by the test before the bundle: broker, login, topic. */
declare const MQTT_BOARD: { host: string; port: number; username: string; password: string; topic: string };

export function smoke(): void {
  const net = require('net');
  const settings = MQTT_BOARD;
  const publisher = createMqttPublisher(
    {
      connect: (events) => {
        const socket = net.connect({ host: settings.host, port: settings.port }, () => events.open());
        socket.on('data', (data) => events.data(E.toUint8Array(data)));
        socket.on('close', () => events.close());
        socket.on('error', () => events.close());
        return { write: (bytes) => socket.write(E.toString(bytes)), end: () => socket.end() };
      },
      setTimeout: (run, ms) => setTimeout(run, ms),
      clearTimeout: (handle) => clearTimeout(handle as number),
    },
    { username: settings.username, password: settings.password, keepAliveS: 2, backoffMs: 200, maxBackoffMs: 1000, onState: (s) => console.log(`state ${s}`) },
  );
  const payload = new Uint8Array(300);
  for (let i = 0; i < payload.length; i++) payload[i] = (i * 7) & 0xff;
  let sent = 0;
  const timer = setInterval(() => {
    if (!publisher.connected()) return;
    publisher.publish(settings.topic, [transportHeader(1, sent), payload]);
    sent++;
    if (sent < 5) return;
    clearInterval(timer);
    setTimeout(() => {
      console.log(`counts ${JSON.stringify(publisher.counts)}`);
      publisher.close();
      console.log('done');
    }, 3500);
  }, 300);
}
