// The firmware's MQTT publisher on Node: the board's `net` sockets and timers, as node:net gives them.
import net from 'node:net';
import type { MqttHost } from '../src/mqtt.ts';

export function nodeMqttHost(host: string, port: number): MqttHost {
  return {
    connect(events) {
      const socket = net.connect({ host, port });
      socket.on('connect', () => events.open());
      socket.on('data', (bytes) => events.data(new Uint8Array(bytes)));
      socket.on('close', () => events.close());
      // A refused or reset connection is reported by 'close', which follows.
      socket.on('error', () => undefined);
      return { write: (bytes) => void socket.write(bytes), end: () => void socket.end(() => socket.destroy()) };
    },
    setTimeout: (run, ms) => setTimeout(run, ms),
    clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
  };
}
