// Token bucket for per-connection frame rate limiting; the clock is injected so tests need no sleeps.

export class TokenBucket {
  private tokens: number;
  private last: number;

  /** `ratePerSec` tokens refill per second up to `burst`; the bucket starts full. */
  constructor(
    private readonly ratePerSec: number,
    private readonly burst: number,
    private readonly now: () => number = Date.now,
  ) {
    this.tokens = burst;
    this.last = now();
  }

  /** Takes one token; false means the caller is over its rate and the frame should be dropped. */
  take(): boolean {
    const t = this.now();
    // A clock that steps backwards must not mint tokens.
    const elapsed = Math.max(0, t - this.last);
    this.last = t;
    this.tokens = Math.min(this.burst, this.tokens + (elapsed * this.ratePerSec) / 1000);
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }
}
