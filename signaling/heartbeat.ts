// Liveness by ws-level ping: a connection that has not ponged since the previous ping is gone
// (a sleeping laptop, a dead NAT mapping), so it is terminated and its room hears it left.

import type { Conn } from './connection';

/** Pings every connection each `intervalMs`, calling `timedOut` for each one it cuts; returns a function that stops. */
export function startHeartbeat(conns: Iterable<Conn>, intervalMs: number, timedOut: () => void = () => {}): () => void {
  const timer = setInterval(() => {
    for (const c of conns) {
      if (!c.alive) {
        timedOut();
        c.ws.terminate();
        continue;
      }
      c.alive = false;
      try {
        c.ws.ping();
      } catch {
        c.ws.terminate();
      }
    }
  }, intervalMs);
  timer.unref();
  return () => clearInterval(timer);
}
