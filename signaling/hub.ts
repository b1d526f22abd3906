// Rooms and relay: what each client frame does, and who is told when a peer joins or leaves.

import { WebSocket, type RawData } from 'ws';
import type { Cluster } from './cluster';
import { Conn } from './connection';
import { isRejection, nestsDeeper, parseClientFrame } from './frames';
import type { SignalingLimits } from './limits';
import { CloseCode, MAX_DATA_DEPTH, RELAY_ENVELOPE, type ServerFrame } from './protocol';
import type { Presence } from './redis-wire';
import { TokenBucket } from './ratelimit';
import { Rooms } from './rooms';
import { newCounters, type SignalingStats } from './stats';

export type Log = (message: string, err?: unknown) => void;

export class Hub {
  readonly conns = new Set<Conn>();
  readonly rooms: Rooms<Conn>;
  readonly counters = newCounters();
  /** Set when rooms are shared with other processes through Redis; then Redis decides joins. */
  cluster?: Cluster;

  constructor(
    private readonly limits: SignalingLimits,
    private readonly now: () => number,
    private readonly log: Log,
  ) {
    this.rooms = new Rooms<Conn>(limits.maxPeersPerRoom);
  }

  /** Takes a freshly upgraded socket; from here on the hub owns it until it closes. */
  attach(ws: WebSocket): Conn {
    const bucket = new TokenBucket(this.limits.ratePerSec, this.limits.burst, this.now);
    const c = new Conn(ws, bucket, this.limits, (slow) => this.evict(slow));
    this.conns.add(c);
    this.armJoinTimer(c);
    ws.on('pong', () => (c.alive = true));
    ws.on('message', (raw, isBinary) => this.guard('frame handler failed', () => this.onFrame(c, raw, isBinary)));
    // ws reports oversize frames and protocol violations here, then closes the socket itself.
    ws.on('error', () => {});
    ws.on('close', () => {
      this.conns.delete(c);
      clearTimeout(c.joinTimer);
      this.guard('leave failed', () => this.leave(c));
    });
    return c;
  }

  private guard(what: string, fn: () => void): void {
    try {
      fn();
    } catch (err) {
      this.log(what, err);
    }
  }

  private onFrame(c: Conn, raw: RawData, isBinary: boolean): void {
    if (!c.bucket.take()) {
      if (!c.limited) c.fail('rate-limited', `over ${this.limits.ratePerSec} frames/s; frames are being dropped`);
      c.limited = true;
      return;
    }
    c.limited = false;
    const frame = parseClientFrame(raw, isBinary);
    if (isRejection(frame)) return c.fail(frame.reject, frame.message, frame.ref);
    switch (frame.type) {
      case 'join':
        return this.join(c, frame.room, frame.peer);
      case 'signal':
        return this.signal(c, frame.to, frame.data);
      case 'leave':
        if (c.peer === undefined) return c.fail('not-joined', 'not in a room', 'leave');
        return this.leave(c);
    }
  }

  private join(c: Conn, room: string, peer: string): void {
    if (c.peer !== undefined) return c.fail('already-joined', `already joined ${c.room} as ${c.peer}`, 'join');
    if (c.joining) return c.fail('already-joined', 'a join is already on its way', 'join');
    if (this.cluster) return void this.joinShared(this.cluster, c, room, peer).catch((err: unknown) => this.log('shared join failed', err));
    const result = this.rooms.join(room, peer, c);
    if (result === 'id-taken') return c.fail('id-taken', `peer id ${peer} is taken in room ${room}`, peer);
    if (result === 'room-full') return c.fail('room-full', `room ${room} has ${this.limits.maxPeersPerRoom} peers`, room);
    c.room = room;
    c.peer = peer;
    clearTimeout(c.joinTimer);
    const others = this.rooms.others(room, peer);
    c.send({ type: 'welcome', room, peer, peers: others.map(([id]) => id) });
    for (const [, other] of others) other.send({ type: 'peer-joined', peer });
  }

  private signal(c: Conn, to: string, data: unknown): void {
    if (c.room === undefined || c.peer === undefined) return c.fail('not-joined', 'join a room before signalling', 'signal');
    // Sized before the addressee is looked up: a signal too big to relay is bad whoever it is for.
    const text = JSON.stringify({ type: 'signal', from: c.peer, data } satisfies ServerFrame);
    const limit = this.limits.maxPayload + RELAY_ENVELOPE;
    const bytes = Buffer.byteLength(text);
    if (bytes > limit) return c.fail('bad-frame', `relayed, this signal would be ${bytes} bytes, over ${limit}`, 'signal');
    const target = this.rooms.get(c.room, to);
    const proc = target ? undefined : this.cluster?.procOf(c.room, to);
    if (proc !== undefined) return this.cluster!.sendSignal(proc, c.room, c.peer, to, data);
    if (!target) return c.fail('no-such-peer', `no peer ${to} in room ${c.room}`, to);
    this.relay(c, target, to, text);
  }

  /** Delivers a relay unless the addressee is past the high-water mark; then the sender hears once per run. */
  private relay(c: Conn, target: Conn, to: string, text: string): void {
    const delivery = target.sendText(text, true);
    if (delivery === 'sent') c.toldSlow.delete(target);
    if (delivery !== 'dropped') return; // an evicted target is announced as left instead
    this.counters.relaysDropped++;
    if (c.toldSlow.has(target)) return;
    c.toldSlow.add(target);
    const mark = this.limits.relayHighWater;
    c.fail('peer-slow', `peer ${to} has over ${mark} bytes unread; relays to it are being dropped`, to);
  }

  /** A reader past the hard cap: closed with its own code, and out of its room now rather than at the close. */
  private evict(c: Conn): void {
    this.counters.closed.slowReader++;
    c.ws.close(CloseCode.slowReader, `slow reader: over ${this.limits.maxBuffered} bytes unread`);
    this.leave(c);
  }

  stats(): SignalingStats {
    let bufferedBytes = 0;
    let maxBufferedBytes = 0;
    for (const c of this.conns) {
      bufferedBytes += c.ws.bufferedAmount;
      maxBufferedBytes = Math.max(maxBufferedBytes, c.ws.bufferedAmount);
    }
    const { relaysDropped, closed, refused } = this.counters;
    const gauges = { connections: this.conns.size, rooms: this.rooms.roomCount, peers: this.rooms.peerCount };
    return { ...gauges, bufferedBytes, maxBufferedBytes, relaysDropped, closed: { ...closed }, refused: { ...refused } };
  }

  private leave(c: Conn): void {
    const { room, peer } = c;
    if (room === undefined || peer === undefined) return;
    c.room = c.peer = undefined;
    this.armJoinTimer(c);
    if (!this.rooms.leave(room, peer, c)) return;
    // Shared rooms: everyone, here too, hears it from Redis, in the order Redis applied it.
    if (this.cluster) return this.cluster.leave(room, peer);
    for (const [, other] of this.rooms.others(room, peer)) other.send({ type: 'peer-left', peer });
  }

  /** A join decided by Redis (cluster.ts): atomic across processes for the id and the room cap. */
  private async joinShared(cluster: Cluster, c: Conn, room: string, peer: string): Promise<void> {
    c.joining = true;
    const reply = await cluster.join(room, peer, this.limits.maxPeersPerRoom);
    c.joining = false;
    if (reply.result === 'ok' && (c.ws.readyState !== WebSocket.OPEN || this.rooms.join(room, peer, c) !== 'ok')) {
      return cluster.leave(room, peer); // closed meanwhile (or a local twin, which Redis rules out)
    }
    if (reply.result === 'id-taken') return c.fail('id-taken', `peer id ${peer} is taken in room ${room}`, peer);
    if (reply.result === 'room-full') return c.fail('room-full', `room ${room} has ${this.limits.maxPeersPerRoom} peers`, room);
    if (reply.result !== 'ok') return c.ws.close(CloseCode.unavailable, 'signaling backend unavailable; try again');
    Object.assign(c, { room, peer, seq: reply.seq });
    clearTimeout(c.joinTimer);
    c.send({ type: 'welcome', room, peer, peers: [...reply.members.keys()].filter((id) => id !== peer) });
  }

  /** A room notice from Redis: told to each local peer that joined before it happened. */
  presence(room: string, ev: Presence): void {
    for (const [, other] of this.rooms.others(room, ev.peer)) {
      if (other.seq < ev.seq) other.send({ type: ev.t === 'join' ? 'peer-joined' : 'peer-left', peer: ev.peer });
    }
  }

  /** A signal another process relays to a peer here; its sender is told nothing of drops. */
  remoteSignal(room: string, from: string, to: string, data: unknown): void {
    const target = this.rooms.get(room, to);
    if (!target || nestsDeeper(data, MAX_DATA_DEPTH)) return;
    const text = JSON.stringify({ type: 'signal', from, data } satisfies ServerFrame);
    if (Buffer.byteLength(text) > this.limits.maxPayload + RELAY_ENVELOPE) return;
    if (target.sendText(text, true) === 'dropped') this.counters.relaysDropped++;
  }

  /** Redis lost track of this process's peers: each rejoins (its client reconnects by itself). */
  resetShared(): void {
    for (const c of this.conns) if (c.peer !== undefined || c.joining) c.ws.close(CloseCode.unavailable, 'signaling backend reset; rejoin');
  }

  /**
   * A connection outside a room does nothing useful and holds a slot of its address's budget, so it has
   * joinTimeoutMs to join (again). Joined connections are kept as long as they answer pings.
   */
  private armJoinTimer(c: Conn): void {
    clearTimeout(c.joinTimer);
    if (c.ws.readyState !== WebSocket.OPEN) return;
    c.joinTimer = setTimeout(() => {
      if (c.peer !== undefined || c.ws.readyState !== WebSocket.OPEN) return;
      this.counters.closed.joinTimeout++;
      c.ws.close(CloseCode.joinTimeout, `join a room within ${this.limits.joinTimeoutMs} ms`);
    }, this.limits.joinTimeoutMs);
    c.joinTimer.unref();
  }
}
