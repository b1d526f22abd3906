// Random port: the only source of randomness for the core, so a seeded run is reproducible.

export interface Random {
  /** A float in [0, 1). */
  next(): number;
}

/** An integer in [0, n). */
export function randomInt(random: Random, n: number): number {
  return Math.floor(random.next() * n);
}

/** A random identifier of `length` characters from [0-9a-z]. */
export function randomId(random: Random, length = 12): string {
  const alphabet = '0123456789abcdefghijklmnopqrstuvwxyz';
  let out = '';
  for (let i = 0; i < length; i++) out += alphabet[randomInt(random, alphabet.length)];
  return out;
}
