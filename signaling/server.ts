// The signaling server: WebSocket rooms and one-to-one relay at /signal, plus dist/ and /healthz over HTTP.

import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { WebSocket, WebSocketServer, type RawData } from 'ws';
import { ID_PATTERN, type ErrorCode, type ServerFrame } from './protocol';
import { TokenBucket } from './ratelimit';
import { Rooms } from './rooms';
import { sendText, serveStatic } from './static';

export interface SignalingLimits {
  /** Largest accepted frame in bytes; larger closes that connection with 1009. Default 64 KiB. */
  maxPayload: number;
  /** Default 256; the next join gets `room-full`. */
  maxPeersPerRoom: number;
  /** Token-bucket refill per connection, frames per second. Default 100. */
  ratePerSec: number;
  /** Token-bucket capacity. Default 300. */
  burst: number;
  /** ws-level ping period; a connection that misses one ping is terminated. Default 10_000. */
  pingIntervalMs: number;
}

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
  /** Where unexpected internal errors are reported. Default console.error. */
  log?: (message: string, err?: unknown) => void;
}

export interface SignalingServer {
  port: number;
  /** http://127.0.0.1:port (or the bound host when it is not a wildcard). */
  url: string;
  close(): Promise<void>;
}

export const DEFAULT_LIMITS: SignalingLimits = {
  maxPayload: 64 * 1024,
  maxPeersPerRoom: 256,
  ratePerSec: 100,
  burst: 300,
  pingIntervalMs: 10_000,
};

interface Conn {
  ws: WebSocket;
  bucket: TokenBucket;
  alive: boolean;
  /** Set after a `rate-limited` reply so a flood gets one error, not one per dropped frame. */
  limited: boolean;
  room?: string;
  peer?: string;
}

function pathOf(req: IncomingMessage): string | null {
  try {
    return new URL(req.url ?? '/', 'http://x').pathname;
  } catch {
    return null;
  }
}

export async function startSignalingServer(opts: SignalingOptions): Promise<SignalingServer> {
  const limits = { ...DEFAULT_LIMITS, ...opts.limits };
  const host = opts.host ?? '0.0.0.0';
  const now = opts.now ?? Date.now;
  const log = opts.log ?? ((m: string, e?: unknown) => console.error(`[signaling] ${m}`, e ?? ''));
  const staticDir = opts.staticDir instanceof URL ? fileURLToPath(opts.staticDir) : opts.staticDir;
  const rooms = new Rooms<Conn>(limits.maxPeersPerRoom);
  const conns = new Set<Conn>();

  const send = (c: Conn, frame: ServerFrame): void => {
    if (c.ws.readyState === WebSocket.OPEN) c.ws.send(JSON.stringify(frame));
  };
  const fail = (c: Conn, code: ErrorCode, message: string, ref?: string): void =>
    send(c, ref === undefined ? { type: 'error', code, message } : { type: 'error', code, message, ref });

  const leave = (c: Conn): void => {
    const { room, peer } = c;
    if (room === undefined || peer === undefined) return;
    c.room = c.peer = undefined;
    if (!rooms.leave(room, peer, c)) return;
    for (const [, other] of rooms.others(room, peer)) send(other, { type: 'peer-left', peer });
  };

  const onFrame = (c: Conn, raw: RawData, isBinary: boolean): void => {
    if (!c.bucket.take()) {
      if (!c.limited) fail(c, 'rate-limited', `over ${limits.ratePerSec} frames/s; frames are being dropped`);
      c.limited = true;
      return;
    }
    c.limited = false;
    if (isBinary) return fail(c, 'bad-frame', 'binary frames are not accepted; send JSON text');
    let msg: unknown;
    try {
      msg = JSON.parse(raw.toString());
    } catch {
      return fail(c, 'bad-json', 'frame is not valid JSON');
    }
    if (typeof msg !== 'object' || msg === null || Array.isArray(msg)) return fail(c, 'bad-frame', 'frame must be a JSON object');
    const f = msg as Record<string, unknown>;
    if (typeof f.type !== 'string') return fail(c, 'bad-frame', 'frame.type must be a string');
    switch (f.type) {
      case 'join': {
        const { room, peer } = f;
        if (typeof room !== 'string' || !ID_PATTERN.test(room) || typeof peer !== 'string' || !ID_PATTERN.test(peer)) {
          return fail(c, 'bad-frame', `room and peer must match ${ID_PATTERN}`, 'join');
        }
        if (c.peer !== undefined) return fail(c, 'already-joined', `already joined ${c.room} as ${c.peer}`, 'join');
        const result = rooms.join(room, peer, c);
        if (result === 'id-taken') return fail(c, 'id-taken', `peer id ${peer} is taken in room ${room}`, peer);
        if (result === 'room-full') return fail(c, 'room-full', `room ${room} has ${limits.maxPeersPerRoom} peers`, room);
        c.room = room;
        c.peer = peer;
        const others = rooms.others(room, peer);
        send(c, { type: 'welcome', room, peer, peers: others.map(([id]) => id) });
        for (const [, other] of others) send(other, { type: 'peer-joined', peer });
        return;
      }
      case 'signal': {
        if (typeof f.to !== 'string' || !('data' in f)) return fail(c, 'bad-frame', 'signal needs a string `to` and `data`', 'signal');
        if (c.room === undefined || c.peer === undefined) return fail(c, 'not-joined', 'join a room before signalling', 'signal');
        const target = rooms.get(c.room, f.to);
        if (!target) return fail(c, 'no-such-peer', `no peer ${f.to} in room ${c.room}`, f.to);
        return send(target, { type: 'signal', from: c.peer, data: f.data });
      }
      case 'leave':
        if (c.peer === undefined) return fail(c, 'not-joined', 'not in a room', 'leave');
        return leave(c);
      default:
        return fail(c, 'unknown-type', `unknown frame type ${JSON.stringify(f.type.slice(0, 32))}`);
    }
  };

  const wss = new WebSocketServer({ noServer: true, maxPayload: limits.maxPayload });
  wss.on('connection', (ws) => {
    const c: Conn = { ws, bucket: new TokenBucket(limits.ratePerSec, limits.burst, now), alive: true, limited: false };
    conns.add(c);
    ws.on('pong', () => (c.alive = true));
    ws.on('message', (raw, isBinary) => {
      try {
        onFrame(c, raw, isBinary);
      } catch (err) {
        log('frame handler failed', err);
      }
    });
    // ws reports oversize frames and protocol violations here, then closes the socket itself.
    ws.on('error', () => {});
    ws.on('close', () => {
      conns.delete(c);
      try {
        leave(c);
      } catch (err) {
        log('leave failed', err);
      }
    });
  });

  // A connection that has not ponged since the previous ping is gone (sleeping laptop, dead NAT).
  const pinger = setInterval(() => {
    for (const c of conns) {
      if (!c.alive) {
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
  }, limits.pingIntervalMs);
  pinger.unref();

  const onRequest = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const pathname = pathOf(req);
    if (pathname === null) return sendText(res, 400, 'bad request\n');
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.setHeader('allow', 'GET, HEAD');
      return sendText(res, 405, 'method not allowed\n');
    }
    if (pathname === '/healthz') {
      const body = JSON.stringify({ ok: true, rooms: rooms.roomCount, peers: rooms.peerCount });
      return sendText(res, 200, body, 'application/json; charset=utf-8');
    }
    if (!staticDir) return sendText(res, 404, 'not found\n');
    return serveStatic(req, res, staticDir, pathname);
  };

  const http = createServer((req, res) => {
    onRequest(req, res).catch((err) => {
      log('http handler failed', err);
      if (!res.headersSent) sendText(res, 500, 'internal error\n');
      else res.destroy();
    });
  });
  http.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on('error', () => {});
    if (pathOf(req) !== '/signal') {
      socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, req));
  });

  await new Promise<void>((resolve, reject) => {
    http.once('error', reject);
    http.listen(opts.port, host, () => {
      http.off('error', reject);
      resolve();
    });
  });
  http.on('error', (err) => log('http server error', err));

  const address = http.address();
  const port = typeof address === 'object' && address ? address.port : opts.port;
  const shown = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host.includes(':') ? `[${host}]` : host;

  let closing: Promise<void> | undefined;
  const close = (): Promise<void> =>
    (closing ??= new Promise<void>((resolve) => {
      clearInterval(pinger);
      for (const c of conns) c.ws.terminate();
      wss.close();
      http.close(() => resolve());
      http.closeAllConnections();
    }));

  return { port, url: `http://${shown}:${port}`, close };
}
