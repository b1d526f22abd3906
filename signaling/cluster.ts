// Rooms shared by several signaling processes through Redis (DESIGN.md, "Signaling across processes").
// Membership lives in Redis and changes only through the atomic scripts of redis-scripts.ts; each
// process subscribes to the rooms its clients are in (ev:<room>) and to its own channel (proc:<id>),
// where other processes send it the signals addressed to its clients. A process that stops refreshing
// its liveness key is reaped by the next sweep of any other: its peers are announced as left.

import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { Log } from './hub';
import { JOIN, LEAVE, REGISTER, SWEEP, UNREGISTER } from './redis-scripts';
import { parseJoinReply, parsePresence, parseRemoteSignal, type JoinReply, type Presence } from './redis-wire';

export interface ClusterOptions {
  url: string;
  /** A process silent this long is reaped (its peers announced as left). Default 10 s. */
  ttlMs?: number;
  /** Key and channel prefix, so several deployments can share one Redis. Default 'dynamo:sig:'. */
  prefix?: string;
  /** Largest signal message accepted from another process, in bytes. */
  maxSignalBytes: number;
  log: Log;
}

export interface ClusterEvents {
  presence(room: string, ev: Presence): void;
  signal(room: string, from: string, to: string, data: unknown): void;
  /** Redis no longer has this process's peers (it was reaped, or notices may have been missed). */
  reset(): void;
}

/** Registered processes one sweep looks at, at most. */
const MAX_PROCS = 1000;
/** Notices held for a room while its first join's reply is on its way. */
const MAX_EARLY = 1024;

/**
 * A room as this process knows it. Until the first join's reply `filled` is false and notices are held
 * in `early`: the reply and the notices come on different connections, in either order.
 */
interface View {
  seq: number;
  members: Map<string, string>;
  filled: boolean;
  early: Presence[];
}

export class Cluster {
  readonly id = randomBytes(16).toString('hex');
  /** Messages from Redis that failed validation. */
  malformed = 0;
  private readonly prefix: string;
  private readonly ttlMs: number;
  private readonly cmd: Redis;
  private readonly sub: Redis;
  /** Who holds each peer of the rooms this process subscribes to, and the seq that view is at. */
  private readonly mirror = new Map<string, View>();
  private readonly refs = new Map<string, { n: number; subscribed: Promise<unknown> }>();
  private sweepTimer?: ReturnType<typeof setInterval>;
  private lostSub = false;

  private constructor(private readonly o: ClusterOptions, private readonly events: ClusterEvents, RedisClient: typeof Redis) {
    this.prefix = o.prefix ?? 'dynamo:sig:';
    this.ttlMs = o.ttlMs ?? 10_000;
    const redisOpts = { maxRetriesPerRequest: 2, lazyConnect: true };
    this.cmd = new RedisClient(o.url, redisOpts);
    this.sub = new RedisClient(o.url, redisOpts);
    for (const r of [this.cmd, this.sub]) r.on('error', (err: Error) => o.log(`redis: ${err.message}`));
  }

  static async start(o: ClusterOptions, events: ClusterEvents): Promise<Cluster> {
    // Loaded only here: ioredis is an optional peer dependency, needed only with REDIS_URL.
    let RedisClient: typeof Redis;
    try {
      ({ Redis: RedisClient } = await import('ioredis'));
    } catch {
      throw new Error('REDIS_URL / --redis needs the package ioredis: npm install ioredis');
    }
    const c = new Cluster(o, events, RedisClient);
    try {
      await Promise.all([c.cmd.connect(), c.sub.connect()]);
      await c.sub.subscribe(`${c.prefix}proc:${c.id}`);
      await c.cmd.eval(REGISTER, 0, c.prefix, c.id, c.ttlMs);
    } catch (err) {
      c.cmd.disconnect();
      c.sub.disconnect();
      throw new Error(`cannot use Redis at ${o.url}: ${(err as Error).message}`);
    }
    c.sub.on('message', (channel: string, text: string) => c.onMessage(channel, text));
    // Pub/sub resubscribes after a reconnect, but what was published meanwhile is gone.
    c.sub.on('close', () => (c.lostSub = true));
    c.sub.on('ready', () => c.lostSub && ((c.lostSub = false), c.resetAll()));
    c.sweepTimer = setInterval(() => void c.sweep(), Math.max(50, Math.floor(c.ttlMs / 3)));
    c.sweepTimer.unref();
    return c;
  }

  /** Joins `peer` to `room` across all processes; on 'ok', notices from `seq` on are new to it. */
  async join(room: string, peer: string, maxPeers: number): Promise<JoinReply | { result: 'unavailable' }> {
    try {
      await this.acquire(room);
    } catch {
      return { result: 'unavailable' };
    }
    let reply: JoinReply | undefined;
    try {
      reply = parseJoinReply(await this.cmd.eval(JOIN, 0, this.prefix, room, peer, this.id, maxPeers), maxPeers);
    } catch (err) {
      this.o.log(`redis join failed: ${(err as Error).message}`);
    }
    if (reply?.result !== 'ok') {
      this.release(room);
      if (reply === undefined) this.malformed++;
      if (reply?.result === 'reaped') this.resetAll();
      return reply === undefined || reply.result === 'reaped' ? { result: 'unavailable' } : reply;
    }
    const view = this.view(room);
    if (!view.filled) {
      Object.assign(view, { filled: true, seq: reply.seq, members: reply.members });
      for (const ev of view.early.sort((a, b) => a.seq - b.seq)) apply(view, ev);
      view.early = [];
    }
    // The joiner is welcomed with what this process has applied; later notices reach it as they come.
    return { result: 'ok', seq: view.seq, members: new Map(view.members) };
  }

  leave(room: string, peer: string): void {
    this.cmd
      .eval(LEAVE, 0, this.prefix, room, peer, this.id)
      .catch((err: Error) => this.o.log(`redis leave failed: ${err.message}`))
      .finally(() => this.release(room));
  }

  /** The process holding `peer` in `room`, as far as this process has heard. */
  procOf(room: string, peer: string): string | undefined {
    return this.mirror.get(room)?.members.get(peer);
  }

  sendSignal(proc: string, room: string, from: string, to: string, data: unknown): void {
    const text = JSON.stringify({ t: 'signal', room, from, to, data });
    this.cmd.publish(`${this.prefix}proc:${proc}`, text).catch((err: Error) => this.o.log(`redis publish failed: ${err.message}`));
  }

  async close(): Promise<void> {
    clearInterval(this.sweepTimer);
    await this.cmd.eval(UNREGISTER, 0, this.prefix, this.id).catch(() => {});
    this.sub.disconnect();
    await this.cmd.quit().catch(() => {});
  }

  private async sweep(): Promise<void> {
    try {
      const r = await this.cmd.eval(SWEEP, 0, this.prefix, this.id, this.ttlMs, MAX_PROCS);
      if (r === -1) this.resetAll();
    } catch (err) {
      this.o.log(`redis sweep failed: ${(err as Error).message}`);
    }
  }

  /** Registers again and tells the hub to make every client rejoin: Redis's view is the truth. */
  private resetAll(): void {
    this.mirror.clear();
    this.cmd.eval(REGISTER, 0, this.prefix, this.id, this.ttlMs).catch(() => {});
    this.events.reset();
  }

  private onMessage(channel: string, text: string): void {
    if (channel === `${this.prefix}proc:${this.id}`) {
      const s = parseRemoteSignal(text, this.o.maxSignalBytes);
      if (!s) return void this.malformed++;
      return this.events.signal(s.room, s.from, s.to, s.data);
    }
    const room = channel.slice(`${this.prefix}ev:`.length);
    const ev = parsePresence(text);
    if (!ev || !channel.startsWith(`${this.prefix}ev:`)) return void this.malformed++;
    const view = this.mirror.get(room);
    if (!view) return;
    if (!view.filled) return void (view.early.length < MAX_EARLY && view.early.push(ev));
    if (apply(view, ev)) this.events.presence(room, ev);
  }

  private view(room: string): View {
    let v = this.mirror.get(room);
    if (!v) this.mirror.set(room, (v = { seq: 0, members: new Map(), filled: false, early: [] }));
    return v;
  }

  /** Subscribes to a room's notices before its first local join runs, so none is missed. */
  private async acquire(room: string): Promise<void> {
    let r = this.refs.get(room);
    if (!r) this.refs.set(room, (r = { n: 0, subscribed: this.sub.subscribe(`${this.prefix}ev:${room}`) }));
    this.view(room);
    r.n++;
    try {
      await r.subscribed;
    } catch (err) {
      this.release(room);
      throw err;
    }
  }

  private release(room: string): void {
    const r = this.refs.get(room);
    if (!r || --r.n > 0) return;
    this.refs.delete(room);
    this.mirror.delete(room);
    this.sub.unsubscribe(`${this.prefix}ev:${room}`).catch(() => {});
  }
}

/** Applies a notice newer than the view; returns whether it was new. */
function apply(view: View, ev: Presence): boolean {
  if (ev.seq <= view.seq) return false;
  view.seq = ev.seq;
  if (ev.t === 'join') view.members.set(ev.peer, ev.proc);
  else if (view.members.get(ev.peer) === ev.proc) view.members.delete(ev.peer);
  return true;
}
