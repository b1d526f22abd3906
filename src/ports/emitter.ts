// A minimal typed listener list, shared by ports' implementations (transports, node events).

import type { NodeId, Unsubscribe } from './transport';

export class Listeners<A extends unknown[]> {
  private fns = new Set<(...args: A) => void>();
  /**
   * The listeners as of the last add or remove, replaced (never mutated) on change: an emit walks
   * the list it started with, without copying it on every call (emit runs once per message).
   */
  private snapshot: ReadonlyArray<(...args: A) => void> = [];

  add(fn: (...args: A) => void): Unsubscribe {
    this.fns.add(fn);
    this.snapshot = [...this.fns];
    return () => {
      const had = this.fns.delete(fn);
      if (had) this.snapshot = [...this.fns];
      return had;
    };
  }

  /** Calls every listener; one listener's exception must not starve the others or the caller. */
  emit(...args: A): void {
    const fns = this.snapshot;
    for (let i = 0; i < fns.length; i++) {
      try {
        (fns[i] as (...args: A) => void)(...args);
      } catch (err) {
        queueMicrotask(() => {
          throw err;
        });
      }
    }
  }

  clear(): void {
    this.fns.clear();
    this.snapshot = [];
  }
}

/** The event half of the Transport port, shared by every transport adapter. */
export abstract class TransportEvents {
  protected readonly messages = new Listeners<[NodeId, string]>();
  protected readonly ups = new Listeners<[NodeId]>();
  protected readonly downs = new Listeners<[NodeId]>();
  protected readonly hints = new Listeners<[NodeId]>();

  onMessage(fn: (from: NodeId, data: string) => void): Unsubscribe {
    return this.messages.add(fn);
  }
  onPeerUp(fn: (peer: NodeId) => void): Unsubscribe {
    return this.ups.add(fn);
  }
  onPeerDown(fn: (peer: NodeId) => void): Unsubscribe {
    return this.downs.add(fn);
  }
  onPeerHint(fn: (peer: NodeId) => void): Unsubscribe {
    return this.hints.add(fn);
  }

  protected clearListeners(): void {
    this.messages.clear();
    this.ups.clear();
    this.downs.clear();
    this.hints.clear();
  }
}
