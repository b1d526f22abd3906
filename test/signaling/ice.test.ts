// /ice.json: STUN/TURN settings from the environment, and TURN credentials minted per request with
// coturn's REST-API scheme (username `expiry:id`, credential base64(HMAC-SHA1(secret, username))).

import { afterEach, describe, expect, it } from 'vitest';
import { iceDocument, iceFromEnv, turnCredential } from '../../signaling/ice';
import { startSignalingServer, type SignalingServer } from '../../signaling/server';

describe('TURN credentials', () => {
  it('match coturn REST-API credentials (vector from openssl dgst -sha1 -hmac)', () => {
    // printf '%s' '1800000000:abc' | openssl dgst -sha1 -hmac north -binary | base64
    expect(turnCredential('north', 600, 1_799_999_400_000, 'abc')).toEqual({ username: '1800000000:abc', credential: '8mE1mCdEjNur0DF8ID/k1yDKnFY=' });
  });

  it('are fresh per document and never contain the secret', () => {
    const s = iceFromEnv({ TURN_URLS: 'turn:10.1.0.1:3478', TURN_SECRET: 'long-lived-secret', STUN_URLS: 'stun:10.1.0.1:3478', TURN_TTL: '120' });
    const a = iceDocument(s, 1_000_000);
    const b = iceDocument(s, 1_000_000);
    expect(a.iceServers[0]).toEqual({ urls: ['stun:10.1.0.1:3478'] });
    expect(a.iceServers[1]!.username).toMatch(/^1120:[0-9a-f]{16}$/);
    expect(a.iceServers[1]!.username).not.toBe(b.iceServers[1]!.username);
    expect(JSON.stringify(a)).not.toContain('long-lived-secret');
  });
});

describe('ICE settings from the environment', () => {
  it('are empty with no variables', () => {
    expect(iceDocument(iceFromEnv({}), 0)).toEqual({ iceServers: [] });
  });

  it('refuse what is wrong, naming the variable', () => {
    const cases: Array<[Record<string, string>, RegExp]> = [
      [{ TURN_URLS: 'turn:h' }, /TURN_SECRET/],
      [{ TURN_URLS: 'stun:h', TURN_SECRET: 's' }, /TURN_URLS/],
      [{ STUN_URLS: 'http://h' }, /STUN_URLS/],
      [{ STUN_URLS: Array(9).fill('stun:h').join(',') }, /STUN_URLS/],
      [{ TURN_TTL: '5' }, /TURN_TTL/],
      [{ TURN_TTL: 'soon' }, /TURN_TTL/],
      [{ ICE_TRANSPORT_POLICY: 'direct' }, /ICE_TRANSPORT_POLICY/],
    ];
    for (const [env, message] of cases) expect(() => iceFromEnv(env), JSON.stringify(env)).toThrow(message);
  });
});

describe('GET /ice.json', () => {
  let server: SignalingServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  it('serves no servers by default', async () => {
    server = await startSignalingServer({ port: 0, host: '127.0.0.1' });
    const res = await fetch(`${server.url}/ice.json`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ iceServers: [] });
  });

  it('mints credentials per request, uncacheable, expiring TURN_TTL after the request', async () => {
    const ice = iceFromEnv({ TURN_URLS: 'turn:127.0.0.1:3478?transport=udp', TURN_SECRET: 'north', TURN_TTL: '600', ICE_TRANSPORT_POLICY: 'relay' });
    server = await startSignalingServer({ port: 0, host: '127.0.0.1', ice, now: () => 1_799_999_400_000 });
    const one = await fetch(`${server.url}/ice.json`);
    expect(one.headers.get('cache-control')).toBe('no-store');
    expect(one.headers.get('content-type')).toMatch(/^application\/json/);
    const doc = (await one.json()) as { iceServers: Array<{ username: string }>; iceTransportPolicy: string };
    const again = (await (await fetch(`${server.url}/ice.json`)).json()) as typeof doc;
    expect(doc.iceTransportPolicy).toBe('relay');
    expect(doc.iceServers[0]!.username.startsWith('1800000000:')).toBe(true);
    expect(again.iceServers[0]!.username).not.toBe(doc.iceServers[0]!.username);
    expect((await fetch(`${server.url}/ice.json`, { method: 'POST' })).status).toBe(405);
  });
});
