// /ice.json: the STUN/TURN configuration pages fetch, built from the server's environment. TURN
// credentials are minted per request with coturn's REST-API scheme (use-auth-secret): username
// `expiry:id`, credential base64(HMAC-SHA1(secret, username)), so the shared secret never leaves the
// server and what a page holds stops working at `expiry`.

import { createHmac, randomBytes } from 'node:crypto';

export interface IceSettings {
  stunUrls: string[];
  turnUrls: string[];
  /** coturn's static-auth-secret; required when turnUrls is not empty. */
  turnSecret?: string;
  /** How long minted credentials last, in seconds. Default 86400. */
  turnTtlSec: number;
  /** Served as iceTransportPolicy when set ('relay' forces every peer through TURN). */
  policy?: 'all' | 'relay';
}

export interface IceDocument {
  iceServers: Array<{ urls: string[]; username?: string; credential?: string }>;
  iceTransportPolicy?: 'all' | 'relay';
}

export const NO_ICE: IceSettings = { stunUrls: [], turnUrls: [], turnTtlSec: 86_400 };

const ICE_URL = /^(stuns?|turns?):[^\s\x00-\x1f,]{1,500}$/;
const MAX_URLS = 8;

/**
 * STUN_URLS and TURN_URLS (comma-separated stun:/turn: URIs), TURN_SECRET, TURN_TTL (seconds) and
 * ICE_TRANSPORT_POLICY. Throws RangeError naming the variable that is wrong.
 */
export function iceFromEnv(env: Record<string, string | undefined>): IceSettings {
  const list = (name: string, scheme: RegExp): string[] => {
    const urls = (env[name] ?? '').split(',').map((u) => u.trim()).filter(Boolean);
    if (urls.length > MAX_URLS) throw new RangeError(`${name} lists ${urls.length} URLs, over ${MAX_URLS}`);
    for (const u of urls) if (!ICE_URL.test(u) || !scheme.test(u)) throw new RangeError(`${name}: ${JSON.stringify(u.slice(0, 80))} is not a ${scheme.source.slice(1, -1)} URL`);
    return urls;
  };
  const stunUrls = list('STUN_URLS', /^(stuns?):/);
  const turnUrls = list('TURN_URLS', /^(turns?):/);
  const turnSecret = env.TURN_SECRET || undefined;
  if (turnUrls.length > 0 && !turnSecret) throw new RangeError('TURN_URLS is set but TURN_SECRET is not (coturn static-auth-secret)');
  if (turnSecret !== undefined && turnSecret.length > 1024) throw new RangeError('TURN_SECRET is over 1024 characters');
  const ttlRaw = env.TURN_TTL?.trim();
  const turnTtlSec = ttlRaw ? Number(ttlRaw) : NO_ICE.turnTtlSec;
  if (!Number.isInteger(turnTtlSec) || turnTtlSec < 60 || turnTtlSec > 30 * 86_400) throw new RangeError(`TURN_TTL must be whole seconds in 60..2592000, got ${JSON.stringify(ttlRaw)}`);
  const policy = env.ICE_TRANSPORT_POLICY?.trim() || undefined;
  if (policy !== undefined && policy !== 'all' && policy !== 'relay') throw new RangeError(`ICE_TRANSPORT_POLICY must be 'all' or 'relay', got ${JSON.stringify(policy)}`);
  return { stunUrls, turnUrls, turnSecret, turnTtlSec, ...(policy ? { policy } : {}) };
}

/** coturn REST-API credentials valid until nowMs + ttlSec. */
export function turnCredential(secret: string, ttlSec: number, nowMs: number, id: string): { username: string; credential: string } {
  const username = `${Math.floor(nowMs / 1000) + ttlSec}:${id}`;
  return { username, credential: createHmac('sha1', secret).update(username).digest('base64') };
}

/** The document served at /ice.json; fresh TURN credentials on every call. */
export function iceDocument(s: IceSettings, nowMs: number, id: string = randomBytes(8).toString('hex')): IceDocument {
  const iceServers: IceDocument['iceServers'] = [];
  if (s.stunUrls.length > 0) iceServers.push({ urls: [...s.stunUrls] });
  if (s.turnUrls.length > 0 && s.turnSecret) iceServers.push({ urls: [...s.turnUrls], ...turnCredential(s.turnSecret, s.turnTtlSec, nowMs, id) });
  return s.policy ? { iceServers, iceTransportPolicy: s.policy } : { iceServers };
}
