// A minimal typed listener list, shared by ports' implementations (transports, node events).

import type { Unsubscribe } from './transport';

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
