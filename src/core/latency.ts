// A bounded log of recent request latencies and its percentiles, for node.stats().

export interface LatencySummary {
  count: number;
  p50: number;
  p99: number;
  p999: number;
}

export class LatencyLog {
  private samples: number[] = [];
  private nextSlot = 0;
  private total = 0;
  private last: LatencySummary | undefined;

  constructor(private readonly capacity = 4096) {}

  add(ms: number): void {
    this.total++;
    if (this.samples.length < this.capacity) this.samples.push(ms);
    else this.samples[this.nextSlot] = ms;
    this.nextSlot = (this.nextSlot + 1) % this.capacity;
  }

  /** Sorts the samples only when some came in since the last summary (stats() is polled by UIs). */
  summary(): LatencySummary {
    if (this.last?.count === this.total) return { ...this.last };
    const sorted = Float64Array.from(this.samples).sort();
    this.last = { count: this.total, p50: quantile(sorted, 0.5), p99: quantile(sorted, 0.99), p999: quantile(sorted, 0.999) };
    return { ...this.last };
  }
}

/** Nearest-rank quantile of an ascending array; 0 when empty. */
export function quantile(sorted: ArrayLike<number>, q: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)] ?? 0;
}
