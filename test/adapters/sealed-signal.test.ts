// Sealed signaling payloads with fixed vectors: a known ciphertext opens; a tampered one, one opened
// on another route (re-addressed, other sender, other kind), under another key, or not sealed at all
// does not. And the sealing wrapper: order kept per peer, refusals counted, nothing refused delivered.

import { describe, expect, it } from 'vitest';
import { deriveRoomKeys } from '../../src/adapters/secret/room-key';
import { open, seal, type Sealed } from '../../src/adapters/secret/sealed-signal';
import { SealedSignaling } from '../../src/adapters/webrtc/sealed-signaling';
import type { SignalingClient } from '../../src/adapters/webrtc/signaling-client';
import { Listeners } from '../../src/ports/emitter';
import { until } from '../support/wait';

const route = { from: 'n-alice', to: 'n-bob', kind: 'signal' };
const payload = { s: 'k3j9x2aa', d: { type: 'offer', sdp: 'v=0\r\na=fingerprint:sha-256 AB:CD\r\n' } };
const IV = new Uint8Array([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
/** seal(keys of ('demo', 'hunter2') at 1,000 rounds, route, payload, IV): fixed. */
const KNOWN: Sealed = { v: 1, iv: 'AAECAwQFBgcICQoL', ct: 'V0Z9N8TwyYjdsyBfoBLgqT4uv4x16t94AFIWVpJqxDxx-U_g8UG3_fn-IBuiRCoyg8YPQ9QWBMXkPkldzd8d3osn-DIYz3ZDmTzcJWz972SQ5QUT_k3qJW5wItx34tvXJeTQvA' };

const keys = () => deriveRoomKeys('demo', 'hunter2', 1000);

function flip(text: string, at: number): string {
  const c = text[at] === 'A' ? 'B' : 'A';
  return text.slice(0, at) + c + text.slice(at + 1);
}

describe('sealed signal payloads', () => {
  it('seals to the fixed vector and opens it', async () => {
    const { signal } = await keys();
    expect(await seal(signal, route, payload, IV)).toEqual(KNOWN);
    expect(await open(signal, route, KNOWN)).toEqual(payload);
  });

  it('uses a fresh IV per message', async () => {
    const { signal } = await keys();
    const a = await seal(signal, route, payload);
    const b = await seal(signal, route, payload);
    expect(a.iv).not.toBe(b.iv);
    expect(a.ct).not.toBe(b.ct);
    expect(await open(signal, route, b)).toEqual(payload);
  });

  it('refuses a tampered ciphertext, tag or IV', async () => {
    const { signal } = await keys();
    for (const at of [0, 10, KNOWN.ct.length - 1]) expect(await open(signal, route, { ...KNOWN, ct: flip(KNOWN.ct, at) })).toBeUndefined();
    expect(await open(signal, route, { ...KNOWN, iv: flip(KNOWN.iv, 3) })).toBeUndefined();
    expect(await open(signal, route, { ...KNOWN, ct: KNOWN.ct.slice(0, -4) })).toBeUndefined();
  });

  it('refuses it on another route: re-addressed, from another sender, as another kind', async () => {
    const { signal } = await keys();
    expect(await open(signal, { ...route, to: 'n-carol' }, KNOWN)).toBeUndefined();
    expect(await open(signal, { ...route, from: 'n-mallory' }, KNOWN)).toBeUndefined();
    expect(await open(signal, { from: route.to, to: route.from, kind: 'signal' }, KNOWN)).toBeUndefined();
    expect(await open(signal, { ...route, kind: 'other' }, KNOWN)).toBeUndefined();
  });

  it('refuses it under another secret, and anything not sealed', async () => {
    const other = await deriveRoomKeys('demo', 'hunter3', 1000);
    expect(await open(other.signal, route, KNOWN)).toBeUndefined();
    const { signal } = await keys();
    for (const bad of [payload, payload.d, null, 'x', 42, [], { ...KNOWN, v: 2 }, { ...KNOWN, extra: 1 }, { ...KNOWN, ct: 'not base64!' }, { ...KNOWN, ct: 'A'.repeat(200_000) }]) {
      expect(await open(signal, route, bad)).toBeUndefined();
    }
  });
});

/** A stand-in SignalingClient: what the wrapper sends, and a way to hand it signals. */
function fakeClient(peer: string) {
  const signals = new Listeners<[string, unknown]>();
  const sent: Array<[string, unknown]> = [];
  const client = {
    peer,
    peers: () => [],
    has: () => true,
    signalsRejected: 0,
    sendSignal: (to: string, data: unknown) => (sent.push([to, data]), true),
    onPeerJoined: () => () => {},
    onPeerLeft: () => () => {},
    onSignal: (fn: (from: string, data: unknown) => void) => signals.add(fn),
    close: () => {},
  };
  return { client: client as unknown as SignalingClient, sent, deliver: (from: string, data: unknown) => signals.emit(from, data) };
}

describe('SealedSignaling', () => {
  it('sends only ciphertext, keeps each peer\'s order both ways, and delivers what opens', async () => {
    const { signal } = await keys();
    const a = fakeClient('n-alice');
    const b = fakeClient('n-bob');
    const sa = new SealedSignaling(a.client, signal);
    const sb = new SealedSignaling(b.client, signal);
    const got: unknown[] = [];
    sb.onSignal((from, d) => got.push([from, d]));
    const want = Array.from({ length: 50 }, (_, i) => ({ s: 'sess', d: { candidate: `c${i}` } }));
    for (const m of want) sa.sendSignal('n-bob', m);
    await until(() => a.sent.length === want.length, 5_000, 'sealed');
    for (const [, data] of a.sent) expect(JSON.stringify(data)).not.toContain('candidate');
    for (const [, data] of a.sent) b.deliver('n-alice', data);
    await until(() => got.length === want.length, 5_000, 'opened');
    expect(got).toEqual(want.map((m) => ['n-alice', m]));
    expect(sb.signalsRejected).toBe(0);
  });

  it('counts and drops a tampered, re-addressed or plaintext signal, and delivers the next good one', async () => {
    const { signal } = await keys();
    const b = fakeClient('n-bob');
    const sb = new SealedSignaling(b.client, signal);
    const got: unknown[] = [];
    sb.onSignal((from, d) => got.push([from, d]));
    b.deliver('n-alice', { ...KNOWN, ct: flip(KNOWN.ct, 5) });
    b.deliver('n-mallory', KNOWN); // sealed for alice -> bob, relayed as from mallory
    b.deliver('n-alice', payload); // a downgrade: the plaintext offer
    b.deliver('n-alice', KNOWN);
    await until(() => got.length === 1, 5_000, 'the good one');
    expect(got).toEqual([['n-alice', payload]]);
    expect(sb.signalsRejected).toBe(3);
  });
});
