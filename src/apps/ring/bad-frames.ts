// The console's warning on a member that keeps sending bad frames: messages that failed the checksum
// or validation (stats().messages.malformedByPeer), tracked across the console's own redraws.
//
// Why "keeps": one bad frame long ago (a tab that was buggy and has been reloaded) is history, shown
// in the counters; a count that rose recently is a member misbehaving now. No timer of its own: the
// count is read whenever the counters redraw, so a warning appears and clears on the next redraw.

import { h } from '../shared/dom';

/** A member stays flagged this long after its count last rose. */
export const RISING_MS = 10_000;

const INTEGER = new Intl.NumberFormat('en-US');

export class BadFrames {
  private seen = new Map<string, { count: number; roseAt: number }>();

  /** Takes in the node's malformedByPeer counts as read at `now` (ms). */
  observe(byPeer: Readonly<Record<string, number>> | undefined, now: number): void {
    for (const [peer, count] of Object.entries(byPeer ?? {})) {
      const last = this.seen.get(peer);
      if (!last || count > last.count) this.seen.set(peer, { count, roseAt: now });
    }
  }

  /** How many of `peer`'s messages were dropped, while it is still sending bad ones; else undefined. */
  rising(peer: string, now: number): number | undefined {
    const s = this.seen.get(peer);
    return s && s.count > 0 && now - s.roseAt < RISING_MS ? s.count : undefined;
  }
}

/**
 * Puts the warning on, updates or takes it off each member of `list` (the console's member list).
 * Updated in place, so a keyboard user's focus on a warning survives the redraws.
 */
export function showBadFrames(list: HTMLElement, tracker: BadFrames, now: number): void {
  for (const li of list.querySelectorAll<HTMLElement>('li[data-member]')) {
    const peer = li.dataset.member ?? '';
    const count = tracker.rising(peer, now);
    let badge = li.querySelector<HTMLElement>('[data-bad-frames]');
    if (count === undefined) {
      badge?.remove();
      continue;
    }
    if (!badge) {
      badge = h('span', { class: 'bad-frames', role: 'note', tabindex: 0 }, h('span', { 'aria-hidden': 'true' }, '⚠ '), h('span', {}));
      li.append(badge);
    }
    if (badge.dataset.badFrames === String(count)) continue;
    const text = `sending bad frames: ${INTEGER.format(count)} dropped`;
    const detail = `${INTEGER.format(count)} messages from ${peer} failed the checksum or validation and were dropped, none stored; it is still sending them`;
    badge.dataset.badFrames = String(count);
    badge.title = detail;
    badge.setAttribute('aria-label', `${peer} is ${text}: ${detail}`);
    (badge.lastElementChild as HTMLElement).textContent = text;
  }
}
