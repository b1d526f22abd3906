// The server's limits: what each one bounds, its default, and how a partial configuration is filled in.

export interface SignalingLimits {
  /** Largest accepted frame in bytes; larger closes that connection with 1009. Default 64 KiB. */
  maxPayload: number;
  /** Default 256; the next join gets `room-full`. */
  maxPeersPerRoom: number;
  /** Token-bucket refill per connection, frames per second. Default 100. */
  ratePerSec: number;
  /** Token-bucket capacity. Default 300. */
  burst: number;
  /** ws-level ping period; a connection that misses one ping is terminated. Default 10_000. */
  pingIntervalMs: number;
  /**
   * A relay to a peer with more than this many bytes already waiting for it is dropped, and the sender
   * gets `peer-slow`. Default 256 KiB: signals are a few KiB, so a healthy reader never comes near it.
   */
  relayHighWater: number;
  /** Any frame owed to a peer with more than this waiting closes it with 4507 (slow reader). Default 1 MiB. */
  maxBuffered: number;
  /**
   * WebSocket connections one remote address may hold open (IPv6: one /64); the next upgrade gets HTTP
   * 429. Default 32: a browser opens one per tab. Behind a reverse proxy every client shares the proxy's
   * address, so raise it there.
   */
  maxConnsPerAddress: number;
  /** WebSocket connections open in all; the next upgrade gets HTTP 503. Default 4096. */
  maxConnections: number;
  /** A connection outside a room (never joined, or left) for this long is closed with 4408. Default 10_000. */
  joinTimeoutMs: number;
}

export const DEFAULT_LIMITS: SignalingLimits = {
  maxPayload: 64 * 1024,
  maxPeersPerRoom: 256,
  ratePerSec: 100,
  burst: 300,
  pingIntervalMs: 10_000,
  relayHighWater: 256 * 1024,
  maxBuffered: 1024 * 1024,
  maxConnsPerAddress: 32,
  maxConnections: 4096,
  joinTimeoutMs: 10_000,
};

/** setTimeout and setInterval treat longer delays as 1 ms, which would cut every connection at once. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * The defaults overridden by every limit `partial` sets; a limit given as undefined keeps its default.
 * Throws RangeError on a limit that is not a positive number, or a period over 2^31 - 1 ms.
 */
export function resolveLimits(partial: Partial<SignalingLimits> = {}): SignalingLimits {
  const limits = { ...DEFAULT_LIMITS };
  for (const key of LIMIT_KEYS) {
    const value = partial[key];
    if (value === undefined) continue;
    if (typeof value !== 'number' || !(value > 0) || value === Infinity) {
      throw new RangeError(`signaling limit ${key} must be a positive number, got ${String(value)}`);
    }
    if (key.endsWith('Ms') && value > MAX_TIMER_MS) throw new RangeError(`signaling limit ${key} must be at most ${MAX_TIMER_MS} ms`);
    limits[key] = value;
  }
  return limits;
}

const LIMIT_KEYS = Object.keys(DEFAULT_LIMITS) as Array<keyof SignalingLimits>;

/** The environment variable for a limit: maxConnsPerAddress is SIGNAL_MAX_CONNS_PER_ADDRESS. */
export function envName(key: keyof SignalingLimits): string {
  return `SIGNAL_${key.replace(/[A-Z]/g, (c) => `_${c}`).toUpperCase()}`;
}

/** The limits set in `env` (unset or empty variables are left out); throws on a value that is not a number. */
export function limitsFromEnv(env: Record<string, string | undefined>): Partial<SignalingLimits> {
  const limits: Partial<SignalingLimits> = {};
  for (const key of LIMIT_KEYS) {
    const raw = env[envName(key)]?.trim();
    if (!raw) continue;
    const value = Number(raw);
    if (!Number.isFinite(value)) throw new RangeError(`${envName(key)} must be a number, got ${JSON.stringify(raw)}`);
    limits[key] = value;
  }
  return limits;
}
