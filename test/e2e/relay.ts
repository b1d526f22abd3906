// A signaling relay for tests: it sits between the tabs and the real signaling server, logs every
// frame both ways, and may rewrite or drop them, as a signaling server run by someone else could.
// It can also join a room itself and play frames it recorded (a replay).

import { WebSocket, WebSocketServer } from 'ws';

export interface RelayFrame {
  /** 'up': from a tab to the server; 'down': from the server to a tab. */
  dir: 'up' | 'down';
  conn: number;
  text: string;
}

/** Returns the text to pass on (possibly rewritten), or undefined to drop the frame. */
export type Rewrite = (frame: RelayFrame) => string | undefined;

export interface Relay {
  /** The signaling URL to give tabs (`&signal=`). */
  url: string;
  log: RelayFrame[];
  /** Joins `room` as `peer` on the real server and sends `frames` in order; resolves with what it was sent back, live. */
  inject(room: string, peer: string, frames: string[]): Promise<{ received: string[]; close(): void }>;
  /** Sends `text` to the server on connection `conn`'s upstream socket, as if that tab had sent it again. */
  sendAs(conn: number, text: string): void;
  close(): Promise<void>;
}

export async function startRelay(upstream: string, rewrite: Rewrite = (f) => f.text): Promise<Relay> {
  const wss = new WebSocketServer({ port: 0, host: '127.0.0.1', path: '/signal' });
  await new Promise<void>((resolve) => wss.once('listening', () => resolve()));
  const log: RelayFrame[] = [];
  const sockets = new Set<WebSocket>();
  const upstreams = new Map<number, WebSocket>();
  let conns = 0;
  wss.on('connection', (client) => {
    const conn = ++conns;
    const up = new WebSocket(upstream);
    sockets.add(up).add(client);
    upstreams.set(conn, up);
    const early: string[] = [];
    const pass = (dir: RelayFrame['dir'], text: string, to: WebSocket) => {
      const frame = { dir, conn, text };
      log.push(frame);
      const out = rewrite(frame);
      if (out === undefined) return;
      if (to.readyState === WebSocket.OPEN) to.send(out);
      else if (to === up) early.push(out);
    };
    up.on('open', () => early.splice(0).forEach((t) => up.send(t)));
    client.on('message', (raw) => pass('up', raw.toString(), up));
    up.on('message', (raw) => pass('down', raw.toString(), client));
    client.on('close', () => up.close());
    up.on('close', () => client.close());
    client.on('error', () => {});
    up.on('error', () => {});
  });
  const port = (wss.address() as { port: number }).port;
  return {
    url: `ws://127.0.0.1:${port}/signal`,
    log,
    inject: (room, peer, frames) => inject(upstream, room, peer, frames, sockets),
    sendAs: (conn, text) => upstreams.get(conn)?.send(text),
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.terminate();
        wss.close(() => resolve());
      }),
  };
}

async function inject(upstream: string, room: string, peer: string, frames: string[], sockets: Set<WebSocket>) {
  const ws = new WebSocket(upstream);
  sockets.add(ws);
  const received: string[] = [];
  ws.on('message', (raw) => received.push(raw.toString()));
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => ws.send(JSON.stringify({ type: 'join', room, peer })));
    ws.once('error', reject);
    ws.on('message', (raw) => JSON.parse(raw.toString()).type === 'welcome' && resolve());
  });
  for (const f of frames) ws.send(f);
  return { received, close: () => ws.close() };
}
