// `npm run bench:turn` (root only): what a TURN relay costs. Two network namespaces that cannot reach
// each other, a Chromium in each, coturn and the signaling server on the host ends (as in
// test/e2e/turn.spec.ts). Compared with two tabs on one network in the same run: data-channel round
// trip, put latency (N=W=R=2, so each put crosses the link), the time for a tab to join, and the bytes
// on the veths (everything between the two sides goes through the relay) per put, less idle traffic.
// Needs `npx vite build` first. Writes bench/results/turn.{json,md}.

import { chromium, type Browser, type Page } from '@playwright/test';
import { mkdirSync, writeFileSync } from 'node:fs';
import { iceFromEnv } from '../signaling/ice';
import { startSignalingServer } from '../signaling/server';
import { chromiumArgs } from '../test/support/chromium';
import { chromiumInNetns, createNetns, vethBytes, type Netns } from '../test/support/netns';
import { canUseNetns, startTurn, type Turn } from '../test/support/servers';
import { single, summarize, table, withFloor, type Row } from './stats';

const PINGS = 300;
const PUTS = 200;
const SECRET = 'bench-turn-secret';

if (!canUseNetns()) {
  console.log('bench/turn.ts: needs root and `ip netns`; skipped');
  process.exit(0);
}

/** Opens a tab; `peers`: wait until it is connected to that many (the join time). */
async function openTab(browser: Browser, url: string, peers: number): Promise<{ page: Page; joinMs: number }> {
  const page = await browser.newPage();
  const t0 = Date.now();
  await page.goto(url);
  await page.waitForFunction((n) => window.dynamo !== undefined && window.dynamo.transport.peers().length >= n, peers, { timeout: 60_000, polling: 20 });
  return { page, joinMs: Date.now() - t0 };
}

/** Round trips over the transport: `echo` answers everything `page` sends it with a marker. */
async function pings(page: Page, echo: Page): Promise<number[]> {
  const self = await page.evaluate(() => window.dynamo!.id);
  const peer = await echo.evaluate((from) => {
    const t = window.dynamo!.transport;
    t.onMessage((f, d) => f === from && d.startsWith('bench-ping:') && t.send(f, d));
    return window.dynamo!.id;
  }, self);
  return page.evaluate(
    async ({ peer, count }) => {
      const t = window.dynamo!.transport;
      const out: number[] = [];
      for (let i = 0; i < count; i++) {
        const t0 = performance.now();
        await new Promise<void>((resolve) => {
          const off = t.onMessage((f, d) => f === peer && d === `bench-ping:${i}` && (off(), resolve()));
          t.send(peer, `bench-ping:${i}`);
        });
        out.push(performance.now() - t0);
      }
      return out;
    },
    { peer, count: PINGS },
  );
}

async function puts(page: Page, prefix: string): Promise<number[]> {
  return page.evaluate(
    async ({ prefix, count }) => {
      const out: number[] = [];
      for (let i = 0; i < count; i++) {
        const t0 = performance.now();
        await window.dynamo!.put(`${prefix}${i}`, { i, pad: 'x'.repeat(100) }, undefined, { w: 2 });
        out.push(performance.now() - t0);
      }
      return out;
    },
    { prefix, count: PUTS },
  );
}

const both = (a: Netns, b: Netns) => {
  const [x, y] = [vethBytes(a.hostDev), vethBytes(b.hostDev)];
  return x.rx + x.tx + y.rx + y.tx;
};

async function main(): Promise<void> {
  const tag = `db${process.pid % 10000}`;
  const nets = [createNetns(`${tag}a`, 11), createNetns(`${tag}b`, 12)] as const;
  const wrappers = nets.map((n) => chromiumInNetns(n.name));
  const browsers: Browser[] = [];
  let turn: Turn | undefined;
  const server = await startSignalingServer({ port: 0, host: '0.0.0.0', staticDir: new URL('../dist', import.meta.url), ice: undefined });
  try {
    turn = await startTurn({ ips: nets.map((n) => n.hostIp), secret: SECRET });
    const turnUrls = nets.map((n) => `turn:${n.hostIp}:${turn!.port}?transport=udp`).join(',');
    const relayed = await startSignalingServer({ port: 0, host: '0.0.0.0', staticDir: new URL('../dist', import.meta.url), ice: iceFromEnv({ TURN_URLS: turnUrls, TURN_SECRET: SECRET }) });
    // Two browsers on network a, so the direct pair, like the relayed one, spans two browser processes.
    for (const w of [...wrappers, wrappers[0]!]) browsers.push(await chromium.launch({ executablePath: w.path, args: chromiumArgs }));
    const q = '&n=2&r=2&w=2';
    const url = (n: Netns, port: number, room: string) => `http://${n.hostIp}:${port}/?room=${room}${q}`;
    // Direct: both tabs on network a. Relay: one tab on each network.
    const d1 = await openTab(browsers[0]!, url(nets[0], server.port, 'direct'), 0);
    const d2 = await openTab(browsers[2]!, url(nets[0], server.port, 'direct'), 1);
    const r1 = await openTab(browsers[0]!, url(nets[0], relayed.port, 'relay'), 0);
    const r2 = await openTab(browsers[1]!, url(nets[1], relayed.port, 'relay'), 1);
    await new Promise((r) => setTimeout(r, 3000)); // let gossip settle before timing
    const rttDirect = summarize('round trip, direct (one network)', await pings(d1.page, d2.page));
    const rttRelay = withFloor(summarize('round trip, through TURN', await pings(r1.page, r2.page)), rttDirect, 'direct');
    const putDirect = summarize('put W=2, direct', await puts(d1.page, 'd'));
    // Bytes over both veths while the relayed pair is idle, then while it puts; the difference is the puts'.
    for (const p of [d1.page, d2.page]) await p.close();
    const idle0 = both(...nets);
    const idleStart = Date.now();
    await new Promise((r) => setTimeout(r, 5000));
    const idleRate = (both(...nets) - idle0) / (Date.now() - idleStart);
    const put0 = both(...nets);
    const putStart = Date.now();
    const putRelaySamples = await puts(r1.page, 'r');
    const putBytes = both(...nets) - put0 - idleRate * (Date.now() - putStart);
    const putRelay = withFloor(summarize('put W=2, through TURN', putRelaySamples), putDirect, 'direct');
    const rows: Row[] = [
      rttDirect,
      rttRelay,
      putDirect,
      putRelay,
      single('join: page load to first peer, direct', d2.joinMs, 'ms'),
      single('join: page load to first peer, other network via TURN', r2.joinMs, 'ms'),
      single('bytes on the wire per put through TURN (both legs, both ways, less idle)', putBytes / PUTS, 'B', `idle ${(idleRate * 1000).toFixed(0)} B/s`),
    ];
    const md = table(rows);
    console.log(md);
    mkdirSync(new URL('./results/', import.meta.url), { recursive: true });
    writeFileSync(new URL('./results/turn.json', import.meta.url), JSON.stringify({ date: new Date().toISOString(), rows }, null, 2));
    writeFileSync(new URL('./results/turn.md', import.meta.url), `${md}\n`);
    await relayed.close();
  } finally {
    for (const b of browsers) await b.close().catch(() => {});
    await turn?.stop();
    await server.close();
    for (const w of wrappers) w.remove();
    for (const n of nets) n.remove();
  }
}

await main();
