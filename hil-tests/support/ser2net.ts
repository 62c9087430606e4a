// ser2net as an RS-485-to-Ethernet gateway stand-in: raw bytes between a loopback TCP port and a serial device.
import { writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { startProcess, type Peer } from './process.ts';

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/** Writes a ser2net config in `dir` bridging 127.0.0.1:`port` to `device` and starts ser2net in the foreground. */
export async function startSer2net(dir: string, port: number, device: string, serial = '9600n81'): Promise<Peer> {
  const config = join(dir, 'ser2net.yaml');
  writeFileSync(config, [
    '%YAML 1.1',
    '---',
    'connection: &meterchain',
    `  accepter: tcp,127.0.0.1,${port}`,
    '  enable: on',
    `  connector: serialdev,${device},${serial},local`,
    '  options:',
    '    kickolduser: true',
    '',
  ].join('\n'));
  const peer = startProcess('ser2net', ['-n', '-u', '-c', config, '-P', join(dir, 'ser2net.pid')]);
  for (let i = 0; i < 100; i++) {
    if (await canConnect(port)) return peer;
    await new Promise((r) => setTimeout(r, 50));
  }
  await peer.stop();
  throw new Error(`ser2net did not listen on ${port}:\n${peer.output()}`);
}
