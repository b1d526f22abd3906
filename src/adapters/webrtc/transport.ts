// WebRTC transport: one simple-peer data channel per pair of nodes, introduced by the signaling
// server. The lower id initiates (no glare); the higher id answers offers. A link is reported down
// when its channel closes or errors, when the peer says goodbye (a closing tab sends a BYE frame),
// or when the core drops it (`disconnect`: heartbeats, hidden tabs and silence are core/liveness.ts's
// business, not this adapter's); the initiator reconnects, with backoff, while the peer is still in
// the room. When the signaling server says a peer left, that is passed on as a hint
// (`onPeerHint`): its socket may have dropped while the data channel is fine, so liveness probes it.
//
// Batching. A data channel send() is a native call whose cost dwarfs a small message (in profiles
// of loaded tabs it was the largest self time). Messages wait in a per-link outbox until a task
// queued behind the tasks already waiting (next-task.ts) packs them into as few frames as fit
// (framing.ts), so a busy tab pays one send per burst rather than one per message. A tab whose
// event loop is not busy (next-task.ts's loopBusy) flushes at the end of the current task instead:
// one request at a time, waiting a task would only add latency.
//
// Protected rooms (given `authKey`). A link opens in two steps: the data channel, then the peer
// handshake (secret/handshake.ts) over it, bound to the DTLS fingerprints of the SDP this link sent
// and received. Only then is the peer reported up and may messages flow; a peer that fails it, sends
// anything else first, or stays silent past `authTimeoutMs`, is disconnected and counted.

import { TransportEvents } from '../../ports/emitter';
import { loopBusy, nextTask } from '../system/next-task';
import type { NodeId, Transport, Unsubscribe } from '../../ports/transport';
import { descriptionSdp, sdpFingerprint } from '../secret/fingerprint';
import { Handshake, NONCE_BYTES, type Step } from '../secret/handshake';
import {
  AUTH_TAG,
  BYE_FRAME,
  DEFAULT_CHUNK_CHARS,
  Reassembler,
  encodeFrames,
  packFrame,
} from './framing';
import type { Signaling } from './signaling-client';

/** The part of a simple-peer instance used here. */
export interface PeerLike {
  signal(data: unknown): void;
  send(data: string): void;
  destroy(): void;
  readonly bufferSize: number;
  on(event: 'signal', fn: (data: unknown) => void): unknown;
  on(event: 'connect' | 'close', fn: () => void): unknown;
  on(event: 'data', fn: (data: Uint8Array | string) => void): unknown;
  on(event: 'error', fn: (err: Error) => void): unknown;
}

/**
 * Builds a simple-peer: the browser bundle in tabs, `simple-peer` + @roamhq/wrtc in Node. Pass the
 * options through whole: `objectMode` keeps received strings as strings (simple-peer would otherwise
 * encode each one to a Buffer in JS, only for us to decode it again).
 */
export type PeerFactory = (opts: { initiator: boolean; trickle: boolean; objectMode: boolean; config: RTCConfiguration }) => PeerLike;

export interface WebRtcOptions {
  /** Owned by the transport from here on: closing the transport closes it. */
  signaling: Signaling;
  createPeer: PeerFactory;
  iceServers?: RTCIceServer[];
  /** 'relay': TURN-relayed candidates only. Default 'all'. */
  iceTransportPolicy?: 'all' | 'relay';
  /** A link not connected after this long is abandoned and retried. */
  connectTimeoutMs?: number;
  chunkChars?: number;
  /** Stop writing into the channel above this many buffered bytes; resume below lowWater. */
  highWaterBytes?: number;
  lowWaterBytes?: number;
  /** The largest reassembled message accepted from a peer. */
  maxMessageChars?: number;
  /** A protected room's auth key (secret/room-key.ts): every link must pass the peer handshake. */
  authKey?: Uint8Array;
  /** How long a link may take over the handshake once its channel is open. Default 5 s. */
  authTimeoutMs?: number;
}

export interface WebRtcStats {
  messagesSent: number;
  messagesReceived: number;
  framesSent: number;
  framesReceived: number;
  linkUps: number;
  linkDowns: number;
  /** Messages longer than maxMessageChars, dropped whole (once each, however many frames they had). */
  oversizeDropped: number;
  /** Frames that break the framing (framing.ts): a batch that does not parse, an unknown tag, a chunked message cut into. */
  malformedDropped: number;
  /** Links given up because their channel did not open within `connectTimeoutMs`. */
  connectTimeouts: number;
  /** Protected rooms: links whose peer passed the handshake. */
  authenticated: number;
  /**
   * Protected rooms: links dropped because the peer failed the handshake (a wrong proof, a bad or
   * out-of-order handshake frame, any other frame before it, an SDP without a usable fingerprint).
   * Nothing it sent was delivered.
   */
  authFailed: number;
  /** Protected rooms: links dropped because the handshake was not over `authTimeoutMs` after the channel opened. */
  authTimeouts: number;
  /** Protected rooms: signaling payloads that did not open (tampered with, re-addressed, another secret, plaintext). */
  signalsRejected: number;
  /** Protected rooms: offers and answers refused as replays (a session already answered, a second one on a link). */
  staleSignals: number;
}

interface Link {
  peer: NodeId;
  session: string;
  sp: PeerLike;
  up: boolean;
  /** Messages not framed yet: packed into as few frames as fit when the channel takes them. */
  outbox: string[];
  outboxHead: number;
  /** Frames of the large message being written; they go out before anything from the outbox. */
  chunks: string[];
  chunksHead: number;
  /** A pump is queued behind the tasks already waiting: every send() until it runs shares its frames. */
  flushQueued: boolean;
  reassembler: Reassembler;
  connectTimer: ReturnType<typeof setTimeout> | undefined;
  pumpTimer: ReturnType<typeof setTimeout> | undefined;
  /** Protected rooms: the DTLS fingerprints of the SDP this link sent and received; 'conflict' if one changed. */
  localFp: string | undefined;
  remoteFp: string | undefined;
  /** Protected rooms: the handshake, from the channel opening until the link is up or dropped. */
  auth: Handshake | undefined;
  authTimer: ReturnType<typeof setTimeout> | undefined;
  /** Handshake frames that came before this side saw the channel open (simple-peer may deliver data first). */
  authEarly: string[];
}

interface Envelope {
  s: string;
  d: unknown;
}

const decoder = new TextDecoder();
/** Offers remembered against replay: a member reconnecting once a minute to each of 16 peers stays covered for an hour. */
const SESSIONS_REMEMBERED = 1024;


export class WebRtcTransport extends TransportEvents implements Transport {
  readonly self: NodeId;
  private links = new Map<NodeId, Link>();
  private retryTimers = new Map<NodeId, ReturnType<typeof setTimeout>>();
  /** Last reconnect delay per peer; doubles on each failure, cleared when a link comes up. */
  private backoff = new Map<NodeId, number>();
  private drainWaiters = new Map<NodeId, Array<() => void>>();
  /** Protected rooms: `${peer} ${session}` of the offers answered, oldest first (replayedSession). */
  private sessionsSeen = new Set<string>();
  private closed = false;
  private readonly unsubscribe: Unsubscribe[];
  private readonly o: Required<Omit<WebRtcOptions, 'iceServers' | 'authKey'>> & { iceServers: RTCIceServer[]; authKey?: Uint8Array };
  private readonly counters: WebRtcStats = {
    messagesSent: 0,
    messagesReceived: 0,
    framesSent: 0,
    framesReceived: 0,
    linkUps: 0,
    linkDowns: 0,
    oversizeDropped: 0,
    malformedDropped: 0,
    connectTimeouts: 0,
    authenticated: 0,
    authFailed: 0,
    authTimeouts: 0,
    signalsRejected: 0,
    staleSignals: 0,
  };

  constructor(opts: WebRtcOptions) {
    super();
    this.o = {
      connectTimeoutMs: 10_000,
      chunkChars: DEFAULT_CHUNK_CHARS,
      highWaterBytes: 1 << 20,
      lowWaterBytes: 256 << 10,
      maxMessageChars: 64 << 20,
      authTimeoutMs: 5_000,
      iceServers: [],
      iceTransportPolicy: 'all',
      ...opts,
    };
    this.self = opts.signaling.peer;
    const sig = opts.signaling;
    this.unsubscribe = [
      sig.onPeerJoined((p) => this.peerPresent(p)),
      sig.onPeerLeft((p) => this.peerLeft(p)),
      sig.onSignal((from, data) => this.onSignal(from, data)),
    ];
    for (const p of sig.peers()) this.peerPresent(p);
  }

  peers(): NodeId[] {
    return [...this.links.values()].filter((l) => l.up).map((l) => l.peer);
  }

  stats(): WebRtcStats {
    return { ...this.counters, signalsRejected: this.o.signaling.signalsRejected };
  }

  send(to: NodeId, data: string): boolean {
    const link = this.links.get(to);
    if (this.closed || !link?.up) return false;
    link.outbox.push(data);
    this.counters.messagesSent++;
    if (!link.flushQueued) {
      link.flushQueued = true;
      // A busy tab waits a task and packs what the tasks queued meanwhile add (one send() per frame
      // is the cost); an idle one sends at the end of this task, where the wait would be only latency.
      (loopBusy() ? nextTask : queueMicrotask)(() => {
        link.flushQueued = false;
        this.pump(link);
      });
    }
    return true;
  }

  drain(to: NodeId): Promise<void> {
    const link = this.links.get(to);
    if (!link?.up || this.drained(link)) return Promise.resolve();
    return new Promise((resolve) => {
      const waiters = this.drainWaiters.get(to) ?? [];
      waiters.push(resolve);
      this.drainWaiters.set(to, waiters);
    });
  }

  /**
   * Writes what is queued now rather than in a later task: a page about to be frozen runs no more
   * tasks (runtime/node.ts calls it after handing hints over on `freeze`).
   */
  flush(): void {
    if (this.closed) return;
    for (const link of this.links.values()) if (link.up) this.pump(link);
  }

  /** Drops the link (the core found it dead); the initiator reconnects as after any failure. */
  disconnect(peer: NodeId): void {
    const link = this.links.get(peer);
    // A link still connecting is not the one found dead: leave it be.
    if (link?.up && !this.closed) this.linkFailed(link);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const u of this.unsubscribe) u();
    for (const p of [...this.retryTimers.keys()]) this.cancelRetry(p);
    for (const link of [...this.links.values()]) {
      if (link.up) {
        // Messages sent since the last pump are still in the outbox: let them go out first.
        this.pump(link);
        // Best effort: lets peers mark us down at once instead of waiting for their heartbeats.
        this.write(link, BYE_FRAME);
      }
      this.dropLink(link);
    }
    this.o.signaling.close();
    this.clearListeners();
  }

  // --- link lifecycle -------------------------------------------------------------------------

  private initiates(peer: NodeId): boolean {
    return this.self < peer;
  }

  private peerPresent(peer: NodeId): void {
    if (this.closed || peer === this.self || !this.initiates(peer)) return;
    this.cancelRetry(peer);
    this.backoff.delete(peer);
    // A live link survives a signaling reconnect; a dead one is replaced once liveness drops it.
    if (!this.links.has(peer)) this.openLink(peer, newSession(), true);
  }

  /**
   * The signaling server saw the peer's socket close (tab closed, or just its signaling
   * connection lost). Neither guess is ours to make: liveness probes the data channel.
   */
  private peerLeft(peer: NodeId): void {
    this.cancelRetry(peer);
    if (this.links.get(peer)?.up) this.hints.emit(peer);
  }

  private openLink(peer: NodeId, session: string, initiator: boolean): Link {
    const sp = this.o.createPeer({ initiator, trickle: true, objectMode: true, config: { iceServers: this.o.iceServers, iceTransportPolicy: this.o.iceTransportPolicy } });
    const link: Link = {
      peer,
      session,
      sp,
      up: false,
      outbox: [],
      outboxHead: 0,
      chunks: [],
      chunksHead: 0,
      flushQueued: false,
      reassembler: new Reassembler(this.o.maxMessageChars),
      connectTimer: undefined,
      pumpTimer: undefined,
      localFp: undefined,
      remoteFp: undefined,
      auth: undefined,
      authTimer: undefined,
      authEarly: [],
    };
    this.links.set(peer, link);
    link.connectTimer = setTimeout(() => {
      if (this.links.get(link.peer) === link) this.counters.connectTimeouts++;
      this.linkFailed(link);
    }, this.o.connectTimeoutMs);
    sp.on('signal', (d) => {
      this.noteSdp(link, 'localFp', d);
      this.o.signaling.sendSignal(peer, { s: session, d } satisfies Envelope);
    });
    sp.on('connect', () => this.channelOpen(link));
    sp.on('data', (d) => this.onFrame(link, typeof d === 'string' ? d : decoder.decode(d)));
    sp.on('close', () => this.linkFailed(link));
    sp.on('error', () => this.linkFailed(link));
    return link;
  }

  private onSignal(from: NodeId, data: unknown): void {
    if (this.closed || !isEnvelope(data)) return;
    const link = this.links.get(from);
    if (link && link.session === data.s) {
      if (this.replayedDescription(link, data.d)) return;
      this.noteSdp(link, 'remoteFp', data.d);
      link.sp.signal(data.d);
      return;
    }
    // Only a fresh offer from the initiating side starts a new session (the peer restarted);
    // candidates of a session we no longer hold are stale and ignored.
    if (this.initiates(from) || !isOffer(data.d)) return;
    if (this.replayedSession(from, data.s)) return;
    if (link) this.dropLink(link);
    const fresh = this.openLink(from, data.s, false);
    this.noteSdp(fresh, 'remoteFp', data.d);
    fresh.sp.signal(data.d);
  }

  /**
   * Protected rooms: an offer for a session this node already answered is a replay (a peer makes a new
   * session per link). The server cannot forge one, but it could replay a recorded one to tear down a
   * live link; it is refused and counted. Sessions are remembered up to a bound, oldest forgotten first.
   */
  private replayedSession(peer: NodeId, session: string): boolean {
    if (!this.o.authKey) return false;
    const key = `${peer} ${session}`;
    if (this.sessionsSeen.has(key)) {
      this.counters.staleSignals++;
      return true;
    }
    this.sessionsSeen.add(key);
    if (this.sessionsSeen.size > SESSIONS_REMEMBERED) this.sessionsSeen.delete(this.sessionsSeen.values().next().value as string);
    return false;
  }

  /** Protected rooms: a link takes one offer or answer from its peer; another one is a replay, refused and counted. */
  private replayedDescription(link: Link, signal: unknown): boolean {
    if (!this.o.authKey || link.remoteFp === undefined || descriptionSdp(signal) === undefined) return false;
    this.counters.staleSignals++;
    return true;
  }

  /** The data channel is open: the link is up, or, in a protected room, its handshake starts. */
  private channelOpen(link: Link): void {
    if (this.links.get(link.peer) !== link || link.up || link.auth) return;
    clearTimeout(link.connectTimer);
    const key = this.o.authKey;
    if (!key) return this.linkUp(link);
    const { localFp, remoteFp } = link;
    if (!localFp || !remoteFp || localFp === 'conflict' || remoteFp === 'conflict') return this.authOver(link, { send: [], outcome: 'bad-frame' });
    const role = this.initiates(link.peer) ? 'initiator' : 'answerer';
    const nonce = crypto.getRandomValues(new Uint8Array(NONCE_BYTES));
    link.auth = new Handshake({ key, role, self: this.self, peer: link.peer, localFingerprint: localFp, remoteFingerprint: remoteFp, nonce });
    link.authTimer = setTimeout(() => {
      if (this.links.get(link.peer) !== link || link.up) return;
      this.counters.authTimeouts++;
      this.linkFailed(link);
    }, this.o.authTimeoutMs);
    this.authOver(link, link.auth.start());
    for (const f of link.authEarly.splice(0)) this.authOver(link, link.auth.receive(f));
  }

  /** Sends what a handshake step says to, then brings the link up or drops it if the step ended it. */
  private authOver(link: Link, step: Step): void {
    if (this.links.get(link.peer) !== link || link.up) return;
    for (const frame of step.send) if (!this.write(link, AUTH_TAG + frame)) return;
    if (step.outcome === undefined) return;
    clearTimeout(link.authTimer);
    if (step.outcome === 'authenticated') {
      this.counters.authenticated++;
      this.linkUp(link);
      return;
    }
    this.counters.authFailed++;
    this.linkFailed(link);
  }

  /** A protected link keeps the fingerprints of the first offer or answer each way; a changed one poisons it. */
  private noteSdp(link: Link, side: 'localFp' | 'remoteFp', signal: unknown): void {
    if (!this.o.authKey) return;
    const sdp = descriptionSdp(signal);
    if (sdp === undefined) return;
    const fp = sdpFingerprint(sdp) ?? 'conflict';
    link[side] = link[side] === undefined || link[side] === fp ? fp : 'conflict';
  }

  /** A frame on a protected link not yet up: only handshake frames, anything else ends it. */
  private preAuthFrame(link: Link, frame: string): void {
    if (frame[0] !== AUTH_TAG) return this.authOver(link, { send: [], outcome: 'bad-frame' });
    if (link.auth) return this.authOver(link, link.auth.receive(frame.slice(1)));
    // A genuine peer sends one frame, its hello, before it has ours; a stream of them is not one.
    if (link.authEarly.length < 2) link.authEarly.push(frame.slice(1));
    else this.authOver(link, { send: [], outcome: 'bad-frame' });
  }

  private linkUp(link: Link): void {
    if (this.links.get(link.peer) !== link || link.up) return;
    clearTimeout(link.connectTimer);
    link.up = true;
    this.counters.linkUps++;
    this.backoff.delete(link.peer);
    this.ups.emit(link.peer);
  }

  private linkFailed(link: Link): void {
    if (this.links.get(link.peer) !== link) return;
    this.dropLink(link);
    if (this.initiates(link.peer) && this.o.signaling.has(link.peer)) this.scheduleRetry(link.peer);
  }

  private dropLink(link: Link): void {
    if (this.links.get(link.peer) === link) this.links.delete(link.peer);
    clearTimeout(link.connectTimer);
    clearTimeout(link.pumpTimer);
    clearTimeout(link.authTimer);
    link.auth = undefined;
    link.authEarly = [];
    link.outbox = [];
    link.outboxHead = 0;
    link.chunks = [];
    link.chunksHead = 0;
    try {
      link.sp.destroy();
    } catch {
      /* already torn down */
    }
    this.resolveDrain(link.peer);
    if (link.up) {
      link.up = false;
      this.counters.linkDowns++;
      if (!this.closed) this.downs.emit(link.peer);
    }
  }

  private scheduleRetry(peer: NodeId): void {
    if (this.closed || this.retryTimers.has(peer)) return;
    const delay = Math.min((this.backoff.get(peer) ?? 125) * 2, 10_000);
    this.backoff.set(peer, delay);
    const timer = setTimeout(() => {
      this.retryTimers.delete(peer);
      if (!this.closed && !this.links.has(peer) && this.o.signaling.has(peer)) {
        this.openLink(peer, newSession(), true);
      }
    }, delay);
    this.retryTimers.set(peer, timer);
  }

  private cancelRetry(peer: NodeId): void {
    clearTimeout(this.retryTimers.get(peer));
    this.retryTimers.delete(peer);
  }

  // --- frames ---------------------------------------------------------------------------------

  private onFrame(link: Link, frame: string): void {
    if (this.links.get(link.peer) !== link) return;
    this.counters.framesReceived++;
    if (frame === BYE_FRAME) {
      this.linkFailed(link);
      return;
    }
    if (this.o.authKey && !link.up) return this.preAuthFrame(link, frame);
    const result = link.reassembler.push(frame);
    if (result.kind === 'overflow') this.counters.oversizeDropped++;
    else if (result.kind === 'malformed') this.counters.malformedDropped++;
    else if (result.kind === 'message') this.deliver(link, result.data);
    else if (result.kind === 'batch') for (const data of result.data) this.deliver(link, data);
  }

  private deliver(link: Link, data: string): void {
    // A listener may have closed the transport or dropped the link halfway through a batch.
    if (this.links.get(link.peer) !== link) return;
    this.counters.messagesReceived++;
    this.messages.emit(link.peer, data);
  }

  /** Writes frames while the channel's buffer is below high water; polls while it is full. */
  private pump(link: Link): void {
    if (this.links.get(link.peer) !== link) return;
    clearTimeout(link.pumpTimer);
    link.pumpTimer = undefined;
    while (link.sp.bufferSize < this.o.highWaterBytes) {
      const frame = this.nextFrame(link);
      if (frame === undefined) break;
      if (!this.write(link, frame)) return;
    }
    if (this.drained(link)) this.resolveDrain(link.peer);
    else link.pumpTimer = setTimeout(() => this.pump(link), 5);
  }

  /**
   * The rest of a chunked message first; then, from the outbox, as many whole messages as fit in
   * one frame, or the chunks of one too large for a frame. Framing this late means messages that
   * waited out back-pressure share frames too.
   */
  private nextFrame(link: Link): string | undefined {
    if (link.chunksHead < link.chunks.length) return link.chunks[link.chunksHead++];
    if (link.outboxHead >= link.outbox.length) return undefined;
    const first = link.outbox[link.outboxHead] as string;
    let frame: string;
    if (first.length > this.o.chunkChars) {
      link.outboxHead++;
      link.chunks = encodeFrames(first, this.o.chunkChars);
      link.chunksHead = 1;
      frame = link.chunks[0] as string;
    } else {
      const packed = packFrame(link.outbox, link.outboxHead, this.o.chunkChars);
      link.outboxHead = packed.next;
      frame = packed.frame;
    }
    if (link.outboxHead >= link.outbox.length) {
      link.outbox = [];
      link.outboxHead = 0;
    }
    return frame;
  }

  /** Frames or messages still waiting for the channel. */
  private backlog(link: Link): boolean {
    return link.chunksHead < link.chunks.length || link.outboxHead < link.outbox.length;
  }

  private write(link: Link, frame: string): boolean {
    try {
      link.sp.send(frame);
      this.counters.framesSent++;
      return true;
    } catch {
      this.linkFailed(link);
      return false;
    }
  }

  private drained(link: Link): boolean {
    return !this.backlog(link) && link.sp.bufferSize < this.o.lowWaterBytes;
  }

  private resolveDrain(peer: NodeId): void {
    const waiters = this.drainWaiters.get(peer);
    this.drainWaiters.delete(peer);
    for (const w of waiters ?? []) w();
  }
}

function newSession(): string {
  return Math.random().toString(36).slice(2, 10);
}

function isEnvelope(x: unknown): x is Envelope {
  return typeof x === 'object' && x !== null && typeof (x as Envelope).s === 'string' && 'd' in x;
}

function isOffer(d: unknown): boolean {
  return typeof d === 'object' && d !== null && (d as { type?: unknown }).type === 'offer';
}
