// HTTP side of the signaling server: dist/ files, content types, traversal, /healthz, upgrade paths.

import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { startSignalingServer, type SignalingServer } from '../../signaling/server';
import { TestClient } from './helpers';

let tmp: string;
let s: SignalingServer;

/** A raw request, because fetch normalises `..` away before it reaches the server. */
function raw(method: string, rawPath: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const u = new URL(s.url);
    const req = request({ host: u.hostname, port: u.port, method, path: rawPath }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

beforeAll(async () => {
  tmp = await mkdtemp(path.join(tmpdir(), 'signaling-static-'));
  const dist = path.join(tmp, 'dist');
  await mkdir(path.join(dist, 'assets'), { recursive: true });
  await writeFile(path.join(tmp, 'secret.txt'), 'TOP SECRET');
  await writeFile(path.join(tmp, 'dist-evil.txt'), 'SIBLING SECRET');
  const files: Record<string, string> = {
    'index.html': '<!doctype html><title>cart</title>',
    'ring.html': '<!doctype html><title>ring</title>',
    'assets/app.js': 'export {}',
    'assets/app.js.map': '{}',
    'assets/style.css': 'body{}',
    'assets/icon.svg': '<svg/>',
    'assets/logo.png': 'png',
    'manifest.json': '{}',
    'favicon.ico': 'ico',
    'assets/mod.wasm': 'wasm',
    'assets/blob.bin': 'bin',
    'assets/index.html': 'nested index',
  };
  for (const [name, body] of Object.entries(files)) await writeFile(path.join(dist, name), body);
  s = await startSignalingServer({ port: 0, host: '127.0.0.1', staticDir: dist });
});
afterAll(async () => {
  await s.close();
  await rm(tmp, { recursive: true, force: true });
});

describe('static files', () => {
  it('serves / as index.html and other pages by name', async () => {
    const root = await fetch(`${s.url}/`);
    expect(root.status).toBe(200);
    expect(root.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(await root.text()).toContain('cart');
    expect(await (await fetch(`${s.url}/ring.html`)).text()).toContain('ring');
    expect(await (await fetch(`${s.url}/assets/`)).text()).toBe('nested index');
    expect(await (await fetch(`${s.url}/ring.html?x=1#frag`)).text()).toContain('ring');
  });

  it.each([
    ['/assets/app.js', 'text/javascript; charset=utf-8'],
    ['/assets/app.js.map', 'application/json; charset=utf-8'],
    ['/assets/style.css', 'text/css; charset=utf-8'],
    ['/assets/icon.svg', 'image/svg+xml'],
    ['/assets/logo.png', 'image/png'],
    ['/manifest.json', 'application/json; charset=utf-8'],
    ['/favicon.ico', 'image/x-icon'],
    ['/assets/mod.wasm', 'application/wasm'],
    ['/assets/blob.bin', 'application/octet-stream'],
  ])('%s is served as %s', async (p, type) => {
    const res = await fetch(s.url + p);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe(type);
    await res.arrayBuffer();
  });

  it('HEAD gives headers without a body; other methods get 405', async () => {
    const head = await fetch(`${s.url}/index.html`, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(head.headers.get('content-length')).toBe(String('<!doctype html><title>cart</title>'.length));
    expect(await head.text()).toBe('');
    expect((await fetch(`${s.url}/`, { method: 'POST', body: 'x' })).status).toBe(405);
  });

  it('404s missing files', async () => {
    expect((await fetch(`${s.url}/nope.js`)).status).toBe(404);
    expect((await fetch(`${s.url}/assets/nope/`)).status).toBe(404);
  });

  it.each([
    '/../secret.txt',
    '/../../../../../../etc/passwd',
    '/assets/../../secret.txt',
    '/%2e%2e/secret.txt',
    '/..%2fsecret.txt',
    '/%2e%2e%2fsecret.txt',
    '/..%5csecret.txt',
    '/../dist-evil.txt',
    '/%2e%2e/dist-evil.txt',
    '/secret.txt%00.html',
    '/%E0%A4%A',
  ])('does not escape the root: %s', async (p) => {
    const res = await raw('GET', p);
    expect(res.status).toBeGreaterThanOrEqual(400);
    expect(res.body).not.toContain('SECRET');
    expect(res.body).not.toContain('root:');
  });
});

describe('healthz and upgrades', () => {
  it('GET /healthz reports rooms and peers', async () => {
    const body = async () => {
      const res = await fetch(`${s.url}/healthz`);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toContain('application/json');
      return res.json();
    };
    expect(await body()).toEqual({ ok: true, rooms: 0, peers: 0 });
    const a = await TestClient.joined(s.url, 'h1', 'a');
    const b = await TestClient.joined(s.url, 'h1', 'b');
    const c = await TestClient.joined(s.url, 'h2', 'c');
    expect(await body()).toEqual({ ok: true, rooms: 2, peers: 3 });
    await c.close();
    await b.close();
    // a observes b's departure, so the server has processed both closes (c's came first).
    await a.next((f) => f.type === 'peer-left');
    expect(await body()).toEqual({ ok: true, rooms: 1, peers: 1 });
    await a.close();
  });

  it('accepts WebSocket upgrades only at /signal', async () => {
    const ws = new WebSocket(s.url.replace('http', 'ws') + '/other');
    const status = await new Promise<number>((resolve, reject) => {
      ws.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
      ws.on('error', () => resolve(-1));
      ws.on('open', () => reject(new Error('upgrade at /other should be refused')));
    });
    expect(status === 404 || status === -1).toBe(true);
  });
});

describe('without staticDir', () => {
  it('404s everything except /healthz', async () => {
    const bare = await startSignalingServer({ port: 0, host: '127.0.0.1' });
    try {
      expect((await fetch(`${bare.url}/`)).status).toBe(404);
      expect((await fetch(`${bare.url}/healthz`)).status).toBe(200);
    } finally {
      await bare.close();
    }
  });
});
