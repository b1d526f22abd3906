// Random port: the only source of randomness for the core, so a seeded run is reproducible.

export interface Random {
  /** A float in [0, 1). */
  next(): number;
}

/** An integer in [0, n). */
export function randomInt(random: Random, n: number): number {
  return Math.floor(random.next() * n);
}
