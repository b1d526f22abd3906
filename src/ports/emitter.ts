// A minimal typed listener list, shared by ports' implementations (transports, node events).

import type { NodeId, Unsubscribe } from './transport';

export class Listeners<A extends unknown[]> {
  private fns = new Set<(...args: A) => void>();

  add(fn: (...args: A) => void): Unsubscribe {
    this.fns.add(fn);
    return () => this.fns.delete(fn);
  }

  /** Calls every listener; one listener's exception must not starve the others or the caller. */
  emit(...args: A): void {
    for (const fn of [...this.fns]) {
      try {
        fn(...args);
      } catch (err) {
        queueMicrotask(() => {
          throw err;
        });
      }
    }
  }

  clear(): void {
    this.fns.clear();
  }
}

/** The event half of the Transport port, shared by every transport adapter. */
export abstract class TransportEvents {
  protected readonly messages = new Listeners<[NodeId, string]>();
  protected readonly ups = new Listeners<[NodeId]>();
  protected readonly downs = new Listeners<[NodeId]>();

  onMessage(fn: (from: NodeId, data: string) => void): Unsubscribe {
    return this.messages.add(fn);
  }
  onPeerUp(fn: (peer: NodeId) => void): Unsubscribe {
    return this.ups.add(fn);
  }
  onPeerDown(fn: (peer: NodeId) => void): Unsubscribe {
    return this.downs.add(fn);
  }

  protected clearListeners(): void {
    this.messages.clear();
    this.ups.clear();
    this.downs.clear();
  }
}
