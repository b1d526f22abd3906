// ICE configuration on the node side: validation and bounds of iceServers/iceTransportPolicy, the
// page's `?ice=` (same-site path or explicit http(s) URL) versus the signaling server's /ice.json, and
// dynamo-node's `--ice FILE|URL`.

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { replicaIceConfig } from '../../src/apps/replica/ice';
import { ValidationError } from '../../src/core/errors';
import { ICE_LIMITS, iceUrlOf, pageIceConfig, pageIceUrl, parseIceConfig, parseIceText, type Fetcher } from '../../src/runtime/ice';
import { resolveOptions } from '../../src/runtime/options';

const turn = { urls: 'turn:10.0.0.1:3478?transport=udp', username: '1800000000:ab', credential: 'c2VjcmV0' };

describe('ICE config validation', () => {
  it('accepts stun:/turn: servers, copies them with urls as a list, drops unknown fields', () => {
    const cfg = parseIceConfig({ iceServers: [{ urls: 'stun:h:3478', extra: 1 }, turn], iceTransportPolicy: 'relay' });
    expect(cfg).toEqual({ iceServers: [{ urls: ['stun:h:3478'] }, { ...turn, urls: [turn.urls] }], iceTransportPolicy: 'relay' });
    expect(parseIceConfig({})).toEqual({ iceServers: [], iceTransportPolicy: 'all' });
  });

  it('refuses other schemes, wrong types, and anything over its bound, with a ValidationError', () => {
    const bad: unknown[] = [
      null,
      [],
      { iceServers: 'stun:h' },
      { iceServers: [{ urls: 'http://h' }] },
      { iceServers: [{ urls: 'javascript:alert(1)' }] },
      { iceServers: [{ urls: [] }] },
      { iceServers: [{ urls: 'turn:h', username: 7 }] },
      { iceServers: [{ urls: 'turn:h', credential: 'x'.repeat(ICE_LIMITS.credentialChars + 1) }] },
      { iceServers: [{ urls: 'turn:' + 'h'.repeat(ICE_LIMITS.urlChars) }] },
      { iceServers: [{ urls: Array(ICE_LIMITS.urlsPerServer + 1).fill('stun:h') }] },
      { iceServers: Array(ICE_LIMITS.servers + 1).fill({ urls: 'stun:h' }) },
      { iceServers: [], iceTransportPolicy: 'none' },
    ];
    for (const doc of bad) expect(() => parseIceConfig(doc), JSON.stringify(doc)?.slice(0, 80)).toThrow(ValidationError);
    expect(() => parseIceText('{', 'x')).toThrow(/not valid JSON/);
    expect(() => parseIceText(' '.repeat(ICE_LIMITS.bytes + 1), 'x')).toThrow(/over/);
  });

  it('is checked by startNode options, which default to no servers and policy all', () => {
    const base = { room: 'r', signalingUrl: 'ws://x/signal' };
    expect(resolveOptions(base)).toMatchObject({ iceServers: [], iceTransportPolicy: 'all' });
    expect(resolveOptions({ ...base, iceServers: [turn], iceTransportPolicy: 'relay' })).toMatchObject({ iceServers: [{ ...turn, urls: [turn.urls] }], iceTransportPolicy: 'relay' });
    expect(() => resolveOptions({ ...base, iceServers: [{ urls: 'ftp://x' }] })).toThrow(ValidationError);
    expect(() => resolveOptions({ ...base, iceTransportPolicy: 'any' as 'all' })).toThrow(ValidationError);
  });
});

/** A fetcher that answers from a table and records what it was asked. */
function fakeFetch(table: Record<string, { status: number; body: string } | Error>): Fetcher & { asked: string[] } {
  const asked: string[] = [];
  const f = async (url: string) => {
    asked.push(url);
    const r = table[url];
    if (r === undefined) throw new TypeError('fetch failed');
    if (r instanceof Error) throw r;
    return { ok: r.status < 300, status: r.status, text: async () => r.body };
  };
  return Object.assign(f, { asked });
}

describe("a page's ICE config", () => {
  const page = (search: string) => ({ search, href: `https://app.example/cart/${search}` });
  const doc = JSON.stringify({ iceServers: [turn] });

  it('resolves ?ice= against the page, and refuses non-http schemes', () => {
    expect(pageIceUrl('/turn.json', 'https://app.example/x/?ice=/turn.json')).toBe('https://app.example/turn.json');
    expect(pageIceUrl('https://ice.example/c.json', 'https://app.example/')).toBe('https://ice.example/c.json');
    for (const p of ['javascript:alert(1)', 'data:application/json,{}', 'file:///etc/passwd', 'x'.repeat(3000)]) {
      expect(() => pageIceUrl(p, 'https://app.example/')).toThrow(ValidationError);
    }
  });

  it('derives /ice.json from the signaling URL (wss -> https)', () => {
    expect(iceUrlOf('wss://sig.example:8443/signal?x=1')).toBe('https://sig.example:8443/ice.json');
    expect(iceUrlOf('ws://127.0.0.1:8080/signal')).toBe('http://127.0.0.1:8080/ice.json');
  });

  it('uses ?ice= when given, and any failure of it is the error the page shows', async () => {
    const f = fakeFetch({ 'https://app.example/turn.json': { status: 200, body: doc } });
    expect((await pageIceConfig(page('?ice=/turn.json'), 'wss://app.example/signal', f)).iceServers).toHaveLength(1);
    expect(f.asked).toEqual(['https://app.example/turn.json']);
    await expect(pageIceConfig(page('?ice=/missing.json'), 'wss://app.example/signal', f)).rejects.toThrow(/could not be fetched/);
    const g = fakeFetch({ 'https://app.example/t.json': { status: 404, body: '' }, 'https://app.example/b.json': { status: 200, body: '{"iceServers":[{"urls":"http://x"}]}' } });
    await expect(pageIceConfig(page('?ice=/t.json'), 'wss://app.example/signal', g)).rejects.toThrow(/HTTP 404/);
    await expect(pageIceConfig(page('?ice=/b.json'), 'wss://app.example/signal', g)).rejects.toThrow(ValidationError);
  });

  it("falls back to no servers when the signaling server's /ice.json is missing or broken", async () => {
    const f = fakeFetch({ 'https://sig.example/ice.json': { status: 200, body: doc } });
    expect((await pageIceConfig(page(''), 'wss://sig.example/signal', f)).iceServers).toHaveLength(1);
    for (const answer of [{ status: 404, body: '' }, { status: 200, body: 'not json' }, new TypeError('offline')]) {
      const g = fakeFetch({ 'https://sig.example/ice.json': answer });
      expect(await pageIceConfig(page(''), 'wss://sig.example/signal', g)).toEqual({ iceServers: [], iceTransportPolicy: 'all' });
    }
  });
});

describe('dynamo-node --ice', () => {
  const dir = mkdtempSync(join(tmpdir(), 'ice-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('reads a file, bounded and validated', async () => {
    const good = join(dir, 'good.json');
    writeFileSync(good, JSON.stringify({ iceServers: [turn], iceTransportPolicy: 'relay' }));
    expect(await replicaIceConfig(good, 'ws://127.0.0.1:1/signal')).toMatchObject({ iceTransportPolicy: 'relay' });
    const big = join(dir, 'big.json');
    writeFileSync(big, ' '.repeat(ICE_LIMITS.bytes + 10));
    await expect(replicaIceConfig(big, 'ws://127.0.0.1:1/signal')).rejects.toThrow(/over/);
    await expect(replicaIceConfig(join(dir, 'none.json'), 'ws://127.0.0.1:1/signal')).rejects.toThrow(/cannot be read/);
  });

  it('without --ice asks the signaling server, and runs with none when it cannot', async () => {
    expect(await replicaIceConfig(undefined, 'ws://127.0.0.1:1/signal')).toEqual({ iceServers: [], iceTransportPolicy: 'all' });
  });
});
