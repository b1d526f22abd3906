// Tests for core/liveness.ts: the local failure detector (paper §4.8.3) on a virtual clock: link
// events and request timeouts, heartbeats and silence, hidden tabs, probes, clock jumps, auto-removal.
import { describe, expect, it } from 'vitest';
import { autoRemovals, DEFAULT_LIVENESS, Liveness, type LivenessOptions } from '../../src/core/liveness';
import type { LivenessMessage } from '../../src/core/protocol/liveness';
import { TransportEvents } from '../../src/ports/emitter';
import type { CancelTimer, Clock } from '../../src/ports/clock';
import type { NodeId, Transport } from '../../src/ports/transport';
import { VirtualClock } from '../../src/sim/clock';

const OPTS = { suspectAfterTimeouts: 3, suspectDownAfterMs: 10_000 };

/** Records what liveness asks of the transport; `hint` plays the signaling server. */
class FakeTransport extends TransportEvents implements Transport {
  readonly self = 'a';
  readonly out: Array<{ to: NodeId; msg: LivenessMessage }> = [];
  readonly dropped: NodeId[] = [];
  peers(): NodeId[] {
    return [];
  }
  send(to: NodeId, data: string): boolean {
    this.out.push({ to, msg: JSON.parse(data) as LivenessMessage });
    return true;
  }
  drain(): Promise<void> {
    return Promise.resolve();
  }
  disconnect(peer: NodeId): void {
    this.dropped.push(peer);
  }
  close(): Promise<void> {
    return Promise.resolve();
  }
  hint(peer: NodeId): void {
    this.hints.emit(peer);
  }
  /** Heartbeats sent to `peer` since the last call, as 'ping' / 'ping:hidden' / 'pong'. */
  take(peer: NodeId): string[] {
    const mine = this.out.filter((o) => o.to === peer).map((o) => `${o.msg.type}${o.msg.hidden ? ':hidden' : ''}`);
    this.out.splice(0, this.out.length, ...this.out.filter((o) => o.to !== peer));
    return mine;
  }
}

/** A machine that sleeps: now() jumps ahead, and timers due meanwhile fire only on waking. */
class SleepyClock implements Clock {
  private slept = 0;
  constructor(private readonly inner: VirtualClock) {}
  now(): number {
    return this.inner.now() + this.slept;
  }
  setTimer(ms: number, fn: () => void): CancelTimer {
    return this.inner.setTimer(ms, fn);
  }
  sleep(ms: number): void {
    this.slept += ms;
  }
}

function setup(startAt = 0, options: Partial<LivenessOptions> = OPTS) {
  const virtual = new VirtualClock();
  virtual.advance(startAt);
  const clock = Object.assign(new SleepyClock(virtual), { advance: (ms: number) => virtual.advance(ms) });
  const transport = new FakeTransport();
  let changes = 0;
  const fd: Liveness = new Liveness({
    clock,
    transport,
    options: { ...DEFAULT_LIVENESS, ...options },
    // As the node does: encoded, through the counting transport.
    send: (to, msg) => void fd.transport.send(to, JSON.stringify(msg)),
    onChange: () => changes++,
  });
  return { clock, fd, transport, changes: () => changes };
}

function timeouts(fd: Liveness, peer: string, n: number): void {
  for (let i = 0; i < n; i++) fd.timedOut(peer);
}

describe('Liveness: link events and request timeouts', () => {
  it('an unknown peer is down, and has been since the detector started', () => {
    const { clock, fd } = setup(500);
    expect(fd.status('x')).toBe('down');
    expect(fd.healthy('x')).toBe(false);
    expect(fd.downFor('x')).toBe(0);
    clock.advance(1234);
    expect(fd.downFor('x')).toBe(1234);
  });

  it('linkUp makes a peer up and healthy, with no down time', () => {
    const { clock, fd } = setup();
    fd.linkUp('b');
    expect(fd.status('b')).toBe('up');
    expect(fd.healthy('b')).toBe(true);
    clock.advance(60_000);
    expect(fd.status('b')).toBe('up');
    expect(fd.downFor('b')).toBe(0);
  });

  it('fewer than suspectAfterTimeouts timeouts leave it up', () => {
    const { fd } = setup();
    fd.linkUp('b');
    timeouts(fd, 'b', OPTS.suspectAfterTimeouts - 1);
    expect(fd.status('b')).toBe('up');
    expect(fd.healthy('b')).toBe(true);
  });

  it('suspectAfterTimeouts consecutive timeouts make it suspect and not healthy', () => {
    const { fd } = setup();
    fd.linkUp('b');
    timeouts(fd, 'b', OPTS.suspectAfterTimeouts);
    expect(fd.status('b')).toBe('suspect');
    expect(fd.healthy('b')).toBe(false);
    expect(fd.downFor('b')).toBe(0);
  });

  it('hearing from a peer resets its timeout count', () => {
    const { fd } = setup();
    fd.linkUp('b');
    timeouts(fd, 'b', OPTS.suspectAfterTimeouts - 1);
    fd.heard('b');
    timeouts(fd, 'b', OPTS.suspectAfterTimeouts - 1);
    expect(fd.status('b')).toBe('up');
    fd.timedOut('b');
    expect(fd.status('b')).toBe('suspect');
  });

  it('heard() makes a suspect up again', () => {
    const { clock, fd } = setup();
    fd.linkUp('b');
    timeouts(fd, 'b', OPTS.suspectAfterTimeouts);
    clock.advance(OPTS.suspectDownAfterMs - 1);
    fd.heard('b');
    expect(fd.status('b')).toBe('up');
    expect(fd.healthy('b')).toBe(true);
    // and the suspicion does not resume where it left off
    clock.advance(OPTS.suspectDownAfterMs * 2);
    expect(fd.status('b')).toBe('up');
  });

  it('heard() from an unknown peer does not make it up', () => {
    const { fd } = setup();
    fd.heard('x');
    expect(fd.status('x')).toBe('down');
    expect(fd.healthy('x')).toBe(false);
  });

  it('a peer suspect for suspectDownAfterMs is down, and downFor counts from that moment', () => {
    const { clock, fd } = setup();
    fd.linkUp('b');
    clock.advance(100);
    timeouts(fd, 'b', OPTS.suspectAfterTimeouts); // suspect since 100
    clock.advance(OPTS.suspectDownAfterMs - 1);
    expect(fd.status('b')).toBe('suspect');
    expect(fd.downFor('b')).toBe(0);
    clock.advance(1);
    expect(fd.status('b')).toBe('down');
    expect(fd.healthy('b')).toBe(false);
    expect(fd.downFor('b')).toBe(0);
    clock.advance(2500);
    expect(fd.downFor('b')).toBe(2500);
  });

  it('more timeouts while suspect do not restart the suspicion', () => {
    const { clock, fd } = setup();
    fd.linkUp('b');
    timeouts(fd, 'b', OPTS.suspectAfterTimeouts);
    clock.advance(OPTS.suspectDownAfterMs / 2);
    timeouts(fd, 'b', 5);
    clock.advance(OPTS.suspectDownAfterMs / 2);
    expect(fd.status('b')).toBe('down');
  });

  it('linkDown makes it down at once, and downFor grows with time', () => {
    const { clock, fd } = setup();
    fd.linkUp('b');
    clock.advance(1000);
    fd.linkDown('b');
    expect(fd.status('b')).toBe('down');
    expect(fd.healthy('b')).toBe(false);
    expect(fd.downFor('b')).toBe(0);
    clock.advance(700);
    expect(fd.downFor('b')).toBe(700);
    clock.advance(300);
    expect(fd.downFor('b')).toBe(1000);
  });

  it('a second linkDown does not restart the down time', () => {
    const { clock, fd } = setup();
    fd.linkUp('b');
    fd.linkDown('b');
    clock.advance(700);
    fd.linkDown('b');
    expect(fd.downFor('b')).toBe(700);
  });

  it('linkUp after linkDown is up again, and a later linkDown counts from then', () => {
    const { clock, fd } = setup();
    fd.linkUp('b');
    fd.linkDown('b');
    clock.advance(5000);
    fd.linkUp('b');
    expect(fd.status('b')).toBe('up');
    expect(fd.downFor('b')).toBe(0);
    clock.advance(1000);
    fd.linkDown('b');
    clock.advance(10);
    expect(fd.downFor('b')).toBe(10);
  });

  it('linkUp clears suspicion', () => {
    const { fd } = setup();
    fd.linkUp('b');
    timeouts(fd, 'b', OPTS.suspectAfterTimeouts);
    fd.linkUp('b');
    expect(fd.status('b')).toBe('up');
  });

  it('resetDownTimes restarts the count for down links, suspects and unknown peers', () => {
    const { clock, fd } = setup();
    fd.linkUp('b');
    fd.linkDown('b');
    fd.linkUp('c');
    timeouts(fd, 'c', OPTS.suspectAfterTimeouts);
    clock.advance(OPTS.suspectDownAfterMs + 60_000);
    expect(fd.downFor('b')).toBe(OPTS.suspectDownAfterMs + 60_000);
    expect(fd.downFor('c')).toBe(60_000);
    expect(fd.downFor('x')).toBe(OPTS.suspectDownAfterMs + 60_000);

    fd.resetDownTimes();
    expect(fd.downFor('b')).toBe(0);
    expect(fd.downFor('x')).toBe(0);
    // The suspect's count restarts too: it is suspect again, not down, until the window passes anew.
    expect(fd.status('c')).toBe('suspect');
    expect(fd.downFor('c')).toBe(0);

    clock.advance(400);
    expect(fd.downFor('b')).toBe(400);
    expect(fd.downFor('x')).toBe(400);
    clock.advance(OPTS.suspectDownAfterMs);
    expect(fd.status('c')).toBe('down');
    expect(fd.downFor('c')).toBe(400);
  });

  it('resetDownTimes leaves up peers up', () => {
    const { clock, fd } = setup();
    fd.linkUp('b');
    clock.advance(1000);
    fd.resetDownTimes();
    expect(fd.status('b')).toBe('up');
    expect(fd.downFor('b')).toBe(0);
  });

  it('timeouts on a down link do nothing', () => {
    const { clock, fd } = setup();
    fd.linkUp('b');
    fd.linkDown('b');
    clock.advance(50);
    timeouts(fd, 'b', OPTS.suspectAfterTimeouts * 3);
    expect(fd.status('b')).toBe('down');
    expect(fd.downFor('b')).toBe(50);
    // When the link comes back the ignored timeouts are not held against it.
    fd.linkUp('b');
    expect(fd.status('b')).toBe('up');
    timeouts(fd, 'b', OPTS.suspectAfterTimeouts - 1);
    expect(fd.status('b')).toBe('up');
  });

  it('timeouts for a peer never seen do not make it up or suspect', () => {
    const { clock, fd } = setup();
    clock.advance(300);
    timeouts(fd, 'x', OPTS.suspectAfterTimeouts);
    expect(fd.status('x')).toBe('down');
    expect(fd.downFor('x')).toBe(300);
    fd.linkUp('x');
    expect(fd.status('x')).toBe('up');
  });

  it('peers are judged independently', () => {
    const { fd } = setup();
    fd.linkUp('b');
    fd.linkUp('c');
    timeouts(fd, 'b', OPTS.suspectAfterTimeouts);
    expect(fd.status('b')).toBe('suspect');
    expect(fd.status('c')).toBe('up');
    fd.linkDown('c');
    expect(fd.status('b')).toBe('suspect');
    expect(fd.status('c')).toBe('down');
  });
  // downFor is documented as "ms this node has seen it down", and auto-removal compares it with
  // autoRemoveAfterMs. A peer that went down by suspicion and then also lost its link has been down
  // all along, but linkDown restarts downSince (s.link is still true), so downFor drops back to 0.
  it('downFor keeps counting when a peer already down by suspicion then loses its link', () => {
    const { clock, fd } = setup();
    fd.linkUp('b');
    timeouts(fd, 'b', OPTS.suspectAfterTimeouts);
    clock.advance(OPTS.suspectDownAfterMs + 50_000);
    expect(fd.status('b')).toBe('down');
    expect(fd.downFor('b')).toBe(50_000);
    fd.linkDown('b');
    expect(fd.status('b')).toBe('down');
    expect(fd.downFor('b')).toBeGreaterThanOrEqual(50_000); // actual: 0
  });

  it('turning suspect probes the peer with a ping and says so; hearing from it makes it up again', () => {
    const { fd, transport, changes } = setup();
    fd.linkUp('b');
    timeouts(fd, 'b', OPTS.suspectAfterTimeouts - 1);
    expect(transport.take('b')).toEqual([]);
    fd.timedOut('b');
    expect(transport.take('b')).toEqual(['ping']);
    expect(changes()).toBe(1);
    fd.heard('b');
    expect(fd.status('b')).toBe('up');
    expect(changes()).toBe(2);
  });
});

describe('Liveness: heartbeats and silence', () => {
  const H = DEFAULT_LIVENESS.heartbeatMs;
  const DEAD = DEFAULT_LIVENESS.deadAfterMs;

  it('pings an idle peer every heartbeat, and not a peer it sent something to within one', () => {
    const { clock, fd, transport } = setup();
    fd.start();
    fd.linkUp('b');
    fd.linkUp('c');
    clock.advance(H);
    expect(transport.take('b')).toEqual(['ping']);
    expect(transport.take('c')).toEqual(['ping']);
    clock.advance(H / 2);
    fd.transport.send('c', JSON.stringify({ type: 'get', id: 7, key: 'k' })); // a busy link
    transport.take('c');
    clock.advance(H / 2);
    expect(transport.take('b')).toEqual(['ping']);
    expect(transport.take('c')).toEqual([]);
    fd.heard('b');
    fd.heard('c');
    expect(fd.status('b')).toBe('up');
  });

  it('answers a ping at once with a pong, and ignores a pong', () => {
    const { fd, transport } = setup();
    fd.linkUp('b');
    fd.handle('b', { type: 'ping', id: 0 });
    expect(transport.take('b')).toEqual(['pong']);
    fd.handle('b', { type: 'pong', id: 0 });
    expect(transport.take('b')).toEqual([]);
  });

  it('a silent peer is down after deadAfterMs, within one more heartbeat, and its link is dropped', () => {
    const { clock, fd, transport, changes } = setup();
    fd.start();
    fd.linkUp('b');
    clock.advance(DEAD);
    expect(fd.status('b')).toBe('up');
    let downAt = -1;
    while (clock.now() <= DEAD + H && downAt < 0) {
      clock.advance(100);
      if (fd.status('b') === 'down') downAt = clock.now();
    }
    expect(downAt).toBeGreaterThan(DEAD);
    expect(downAt).toBeLessThanOrEqual(DEAD + H);
    expect(transport.dropped).toEqual(['b']);
    expect(changes()).toBe(1);
    expect(fd.downFor('b')).toBeLessThan(H);
    // The transport's own down event that follows changes nothing.
    fd.linkDown('b');
    expect(fd.downFor('b')).toBeLessThan(H);
  });

  it('a peer that keeps talking stays up however long', () => {
    const { clock, fd, transport } = setup();
    fd.start();
    fd.linkUp('b');
    for (let t = 0; t < 60_000; t += 500) {
      clock.advance(500);
      fd.heard('b');
    }
    expect(fd.status('b')).toBe('up');
    expect(transport.dropped).toEqual([]);
  });

  it('a peer that said it is hidden gets hiddenDeadAfterMs; visible again, the normal allowance', () => {
    const { clock, fd, transport } = setup(0, { ...OPTS, hiddenDeadAfterMs: 30_000 });
    fd.start();
    fd.linkUp('b');
    fd.linkUp('c');
    fd.handle('b', { type: 'ping', id: 0, hidden: true });
    expect(fd.hiddenPeers()).toEqual(['b']);
    clock.advance(29_000);
    expect(fd.status('b')).toBe('up');
    expect(fd.status('c')).toBe('down');
    clock.advance(2_000);
    expect(fd.status('b')).toBe('down');
    expect(transport.dropped).toEqual(['c', 'b']);
    expect(fd.hiddenPeers()).toEqual([]);

    fd.linkUp('b'); // a new link: visible until it says otherwise
    fd.handle('b', { type: 'pong', id: 0, hidden: true });
    fd.handle('b', { type: 'pong', id: 0 });
    expect(fd.hiddenPeers()).toEqual([]);
    clock.advance(DEAD + H);
    expect(fd.status('b')).toBe('down');
  });

  it('a hidden tab says so to every peer, to later ones, and on its pongs', () => {
    const { fd, transport } = setup();
    fd.linkUp('b');
    fd.setHidden(true);
    expect(transport.take('b')).toEqual(['ping:hidden']);
    fd.setHidden(true);
    expect(transport.take('b')).toEqual([]);
    fd.linkUp('c');
    expect(transport.take('c')).toEqual(['ping:hidden']);
    fd.handle('c', { type: 'ping', id: 0 });
    expect(transport.take('c')).toEqual(['pong:hidden']);
    fd.setHidden(false);
    expect(transport.take('b')).toEqual(['ping']);
    expect(transport.take('c')).toEqual(['ping']);
  });

  it('a hint that the peer left probes it: no answer within probeMs is down, an answer keeps it up', () => {
    const { clock, fd, transport } = setup();
    fd.start();
    fd.linkUp('b');
    fd.linkUp('c');
    transport.hint('b');
    transport.hint('c');
    expect(transport.take('b')).toEqual(['ping']);
    expect(transport.take('c')).toEqual(['ping']);
    clock.advance(DEFAULT_LIVENESS.probeMs / 2);
    fd.heard('c');
    clock.advance(DEFAULT_LIVENESS.probeMs / 2);
    expect(fd.status('b')).toBe('down');
    expect(fd.status('c')).toBe('up');
    expect(transport.dropped).toEqual(['b']);
    transport.take('b');
    transport.hint('b'); // no link: nothing to probe
    expect(transport.take('b')).toEqual([]);
  });

  it('a heartbeat timer far too late (the machine slept) restarts every count instead of judging', () => {
    const { clock, fd, transport } = setup();
    fd.start();
    fd.linkUp('b');
    fd.linkUp('c');
    fd.linkDown('c');
    clock.advance(H);
    // Nothing ran for 60 s: the next beat finds b silent for a minute, through no fault of b's.
    clock.sleep(60_000);
    clock.advance(H);
    expect(fd.status('b')).toBe('up');
    expect(transport.dropped).toEqual([]);
    expect(fd.downFor('c')).toBe(0); // not 61 s: it may have come back while we slept
    clock.advance(DEAD + H);
    expect(fd.status('b')).toBe('down');
  });

  it('a heartbeat timer late by more than deadAfterMs (a frozen tab) judges no one on that beat', () => {
    const { clock, fd, transport } = setup();
    fd.start();
    fd.linkUp('b');
    clock.advance(H);
    clock.sleep(DEAD + H);
    clock.advance(H);
    expect(fd.status('b')).toBe('up');
    clock.advance(DEAD + H);
    expect(transport.dropped).toEqual(['b']);
  });

  it('stop ends heartbeats and probes', () => {
    const { clock, fd, transport } = setup();
    fd.start();
    fd.linkUp('b');
    fd.stop();
    transport.hint('b');
    clock.advance(60_000);
    expect(transport.take('b')).toEqual([]);
    expect(transport.dropped).toEqual([]);
  });
});

describe('autoRemovals', () => {
  const members = ['a', 'b', 'c', 'd', 'e'];
  function ring(upPeers: string[], self = 'a') {
    const { clock, fd } = setup();
    for (const p of upPeers) fd.linkUp(p);
    return { clock, fd, self };
  }

  it('the smallest up member removes those down past the threshold, and no one else does', () => {
    const { clock, fd } = ring(['b', 'c']);
    clock.advance(59_999);
    expect(autoRemovals('a', members, fd, 60_000)).toEqual([]);
    clock.advance(1);
    expect(autoRemovals('a', members, fd, 60_000)).toEqual(['d', 'e']);
    // b sees the same, but a is up and smaller: b leaves it to a.
    const other = ring(['a', 'c'], 'b');
    other.clock.advance(60_000);
    expect(autoRemovals('b', members, other.fd, 60_000)).toEqual([]);
  });

  it('a node that sees a minority up removes nobody, and 0 disables removal', () => {
    const { clock, fd } = ring(['b']);
    clock.advance(600_000);
    expect(autoRemovals('a', members, fd, 60_000)).toEqual([]);
    const all = ring(['b', 'c']);
    all.clock.advance(600_000);
    expect(autoRemovals('a', members, all.fd, 0)).toEqual([]);
  });

  it('a node that is not a member removes nobody', () => {
    const { clock, fd } = ring(['b', 'c', 'd']);
    clock.advance(600_000);
    expect(autoRemovals('z', members, fd, 60_000)).toEqual([]);
  });
});
