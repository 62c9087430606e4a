// A TCP proxy on loopback that a test can cut and heal: a client behind it loses its connection as if its cable
// were pulled, and cannot reconnect until healed.
import { connect, createServer, type Server, type Socket } from 'node:net';

export interface TcpProxy {
  readonly port: number;
  readonly url: string;
  readonly cut: boolean;
  /** Drops every open connection and refuses new ones. */
  cutOff(): void;
  heal(): void;
  close(): Promise<void>;
}

export async function startTcpProxy(targetHost: string, targetPort: number, scheme = 'mqtt'): Promise<TcpProxy> {
  const pairs = new Set<[Socket, Socket]>();
  let isCut = false;
  const server: Server = createServer((client) => {
    if (isCut) {
      client.destroy();
      return;
    }
    client.setNoDelay(true);
    const upstream = connect({ host: targetHost, port: targetPort }, () => upstream.setNoDelay(true));
    const pair: [Socket, Socket] = [client, upstream];
    pairs.add(pair);
    const drop = () => {
      pairs.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    client.on('error', drop).on('close', drop);
    upstream.on('error', drop).on('close', drop);
    client.pipe(upstream);
    upstream.pipe(client);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  const cutOff = () => {
    isCut = true;
    for (const [a, b] of pairs) {
      a.destroy();
      b.destroy();
    }
    pairs.clear();
  };
  return {
    port,
    url: `${scheme}://127.0.0.1:${port}`,
    get cut() {
      return isCut;
    },
    cutOff,
    heal() {
      isCut = false;
    },
    async close() {
      cutOff();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
