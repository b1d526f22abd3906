// One signaling payload of a protected room, sealed (AES-256-GCM, key from room-key.ts): the server
// relays it but cannot read it (SDP, ICE candidates: the peers' addresses, their DTLS fingerprints)
// nor change it unnoticed. The additional data binds sender, addressee and frame kind, so a sealed
// payload the server re-addresses (to another peer, or as coming from another) fails to open.
//
//   sealed = { v: 1, iv: base64url(12 fresh random bytes), ct: base64url(AES-GCM(JSON(payload))) }
//   aad    = 'dynamo-browser/v1/signal' \n from \n to \n kind
//
// A fresh random 96-bit IV per message: a room's key seals a few dozen payloads per connection, far
// from the 2^32 messages at which random IVs would risk a repeat.

import { fromBase64url, toBase64url } from './base64';
import { subtle } from './room-key';

export const SEAL_VERSION = 1;
/** The server refuses frames over 64 KiB, so a larger ciphertext cannot be genuine. */
const MAX_CT_BYTES = 64 * 1024;
const IV_BYTES = 12;

export interface Sealed {
  v: typeof SEAL_VERSION;
  iv: string;
  ct: string;
}

export interface Route {
  from: string;
  to: string;
  /** What the payload is; only 'signal' today, bound so a payload cannot be reused as another kind. */
  kind: string;
}

function aad(r: Route): Uint8Array<ArrayBuffer> {
  return new TextEncoder().encode(`dynamo-browser/v1/signal\n${r.from}\n${r.to}\n${r.kind}`);
}

export async function seal(key: CryptoKey, route: Route, payload: unknown, iv?: Uint8Array): Promise<Sealed> {
  const nonce = (iv ?? crypto.getRandomValues(new Uint8Array(IV_BYTES))) as Uint8Array<ArrayBuffer>;
  const plain = new TextEncoder().encode(JSON.stringify(payload));
  const ct = await subtle().encrypt({ name: 'AES-GCM', iv: nonce, additionalData: aad(route) }, key, plain);
  return { v: SEAL_VERSION, iv: toBase64url(nonce), ct: toBase64url(new Uint8Array(ct)) };
}

/** The payload, or undefined if `sealed` is malformed, tampered with, re-addressed or sealed under another key. */
export async function open(key: CryptoKey, route: Route, sealed: unknown): Promise<unknown> {
  if (!isSealedShape(sealed)) return undefined;
  const iv = fromBase64url(sealed.iv, IV_BYTES);
  const ct = fromBase64url(sealed.ct, MAX_CT_BYTES);
  if (!iv || iv.length !== IV_BYTES || !ct || ct.length < 16) return undefined;
  try {
    const params = { name: 'AES-GCM', iv: iv as Uint8Array<ArrayBuffer>, additionalData: aad(route) };
    const plain = await subtle().decrypt(params, key, ct as Uint8Array<ArrayBuffer>);
    return JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(plain)) as unknown;
  } catch {
    return undefined;
  }
}

function isSealedShape(x: unknown): x is Sealed {
  if (typeof x !== 'object' || x === null || Array.isArray(x)) return false;
  const s = x as Record<string, unknown>;
  return s.v === SEAL_VERSION && typeof s.iv === 'string' && typeof s.ct === 'string' && Object.keys(s).length === 3;
}
