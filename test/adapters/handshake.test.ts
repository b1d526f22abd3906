// The peer handshake as a pure state machine, with fixed vectors: the transcript and a proof checked
// against WebCrypto's HMAC; two honest sides authenticate; a wrong secret, a wrong fingerprint (a
// server that swapped one to sit in the middle), a replayed or reflected proof, frames out of order
// and garbage all fail. Silence is the transport's deadline (webrtc-secret.test.ts).

import { bytesToHex } from '@noble/hashes/utils.js';
import { describe, expect, it } from 'vitest';
import { toBase64url } from '../../src/adapters/secret/base64';
import { descriptionSdp, sdpFingerprint } from '../../src/adapters/secret/fingerprint';
import { Handshake, transcript, type HandshakeParams, type Step } from '../../src/adapters/secret/handshake';

const KEY = new Uint8Array(32).fill(7);
const FP_I = 'sha-256 11:22:33:44:55:66:77:88:99:aa:bb:cc:dd:ee:ff:00:11:22:33:44:55:66:77:88:99:aa:bb:cc:dd:ee:ff:00';
const FP_A = 'sha-256 aa:bb:cc:dd:ee:ff:00:11:22:33:44:55:66:77:88:99:aa:bb:cc:dd:ee:ff:00:11:22:33:44:55:66:77:88:99';
const NONCE_I = new Uint8Array(16).fill(1);
const NONCE_A = new Uint8Array(16).fill(2);

function sides(over: { i?: Partial<HandshakeParams>; a?: Partial<HandshakeParams> } = {}) {
  const i = new Handshake({ key: KEY, role: 'initiator', self: 'n-a', peer: 'n-b', localFingerprint: FP_I, remoteFingerprint: FP_A, nonce: NONCE_I, ...over.i });
  const a = new Handshake({ key: KEY, role: 'answerer', self: 'n-b', peer: 'n-a', localFingerprint: FP_A, remoteFingerprint: FP_I, nonce: NONCE_A, ...over.a });
  return { i, a };
}

/** Runs both sides to the end, delivering each side's frames to the other in order; returns outcomes and the frames. */
function run(i: Handshake, a: Handshake) {
  const toA: string[] = [...i.start().send];
  const toI: string[] = [...a.start().send];
  const outcome: { i?: Step['outcome']; a?: Step['outcome'] } = {};
  const frames = { i: [...toA], a: [...toI] };
  while (toA.length || toI.length) {
    const f = toA.shift();
    if (f !== undefined && !outcome.a) {
      const s = a.receive(f);
      toI.push(...s.send);
      frames.a.push(...s.send);
      outcome.a ??= s.outcome;
    }
    const g = toI.shift();
    if (g !== undefined && !outcome.i) {
      const s = i.receive(g);
      toA.push(...s.send);
      frames.i.push(...s.send);
      outcome.i ??= s.outcome;
    }
  }
  return { outcome, frames };
}

describe('handshake transcript and proof (fixed vectors)', () => {
  const params = { role: 'initiator' as const, self: 'n-a', peer: 'n-b', localFingerprint: FP_I, remoteFingerprint: FP_A, localNonce: NONCE_I, remoteNonce: NONCE_A };

  it('orders the transcript by role, whichever side computes it', () => {
    const want = ['dynamo-auth/v1', 'initiator', 'n-a', 'n-b', FP_I, FP_A, '01'.repeat(16), '02'.repeat(16)].join('\n');
    expect(transcript('initiator', params)).toBe(want);
    const fromAnswerer = { role: 'answerer' as const, self: 'n-b', peer: 'n-a', localFingerprint: FP_A, remoteFingerprint: FP_I, localNonce: NONCE_A, remoteNonce: NONCE_I };
    expect(transcript('initiator', fromAnswerer)).toBe(want);
  });

  it('sends the fixed hello and proof, the proof being WebCrypto\'s HMAC-SHA256 of the transcript', async () => {
    const { i, a } = sides();
    const { outcome, frames } = run(i, a);
    expect(outcome).toEqual({ i: 'authenticated', a: 'authenticated' });
    expect(frames.i[0]).toBe('{"t":"hello","n":"AQEBAQEBAQEBAQEBAQEBAQ"}');
    const key = await crypto.subtle.importKey('raw', KEY, { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
    const mac = new Uint8Array(await crypto.subtle.sign('HMAC', key, new TextEncoder().encode(transcript('initiator', params))));
    expect(frames.i[1]).toBe(JSON.stringify({ t: 'proof', m: toBase64url(mac) }));
    expect(bytesToHex(mac)).toBe('a6728360c097e5fee2b0bd2d94ccf6957792aeb4e9de255c812bb9bd09438e32');
  });
});

describe('handshake outcomes', () => {
  it('fails both ways with a wrong secret', () => {
    const { i, a } = sides({ a: { key: new Uint8Array(32).fill(8) } });
    expect(run(i, a).outcome).toEqual({ i: 'bad-proof', a: 'bad-proof' });
  });

  it('fails when the two sides saw different fingerprints (a rewritten offer or answer)', () => {
    const mallory = FP_A.replace('aa:bb', 'de:ad');
    // The answerer's SDP was swapped on its way to the initiator: the initiator's DTLS talks to mallory.
    const { i, a } = sides({ i: { remoteFingerprint: mallory } });
    expect(run(i, a).outcome).toEqual({ i: 'bad-proof', a: 'bad-proof' });
    const other = sides({ a: { remoteFingerprint: FP_I.replace('11:22', '00:00') } });
    expect(run(other.i, other.a).outcome).toEqual({ i: 'bad-proof', a: 'bad-proof' });
  });

  it('fails on a replayed proof: a recorded session played against a fresh nonce', () => {
    const old = run(...Object.values(sides()) as [Handshake, Handshake]).frames.i;
    // The same initiator frames, replayed to an answerer that picked a new nonce.
    const { a } = sides({ a: { nonce: new Uint8Array(16).fill(9) } });
    a.start();
    expect(a.receive(old[0]!).send).toHaveLength(1);
    expect(a.receive(old[1]!).outcome).toBe('bad-proof');
  });

  it('fails on a reflection: its own hello, or its own proof, sent back', () => {
    const { i } = sides();
    const [hello] = i.start().send;
    expect(i.receive(hello!).outcome).toBe('bad-frame');
    // Its own proof reflected: the other side's role is what is checked.
    const fresh = sides();
    const h = fresh.a.start().send[0]!;
    fresh.i.start();
    const [proof] = fresh.i.receive(h).send;
    expect(fresh.i.receive(proof!).outcome).toBe('bad-proof');
  });

  it('fails on frames out of order, repeated, malformed or oversize, and takes nothing after the end', () => {
    const hello = JSON.stringify({ t: 'hello', n: toBase64url(NONCE_A) });
    const bad = [
      JSON.stringify({ t: 'proof', m: 'A'.repeat(43) }), // a proof before any hello
      'not json',
      '[]',
      JSON.stringify({ t: 'hello', n: 'short' }),
      JSON.stringify({ t: 'hello', n: toBase64url(new Uint8Array(32)) }),
      JSON.stringify({ t: 'other' }),
      JSON.stringify({ t: 'hello', n: toBase64url(NONCE_A), pad: 'x'.repeat(300) }),
    ];
    for (const f of bad) {
      const { i } = sides();
      i.start();
      expect(i.receive(f)).toEqual({ send: [], outcome: 'bad-frame' });
      expect(i.receive(hello)).toEqual({ send: [] });
    }
    const { i } = sides();
    i.start();
    expect(i.receive(hello).send).toHaveLength(1);
    expect(i.receive(hello).outcome).toBe('bad-frame');
  });
});

describe('DTLS fingerprints from SDP', () => {
  const sdp = (lines: string[]) => ['v=0', 'o=- 1 2 IN IP4 127.0.0.1', ...lines, 'm=application 9 UDP/DTLS/SCTP webrtc-datachannel'].join('\r\n');
  /** As browsers write them: upper-case hex. */
  const line = (fp: string) => `a=fingerprint:sha-256 ${fp.split(' ')[1]!.toUpperCase()}`;

  it('reads, lowercases, deduplicates and sorts them', () => {
    expect(sdpFingerprint(sdp([line(FP_A), line(FP_I), line(FP_A)]))).toBe(`${FP_I},${FP_A}`);
    expect(descriptionSdp({ type: 'offer', sdp: 'x' })).toBe('x');
    expect(descriptionSdp({ type: 'candidate', candidate: {} })).toBeUndefined();
  });

  it('gives nothing for an SDP without one or with a malformed one', () => {
    expect(sdpFingerprint(sdp([]))).toBeUndefined();
    expect(sdpFingerprint(sdp(['a=fingerprint:sha-256 zz:11']))).toBeUndefined();
    expect(sdpFingerprint(sdp([line(FP_A), 'a=fingerprint:sha-256 11\na=x']))).toBeUndefined();
    expect(sdpFingerprint(42)).toBeUndefined();
  });
});
