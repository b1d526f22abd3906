// System clock and randomness: the real-time implementations of the Clock and Random ports.

import type { Clock } from '../../ports/clock';
import type { Random } from '../../ports/random';

export const systemClock: Clock = {
  now: () => Date.now(),
  setTimer(ms, fn) {
    const t = setTimeout(fn, ms);
    return () => clearTimeout(t);
  },
  precise: () => performance.now(),
};

export const systemRandom: Random = { next: () => Math.random() };
