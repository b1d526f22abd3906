// Peer authentication in a protected room (DESIGN.md, "Trust"): once the data channel is open, and
// before any store message, each side proves it holds the room secret, bound to this WebRTC session.
//
//   each side:                 hello { t: 'hello', n: base64url(16 fresh random bytes) }
//   on the other's hello:      proof { t: 'proof', m: base64url(HMAC-SHA256(auth key, transcript(own role))) }
//   on the other's proof:      check it against transcript(the other's role) → authenticated
//
//   transcript(role) = 'dynamo-auth/v1' \n role \n initiator id \n answerer id
//                      \n initiator's DTLS fingerprints \n answerer's DTLS fingerprints
//                      \n hex(initiator nonce) \n hex(answerer nonce)
//
// Why each part: the fingerprints are those of the SDP each side sent and received, which DTLS held
// the certificates to; a signaling server that swapped one to sit in the middle leaves the two sides
// with different transcripts, so no proof it forwards checks out. Fresh nonces from both sides make
// a recorded proof worthless in any later session. The prover's role makes a proof reflected back to
// its sender fail. Node ids bind who is talking. Ids match the signaling id pattern and fingerprints
// fingerprint.ts's spelling, neither holds '\n', so the transcript has one reading.
//
// Pure and synchronous (no clock, no randomness: the nonce comes in), so fixed vectors test it; the
// transport (webrtc/transport.ts) writes its frames and owns the deadline.

import { hmac } from '@noble/hashes/hmac.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex } from '@noble/hashes/utils.js';
import { fromBase64url, toBase64url } from './base64';

export type Role = 'initiator' | 'answerer';
export const NONCE_BYTES = 16;
const MAC_BYTES = 32;
/** A genuine frame is under 80 characters. */
const MAX_FRAME_CHARS = 256;

export interface HandshakeParams {
  /** The room's auth key (room-key.ts). */
  key: Uint8Array;
  role: Role;
  self: string;
  peer: string;
  /** DTLS fingerprints (fingerprint.ts) of the SDP this side sent, and of the one it received. */
  localFingerprint: string;
  remoteFingerprint: string;
  /** 16 fresh random bytes, never used before. */
  nonce: Uint8Array;
}

/** 'bad-frame': not a handshake frame, or out of order; 'bad-proof': a proof that does not check out. */
export type AuthFailure = 'bad-frame' | 'bad-proof';

export interface Step {
  /** Frames to send, in order. */
  send: string[];
  /** Set once the handshake is over: then no further input is taken. */
  outcome?: 'authenticated' | AuthFailure;
}

export function transcript(prover: Role, p: Omit<HandshakeParams, 'key' | 'nonce'> & { localNonce: Uint8Array; remoteNonce: Uint8Array }): string {
  const mine = p.role === 'initiator';
  const ids = mine ? [p.self, p.peer] : [p.peer, p.self];
  const fps = mine ? [p.localFingerprint, p.remoteFingerprint] : [p.remoteFingerprint, p.localFingerprint];
  const nonces = (mine ? [p.localNonce, p.remoteNonce] : [p.remoteNonce, p.localNonce]).map(bytesToHex);
  return ['dynamo-auth/v1', prover, ...ids, ...fps, ...nonces].join('\n');
}

export class Handshake {
  private remoteNonce: Uint8Array | undefined;
  private over = false;

  constructor(private readonly p: HandshakeParams) {}

  /** The hello to send as soon as the channel opens. */
  start(): Step {
    return { send: [JSON.stringify({ t: 'hello', n: toBase64url(this.p.nonce) })] };
  }

  receive(frame: string): Step {
    if (this.over) return { send: [] };
    const msg = parse(frame);
    if (msg?.t === 'hello' && this.remoteNonce === undefined) return this.onHello(msg.n);
    if (msg?.t === 'proof' && this.remoteNonce !== undefined) return this.finish(this.check(msg.m) ? 'authenticated' : 'bad-proof');
    return this.finish('bad-frame');
  }

  private onHello(n: unknown): Step {
    const nonce = fromBase64url(n, NONCE_BYTES);
    // Our own nonce coming back is a reflection, never a peer's fresh one.
    if (!nonce || nonce.length !== NONCE_BYTES || equal(nonce, this.p.nonce)) return this.finish('bad-frame');
    this.remoteNonce = nonce;
    return { send: [JSON.stringify({ t: 'proof', m: toBase64url(this.mac(this.p.role)) })] };
  }

  private check(m: unknown): boolean {
    const got = fromBase64url(m, MAC_BYTES);
    return got !== undefined && got.length === MAC_BYTES && equal(got, this.mac(this.p.role === 'initiator' ? 'answerer' : 'initiator'));
  }

  private mac(prover: Role): Uint8Array {
    const text = transcript(prover, { ...this.p, localNonce: this.p.nonce, remoteNonce: this.remoteNonce as Uint8Array });
    return hmac(sha256, this.p.key, new TextEncoder().encode(text));
  }

  private finish(outcome: NonNullable<Step['outcome']>): Step {
    this.over = true;
    return { send: [], outcome };
  }
}

function parse(frame: string): { t?: unknown; n?: unknown; m?: unknown } | undefined {
  if (frame.length > MAX_FRAME_CHARS) return undefined;
  try {
    const x = JSON.parse(frame) as unknown;
    return typeof x === 'object' && x !== null && !Array.isArray(x) ? (x as { t?: unknown }) : undefined;
  } catch {
    return undefined;
  }
}

/** Compares in time independent of where the first difference is. */
function equal(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= (a[i] as number) ^ (b[i] as number);
  return diff === 0;
}
