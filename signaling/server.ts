// The signaling server: WebSocket rooms and one-to-one relay at /signal, plus dist/ and /healthz over HTTP.

/**
 * The signaling server: `import { startSignalingServer } from 'dynamo-browser/signaling'` (needs the optional peer ws).
 * @module dynamo-browser/signaling
 */

import { createServer, type Server } from 'node:http';
import { fileURLToPath } from 'node:url';
import { WebSocketServer } from 'ws';
import { Admission } from './admission';
import { Cluster } from './cluster';
import { startHeartbeat } from './heartbeat';
import { requestHandler, upgradeHandler } from './http';
import { Hub } from './hub';
import type { IceSettings } from './ice';
import { resolveLimits, type SignalingLimits } from './limits';
import type { SignalingStats } from './stats';

export { DEFAULT_LIMITS, type SignalingLimits } from './limits';
export type { SignalingStats } from './stats';
export { iceFromEnv, type IceSettings } from './ice';

export interface SignalingOptions {
  /** 0 picks an ephemeral port. */
  port: number;
  /** Default '0.0.0.0'. */
  host?: string;
  /** Directory served over HTTP (the built app); none means only /healthz. */
  staticDir?: string | URL;
  limits?: Partial<SignalingLimits>;
  /** Clock for the rate limiter (ms). Default Date.now. */
  now?: () => number;
  /** Where unexpected internal errors are reported. Default console.error. (Spelled out, not hub.ts's Log: the package's types must not pull in `ws`.) */
  log?: (message: string, err?: unknown) => void;
  /** What /ice.json serves (STUN/TURN, TURN credentials minted per request); default no servers. */
  ice?: IceSettings;
  /**
   * Share rooms with every signaling process on this Redis (cluster.ts). `ttlMs`: how long after a
   * process dies its peers are announced as left (default 10 s).
   */
  redis?: { url: string; ttlMs?: number; prefix?: string };
}

export interface SignalingServer {
  port: number;
  /** http://127.0.0.1:port (or the bound host when it is not a wildcard). */
  url: string;
  /** Open connections, bytes waiting for readers, and what was dropped or cut; read at the call. */
  stats(): SignalingStats;
  close(): Promise<void>;
}

export async function startSignalingServer(opts: SignalingOptions): Promise<SignalingServer> {
  const limits = resolveLimits(opts.limits);
  const host = opts.host ?? '0.0.0.0';
  const log = opts.log ?? ((m: string, e?: unknown) => console.error(`[signaling] ${m}`, e ?? ''));
  const staticDir = opts.staticDir instanceof URL ? fileURLToPath(opts.staticDir) : opts.staticDir;
  const hub = new Hub(limits, opts.now ?? Date.now, log);
  if (opts.redis) {
    const events = { presence: hub.presence.bind(hub), signal: hub.remoteSignal.bind(hub), reset: hub.resetShared.bind(hub) };
    hub.cluster = await Cluster.start({ ...opts.redis, maxSignalBytes: limits.maxPayload + 1024, log }, events);
  }
  const wss = new WebSocketServer({ noServer: true, maxPayload: limits.maxPayload });
  const http = createServer(requestHandler(hub.rooms, staticDir, log, opts.ice, opts.now));
  const admission = new Admission(limits, hub.counters);
  http.on('upgrade', upgradeHandler(wss, admission, (ws) => hub.attach(ws)));
  try {
    await listen(http, opts.port, host);
  } catch (err) {
    await hub.cluster?.close();
    throw err;
  }
  http.on('error', (err) => log('http server error', err));
  const stopHeartbeat = startHeartbeat(hub.conns, limits.pingIntervalMs, () => hub.counters.closed.pingTimeout++);

  const address = http.address();
  const port = typeof address === 'object' && address ? address.port : opts.port;
  let closing: Promise<void> | undefined;
  const close = (): Promise<void> =>
    (closing ??= new Promise<void>((resolve) => {
      stopHeartbeat();
      for (const c of hub.conns) c.ws.terminate();
      wss.close();
      http.close(() => void (hub.cluster?.close() ?? Promise.resolve()).then(() => resolve()));
      http.closeAllConnections();
    }));
  return { port, url: `http://${shownHost(host)}:${port}`, stats: () => hub.stats(), close };
}

function listen(http: Server, port: number, host: string): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    http.once('error', reject);
    http.listen(port, host, () => {
      http.off('error', reject);
      resolve();
    });
  });
}

/** A host a client can dial: loopback for a wildcard bind, brackets around an IPv6 literal. */
function shownHost(host: string): string {
  return host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host.includes(':') ? `[${host}]` : host;
}
