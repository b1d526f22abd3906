// Rooms with a secret, in real tabs (issue 16; README, "Trust model"). Every tab here signals through
// a relay (relay.ts) that logs each frame, as a signaling server run by someone else would see them.
// Three tabs with the secret form a ring and serve; tabs without it, with a wrong one, or that know
// the derived room id but not the secret, never get in; the relay sees neither the room name, the
// secret nor any address; a relay that tampers with signals, or replays an old offer, connects no one.

import { expect, test, type BrowserContext, type Page } from '@playwright/test';
import { expectPeers, freshRoom, openTab } from './helpers';
import { startRelay, type Relay, type RelayFrame } from './relay';

const upstream = `ws://127.0.0.1:${process.env.E2E_PORT}/signal`;
const IPV4 = /\b(?:\d{1,3}\.){3}\d{1,3}\b/;
const IPV6 = /\b[0-9a-f]{1,4}(?::[0-9a-f]{0,4}){2,7}\b/i;

let relay: Relay | undefined;
test.afterEach(async () => {
  await relay?.close();
  relay = undefined;
});

const fragment = (secret: string) => `#secret=${encodeURIComponent(secret)}`;
const via = (r: Relay) => `&signal=${encodeURIComponent(r.url)}`;

function transportStats(page: Page) {
  return page.evaluate(() => window.dynamo!.stats().transport);
}

function memberIds(page: Page): Promise<string[]> {
  return page.evaluate(() => window.dynamo!.members().map((m) => m.id).sort());
}

async function ring(context: BrowserContext, room: string, secret: string, r: Relay, prefix: string): Promise<Page[]> {
  const tabs: Page[] = [];
  for (let i = 0; i < 3; i++) tabs.push(await openTab(context, room, `&node=${prefix}${i}${via(r)}`, fragment(secret)));
  for (const t of tabs) await expectPeers(t, 2);
  return tabs;
}

test('three tabs with the secret serve; no secret, a wrong one, or only the room id gets nobody in', async ({ context }) => {
  test.setTimeout(120_000); // eleven tabs in all, each deriving its keys; this machine is shared
  relay = await startRelay(upstream);
  const room = freshRoom('secret');
  const secret = `e2e ${room} s3cret`;
  const requests: string[] = [];
  context.on('request', (req) => requests.push(req.url()));
  const tabs = await ring(context, room, secret, relay, 's');
  const ids = ['s0', 's1', 's2'];
  await expect(tabs[0]!.locator('#room-line')).toHaveAttribute('data-protected', 'true');
  const written = await tabs[0]!.evaluate(() => window.dynamo!.put('vault', { gold: 1 }));
  expect(written.replicas).toBeGreaterThanOrEqual(2);
  for (const t of tabs) expect((await t.evaluate(() => window.dynamo!.get('vault'))).values).toEqual([{ gold: 1 }]);
  const roomId = await tabs[0]!.evaluate(() => window.dynamo!.room.id);

  // Same name without the secret; same name with a wrong secret; the derived id as an open room's name.
  const intruders = [
    await openTab(context, room, `&node=x0${via(relay)}`),
    await openTab(context, room, `&node=x1${via(relay)}`, fragment(`${secret}!`)),
    // 'i2' sorts before the ring's ids, so it is the one that offers: in plaintext, as an open room does.
    await openTab(context, roomId, `&node=i2${via(relay)}`),
  ];
  // The last one sits in the ring's signaling room: wait until the ring has refused its plaintext offers.
  await expect.poll(async () => (await Promise.all(tabs.map(transportStats))).some((s) => s.signalsRejected > 0), { timeout: 10_000 }).toBe(true);
  for (const x of intruders) {
    const seen = await x.evaluate(async () => {
      const d = window.dynamo!;
      const read = await d.get('vault');
      // Alone in a ring of its own: its write is kept by itself only and reaches no member.
      const put = await d.put('vault', { gold: 'stolen' });
      return { peers: d.transport.peers().length, members: d.members().length, read: read.values, replicas: put.replicas };
    });
    expect(seen).toEqual({ peers: 0, members: 1, read: [], replicas: 1 });
  }
  for (const t of tabs) {
    expect(await memberIds(t)).toEqual(ids);
    expect((await t.evaluate(() => window.dynamo!.get('vault', { r: 3 }))).values).toEqual([{ gold: 1 }]);
  }

  // What the relay saw of the protected room: its id and ciphertext, no name, secret or address.
  const joins = relay.log.filter((f) => f.dir === 'up' && f.text.includes('"join"') && f.text.includes(roomId));
  const ringConns = new Set(joins.filter((f) => !f.text.includes('"peer":"i2"')).map((f) => f.conn));
  expect(ringConns.size).toBe(3);
  // The intruder's own offers are its plaintext, not the ring's: leave them out.
  expectOpaque(relay.log.filter((f) => ringConns.has(f.conn) && !f.text.includes('"from":"i2"')), [room, secret, encodeURIComponent(secret)]);
  // The secret never left the browser in a request either (the fragment is not sent).
  expect(requests.length).toBeGreaterThan(0);
  for (const url of requests) expect(url).not.toContain('s3cret');

  // The console's invite link (this tab's id left out, the secret in the fragment) lets a fourth tab in.
  const invite = await copiedInvite(context, tabs[1]!);
  expect(invite).not.toContain('node=');
  expect(new URL(invite).hash).toBe(fragment(secret)); // percent-encoded, as the tabs were opened
  const fourth = await context.newPage();
  await fourth.goto(invite);
  await expectPeers(fourth, 3);
  expect((await fourth.evaluate(() => window.dynamo!.get('vault'))).values).toEqual([{ gold: 1 }]);

  // Control: the same relay does see an open room's name and addresses, so the checks above can fail.
  const openRoom = freshRoom('open');
  await openTab(context, openRoom, `&node=o0${via(relay)}`);
  const o1 = await openTab(context, openRoom, `&node=o1${via(relay)}`);
  await expectPeers(o1, 1);
  const openText = relay.log.map((f) => f.text).join('\n');
  expect(openText).toContain(openRoom);
  expect(openText).toMatch(/candidate/);
  expect(IPV4.test(openText) || IPV6.test(openText) || /\.local/.test(openText)).toBe(true);
});

/** Clicks "Copy invite link" and reads what it copied (or, without a clipboard, the link it showed instead). */
async function copiedInvite(context: BrowserContext, page: Page): Promise<string> {
  await context.grantPermissions(['clipboard-read', 'clipboard-write']);
  await page.locator('#copy-invite').click();
  await expect(page.locator('#invite-note')).not.toBeEmpty();
  if ((await page.locator('#invite-link').count()) > 0) return page.locator('#invite-link').inputValue();
  return page.evaluate(() => navigator.clipboard.readText());
}

/**
 * Neither `secrets` anywhere in the frames, nor an address or any SDP word outside the ciphertext
 * (random base64 would spell 'sdp' now and then).
 */
function expectOpaque(frames: RelayFrame[], secrets: string[]): void {
  expect(frames.filter((f) => f.text.includes('"signal"')).length).toBeGreaterThan(10);
  for (const f of frames) {
    for (const s of secrets) expect(f.text).not.toContain(s);
    const msg = JSON.parse(f.text) as { data?: { iv?: string; ct?: string } };
    if (msg.data && typeof msg.data === 'object') msg.data = { ...msg.data, iv: '', ct: '' };
    const clear = JSON.stringify(msg);
    expect(clear).not.toMatch(IPV4);
    expect(clear).not.toMatch(IPV6);
    expect(clear).not.toMatch(/candidate|sdp|fingerprint|\.local/i);
  }
}

test('a relay that tampers with the sealed signals connects no one', async ({ context }) => {
  const flip = (f: RelayFrame): string | undefined => {
    const msg = JSON.parse(f.text) as { type: string; data?: { ct?: string } };
    if (f.dir !== 'up' || msg.type !== 'signal' || typeof msg.data?.ct !== 'string') return f.text;
    const ct = msg.data.ct;
    msg.data.ct = ct.slice(0, 5) + (ct[5] === 'A' ? 'B' : 'A') + ct.slice(6);
    return JSON.stringify(msg);
  };
  relay = await startRelay(upstream, flip);
  const room = freshRoom('tamper');
  const secret = 'tamper secret';
  const a = await openTab(context, room, `&node=t0${via(relay)}`, fragment(secret));
  const b = await openTab(context, room, `&node=t1${via(relay)}`, fragment(secret));
  // t0 initiates; t1 refuses its offers; t0 gives up on each attempt and tries again.
  await expect.poll(async () => (await transportStats(b)).signalsRejected, { timeout: 15_000 }).toBeGreaterThan(0);
  await expect.poll(async () => (await transportStats(a)).connectTimeouts, { timeout: 15_000 }).toBeGreaterThan(0);
  for (const t of [a, b]) {
    const s = await transportStats(t);
    expect([s.linkUps, s.authenticated, s.messagesReceived]).toEqual([0, 0, 0]);
    expect(await memberIds(t)).toHaveLength(1);
  }
});

test('a relay that replays a live link\'s offer and answer cannot tear the link down', async ({ context }) => {
  relay = await startRelay(upstream);
  const room = freshRoom('replay-live');
  const secret = 'replay live secret';
  const a = await openTab(context, room, `&node=l0${via(relay)}`, fragment(secret));
  const b = await openTab(context, room, `&node=l1${via(relay)}`, fragment(secret));
  await expectPeers(b, 1);
  await expectPeers(a, 1);
  // Every signal each tab sent, played again on its own connection: the server relays them as genuine.
  const sent = relay.log.filter((f) => f.dir === 'up' && f.text.startsWith('{"type":"signal"'));
  expect(sent.length).toBeGreaterThan(2);
  for (const f of sent) relay.sendAs(f.conn, f.text);
  // The offer (to l1) and the answer (to l0) come back as replays; without the check l1 drops the live link.
  await expect.poll(async () => (await transportStats(b)).staleSignals, { timeout: 10_000 }).toBeGreaterThan(0);
  await expect.poll(async () => (await transportStats(a)).staleSignals, { timeout: 10_000 }).toBeGreaterThan(0);
  for (const t of [a, b]) {
    const s = await transportStats(t);
    expect([s.linkUps, s.linkDowns, s.authenticated]).toEqual([1, 0, 1]);
    expect(await t.evaluate(() => window.dynamo!.transport.peers().length)).toBe(1);
  }
  expect((await b.evaluate(() => window.dynamo!.put('still', 'linked'))).replicas).toBe(2);

  // A new link (new session); then the first session's frames again: an offer for a session l1 already answered.
  await a.evaluate(() => window.dynamo!.transport.disconnect('l1'));
  await expect.poll(async () => (await transportStats(b)).linkUps, { timeout: 15_000 }).toBe(2);
  await expectPeers(a, 1);
  const before = await transportStats(b);
  for (const f of sent) relay.sendAs(f.conn, f.text);
  await expect.poll(async () => (await transportStats(b)).staleSignals, { timeout: 10_000 }).toBeGreaterThan(before.staleSignals);
  const after = await transportStats(b);
  expect([after.linkUps, after.linkDowns]).toEqual([before.linkUps, before.linkDowns]);
  expect(await b.evaluate(() => window.dynamo!.transport.peers())).toEqual(['l0']);
});

test('a relay that replays an old session\'s offer to a new tab connects no one', async ({ browser }) => {
  relay = await startRelay(upstream);
  const room = freshRoom('replay');
  const secret = 'replay secret';
  const first = await browser.newContext();
  const a = await openTab(first, room, `&node=r0${via(relay)}`, fragment(secret));
  const b = await openTab(first, room, `&node=r1${via(relay)}`, fragment(secret));
  await expectPeers(b, 1);
  const roomId = await a.evaluate(() => window.dynamo!.room.id);
  // Everything r0 sent r1 through the server: its sealed offer and candidates.
  const recorded = relay.log.filter((f) => f.dir === 'up' && f.text.includes('"to":"r1"')).map((f) => f.text);
  expect(recorded.length).toBeGreaterThan(0);
  await first.close();

  // A new tab takes r1's id; the relay, posing as r0, plays it the old session.
  const second = await browser.newContext();
  const b2 = await openTab(second, room, `&node=r1${via(relay)}`, fragment(secret));
  const replay = await relay.inject(roomId, 'r0', recorded);
  // The old offer opens (it was sealed for r0 -> r1), so r1 answers it; the answer leads nowhere.
  await expect.poll(() => replay.received.some((t) => t.includes('"from":"r1"')), { timeout: 10_000 }).toBe(true);
  await expect.poll(async () => (await transportStats(b2)).connectTimeouts, { timeout: 20_000 }).toBeGreaterThan(0);
  const s = await transportStats(b2);
  expect([s.linkUps, s.authenticated, s.messagesReceived]).toEqual([0, 0, 0]);
  expect(await memberIds(b2)).toEqual(['r1']);
  replay.close();
  await second.close();
});

/** Milliseconds from this tab's navigation start until its node is started and linked to `peers` peers. */
async function servingAt(page: Page, peers: number): Promise<number> {
  const ready = (n: number) => (window.dynamo && window.dynamo.transport.peers().length >= n ? performance.now() : false);
  const handle = await page.waitForFunction(ready, peers, { timeout: 20_000, polling: 10 });
  return (await handle.jsonValue()) as number;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;

test('measure: tab open to serving, and signaling bytes per connection, with and without a secret', async ({ context }) => {
  test.setTimeout(150_000);
  relay = await startRelay(upstream);
  const r = relay;
  const times = { open: [] as number[], secret: [] as number[] };
  const bytes = { open: 0, secret: 0 };
  // Interleaved rounds: this machine's load drifts, and both modes should see the same drift.
  for (let round = 0; round < 3; round++) {
    for (const mode of ['open', 'secret'] as const) {
      const room = freshRoom(`measure-${mode}`);
      const hash = mode === 'secret' ? fragment('measure secret') : '';
      const from = r.log.length;
      await openTab(context, room, `&node=m0${via(r)}`, hash);
      await expectPeers(await openTab(context, room, `&node=m1${via(r)}`, hash), 1);
      // What the two tabs sent the server to set up their one connection (offer, answer, candidates).
      const signals = r.log.slice(from).filter((f) => f.dir === 'up' && f.text.startsWith('{"type":"signal"'));
      bytes[mode] = signals.reduce((n, f) => n + Buffer.byteLength(f.text), 0);
      times[mode].push(await servingAt(await openTab(context, room, `&node=m2${via(r)}`, hash), 2));
      for (const p of context.pages()) await p.close();
    }
  }
  const page = await context.newPage();
  await page.goto('/ring.html?room=measure-kdf');
  const kdf = await page.evaluate(async () => {
    const t0 = performance.now();
    const key = await crypto.subtle.importKey('raw', new TextEncoder().encode('measure secret'), 'PBKDF2', false, ['deriveBits']);
    await crypto.subtle.deriveBits({ name: 'PBKDF2', hash: 'SHA-256', salt: new TextEncoder().encode('x'), iterations: 600_000 }, key, 256);
    return performance.now() - t0;
  });
  const line = (m: 'open' | 'secret') => `${m}: third tab open -> serving p50 ${median(times[m]).toFixed(0)} ms (${times[m].map((t) => t.toFixed(0)).join(', ')}); signaling bytes for one connection ${bytes[m]}`;
  console.log([line('open'), line('secret'), `PBKDF2-SHA256, 600,000 rounds, in a tab: ${kdf.toFixed(0)} ms`].join('\n'));
});
