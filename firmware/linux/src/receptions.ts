// The shared receivers of one process (`meterchain node --receiver LOGIN`): one broker connection per broker and
// cluster, over which the cluster's broadcast frames reach every node of the process that the process hosts
// (@meterchain/transport's SharedReception). The login is one the broker's ACL lets read the cluster's broadcast
// kinds and publish nothing (an observer of brokerAcl); the shipped broker takes the client id from the login, so it
// must be a login of its own, not a meter's.
import { SharedReception, type Transport } from '@meterchain/transport';

export interface ReceiverLogin {
  username: string;
  password?: string;
}

export class Receptions {
  readonly login: ReceiverLogin;
  private readonly open = new Map<string, Promise<SharedReception>>();

  constructor(login: ReceiverLogin) {
    this.login = login;
  }

  /**
   * The transport a node uses: `own`, with the broadcast kinds of its cluster received over the process's receiver
   * for `url` and the cluster (opened with `openReceiver` for the first node that asks).
   */
  async attach(url: string, own: Transport, openReceiver: (login: ReceiverLogin) => Promise<Transport>): Promise<Transport> {
    const key = `${url} ${own.cluster}`;
    let reception = this.open.get(key);
    if (!reception) {
      reception = openReceiver(this.login).then((receiver) => new SharedReception(receiver));
      this.open.set(key, reception);
      reception.catch(() => this.open.delete(key));
    }
    return (await reception).attach(own);
  }
}
