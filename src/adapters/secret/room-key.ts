// The room-secret key schedule (DESIGN.md, "Trust"): from a room's name and secret, the room id the
// signaling server sees and the keys that seal signaling payloads and authenticate peers. Every
// parameter of it lives here.
//
//   master = PBKDF2-HMAC-SHA256(secret, salt 'dynamo-browser/v1/room/' + room, 600,000 rounds, 32 bytes)
//   roomId = 'p-' + hex(HKDF-SHA256(master, info 'dynamo-browser/v1/room-id', 16 bytes))
//   signal = AES-256-GCM key, HKDF-SHA256(master, info 'dynamo-browser/v1/signal', 32 bytes)
//   auth   = HMAC-SHA256 key, HKDF-SHA256(master, info 'dynamo-browser/v1/auth', 32 bytes)
//
// Why slow: the signaling server sees roomId and can test guesses of (room, secret) against it
// offline. PBKDF2 at OWASP's count for SHA-256 makes each guess cost what a tab pays once at start;
// a generated secret (128 random bits, as "copy invite link" offers) is out of reach at any speed.
// Why the room in the salt: one secret reused in two rooms gives unrelated keys, and a table of
// precomputed guesses serves one room name only. Why HKDF after it: one slow step, then independent
// keys, so learning the room id (or even the signal key) says nothing about the auth key.
// PBKDF2 runs in WebCrypto (native); the cheap HKDF steps and the handshake's HMAC use @noble/hashes,
// which is synchronous, so the handshake (handshake.ts) stays a plain state machine.

import { hkdf } from '@noble/hashes/hkdf.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex } from '@noble/hashes/utils.js';

export const PBKDF2_ROUNDS = 600_000;
export const ROOM_ID_PREFIX = 'p-';
const SALT_PREFIX = 'dynamo-browser/v1/room/';
const INFO = { roomId: 'dynamo-browser/v1/room-id', signal: 'dynamo-browser/v1/signal', auth: 'dynamo-browser/v1/auth' } as const;
/** Secrets are typed or pasted by people; longer ones are refused rather than hashed unbounded. */
export const MAX_SECRET_CHARS = 1024;

export interface RoomKeys {
  /** The only name of the room the signaling server sees: 'p-' and 32 hex digits. */
  roomId: string;
  /** Seals signaling payloads (sealed-signal.ts). Not extractable. */
  signal: CryptoKey;
  /** Keys the peer handshake's HMAC (handshake.ts). */
  auth: Uint8Array;
}

/** The raw outputs of the schedule, for fixed-vector tests and for deriveRoomKeys. */
export interface RoomKeyBytes {
  roomId: string;
  signal: Uint8Array;
  auth: Uint8Array;
}

const utf8 = (s: string) => new TextEncoder().encode(s);

/** WebCrypto, or a clear error: browsers give it only to secure contexts (https, localhost). */
export function subtle(): SubtleCrypto {
  const s = (globalThis as { crypto?: Crypto }).crypto?.subtle;
  if (!s) throw new Error('a room secret needs WebCrypto, which this page does not have: open it over https or on localhost');
  return s;
}

export async function roomKeyBytes(room: string, secret: string, rounds = PBKDF2_ROUNDS): Promise<RoomKeyBytes> {
  const s = subtle();
  const base = await s.importKey('raw', utf8(secret), 'PBKDF2', false, ['deriveBits']);
  const params = { name: 'PBKDF2', hash: 'SHA-256', salt: utf8(SALT_PREFIX + room), iterations: rounds };
  const master = new Uint8Array(await s.deriveBits(params, base, 256));
  const expand = (info: string, length: number) => hkdf(sha256, master, undefined, utf8(info), length);
  const keys = { roomId: ROOM_ID_PREFIX + bytesToHex(expand(INFO.roomId, 16)), signal: expand(INFO.signal, 32), auth: expand(INFO.auth, 32) };
  master.fill(0);
  return keys;
}

export async function deriveRoomKeys(room: string, secret: string, rounds = PBKDF2_ROUNDS): Promise<RoomKeys> {
  const bytes = await roomKeyBytes(room, secret, rounds);
  const signal = await subtle().importKey('raw', bytes.signal as Uint8Array<ArrayBuffer>, 'AES-GCM', false, ['encrypt', 'decrypt']);
  bytes.signal.fill(0);
  return { roomId: bytes.roomId, signal, auth: bytes.auth };
}
