// A small typed event list for transports: listeners are called in order; a throwing listener does not stop the
// others or the transport (its error goes to the 'error' listeners, or is rethrown asynchronously when there are none).
import type { TransportEventName, TransportEvents } from './transport.ts';

type Listener<E extends TransportEventName> = (payload: TransportEvents[E]) => void;

export class TransportEmitter {
  readonly #listeners: { [E in TransportEventName]?: Array<Listener<E>> } = {};

  on<E extends TransportEventName>(event: E, listener: Listener<E>): () => void {
    if (typeof listener !== 'function') throw new TypeError(`transport: expected a listener function for '${event}', got ${typeof listener}`);
    const list = (this.#listeners[event] ??= []) as Array<Listener<E>>;
    list.push(listener);
    return () => {
      const i = list.indexOf(listener);
      if (i >= 0) list.splice(i, 1);
    };
  }

  /** Whether anyone listens for `event` (so a payload nobody reads is not built). */
  has(event: TransportEventName): boolean {
    return (this.#listeners[event]?.length ?? 0) > 0;
  }

  emit<E extends TransportEventName>(event: E, payload: TransportEvents[E]): void {
    const list = this.#listeners[event] as Array<Listener<E>> | undefined;
    if (!list) return;
    for (const listener of [...list]) {
      try {
        listener(payload);
      } catch (error) {
        this.#listenerFailed(event, error);
      }
    }
  }

  clear(): void {
    for (const key of Object.keys(this.#listeners) as TransportEventName[]) delete this.#listeners[key];
  }

  #listenerFailed(event: TransportEventName, error: unknown): void {
    const err = error instanceof Error ? error : new Error(String(error));
    if (event !== 'error' && (this.#listeners.error?.length ?? 0) > 0) this.emit('error', { error: err });
    else queueMicrotask(() => { throw err; });
  }
}
