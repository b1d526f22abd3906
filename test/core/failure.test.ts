// Tests for core/failure.ts: the local failure detector (paper §4.8.3) on a virtual clock.
import { describe, expect, it } from 'vitest';
import { autoRemovals, FailureDetector } from '../../src/core/failure';
import { VirtualClock } from '../../src/sim/clock';

const OPTS = { suspectAfterTimeouts: 3, suspectDownAfterMs: 10_000 };

function setup(startAt = 0) {
  const clock = new VirtualClock();
  clock.advance(startAt);
  const fd = new FailureDetector(clock, OPTS);
  return { clock, fd };
}

function timeouts(fd: FailureDetector, peer: string, n: number): void {
  for (let i = 0; i < n; i++) fd.timedOut(peer);
}

describe('FailureDetector', () => {
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
