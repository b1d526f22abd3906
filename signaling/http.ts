// The HTTP side: /healthz, the built app, and which upgrade requests become WebSocket connections.

import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { WebSocket, WebSocketServer } from 'ws';
import { refuse, type Admission } from './admission';
import type { Log } from './hub';
import { iceDocument, NO_ICE, type IceSettings } from './ice';
import type { Rooms } from './rooms';
import { sendText, serveStatic } from './static';

export function pathOf(req: IncomingMessage): string | null {
  try {
    return new URL(req.url ?? '/', 'http://x').pathname;
  } catch {
    return null;
  }
}

/** GET/HEAD of /healthz, /ice.json and files under `staticDir`; errors become a 500, never a crash. */
export function requestHandler(rooms: Rooms<unknown>, staticDir: string | undefined, log: Log, ice: IceSettings = NO_ICE, now: () => number = Date.now) {
  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
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
    if (pathname === '/ice.json') {
      // Credentials minted for this request: never cached, by the browser or any proxy.
      res.setHeader('cache-control', 'no-store');
      res.setHeader('x-content-type-options', 'nosniff');
      return sendText(res, 200, JSON.stringify(iceDocument(ice, now())), 'application/json; charset=utf-8');
    }
    if (!staticDir) return sendText(res, 404, 'not found\n');
    return serveStatic(req, res, staticDir, pathname);
  };
  return (req: IncomingMessage, res: ServerResponse): void => {
    handle(req, res).catch((err) => {
      log('http handler failed', err);
      if (!res.headersSent) sendText(res, 500, 'internal error\n');
      else res.destroy();
    });
  };
}

/** Upgrades at /signal that `admission` lets in hand the socket to `accept`; any other path gets a 404. */
export function upgradeHandler(wss: WebSocketServer, admission: Admission, accept: (ws: WebSocket) => void) {
  return (req: IncomingMessage, socket: Duplex, head: Buffer): void => {
    socket.on('error', () => {});
    if (pathOf(req) !== '/signal') {
      socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    // An http.Server's upgrade socket is always a net.Socket.
    const refusal = admission.admit(socket as Socket);
    if (refusal === 429) return refuse(socket as Socket, 429, 'too many connections from your address');
    if (refusal === 503) return refuse(socket as Socket, 503, 'server is at its connection limit');
    wss.handleUpgrade(req, socket, head, accept);
  };
}
