// `node --import tsx bench/package.ts`: what the installable package costs a user (issue 21).
// Measures, never gates; prints a markdown table and one JSON line.
//   - the browser bundle (Vite, minified) of a page that imports only startNode: raw and gzip;
//   - the tarball, the package installed, and what `npm ci` brings for a browser app and for Node;
//   - time from calling startNode to a serving node: a lone Chromium tab, a tab joining a ring of one,
//     and a Node replica (dynamo-browser/node), each against a local signaling server.
// Everything runs from the packed tarball in a temporary project (test/support/packed.ts).

import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { chromium } from '@playwright/test';
import { chromiumArgs, chromiumPath } from '../test/support/chromium';
import { installPacked, pack } from '../test/support/packed';

const RUNS = 5;
const work = mkdtempSync(join(tmpdir(), 'dynamo-pkg-bench-'));
const rows: Array<[string, string]> = [];
const json: Record<string, number | number[]> = {};
const kb = (n: number) => `${(n / 1024).toFixed(1)} KiB`;
const mb = (n: number) => `${(n / 1024 / 1024).toFixed(1)} MiB`;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;

try {
  const tarball = pack(work);
  json.tarballBytes = statSync(tarball).size;
  rows.push(['tarball (npm pack)', kb(json.tarballBytes)]);

  // A browser app: the package alone (its deps: idb, simple-peer, @noble/hashes), then Vite for the bundle.
  const web = project('web');
  installPacked(web, tarball, []);
  json.installedPackageBytes = du(join(web, 'node_modules/dynamo-browser'));
  json.installBrowserAppBytes = du(join(web, 'node_modules'));
  rows.push(['dynamo-browser installed (its own files)', kb(json.installedPackageBytes)]);
  rows.push(['node_modules of a browser app (package + deps)', mb(json.installBrowserAppBytes)]);

  const node = project('node');
  installPacked(node, tarball, ['@roamhq/wrtc', 'classic-level', 'ws']);
  json.installNodeAppBytes = du(join(node, 'node_modules'));
  rows.push(['node_modules of a Node app (+ @roamhq/wrtc, classic-level, ws)', mb(json.installNodeAppBytes)]);

  const probe = project('probe');
  installPacked(probe, tarball, ['vite']);
  writeFileSync(join(probe, 'index.html'), '<!doctype html><script type="module" src="./main.js"></script>');
  writeFileSync(join(probe, 'main.js'), "import { startNode } from 'dynamo-browser';\nwindow.startNode = startNode;\n");
  execFileSync(process.execPath, [join(probe, 'node_modules/vite/bin/vite.js'), 'build', '--logLevel', 'error'], { cwd: probe });
  const assets = join(probe, 'dist/assets');
  const js = readdirSync(assets).filter((f) => f.endsWith('.js')).map((f) => readFileSync(join(assets, f)));
  json.bundleMinBytes = js.reduce((s, b) => s + b.length, 0);
  json.bundleGzipBytes = js.reduce((s, b) => s + gzipSync(b, { level: 9 }).length, 0);
  rows.push(['browser bundle, startNode only (Vite, minified)', kb(json.bundleMinBytes)]);
  rows.push(['same, gzip -9', kb(json.bundleGzipBytes)]);

  await timeToServe(node, join(probe, 'dist'));
} finally {
  rmSync(work, { recursive: true, force: true });
}

console.log(`| what | measured |\n|---|---|\n${rows.map(([a, b]) => `| ${a} | ${b} |`).join('\n')}`);
console.log(JSON.stringify(json));

function project(name: string): string {
  const dir = join(work, name);
  mkdirSync(dir);
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: `bench-${name}`, private: true, type: 'module' }));
  return dir;
}

function du(dir: string): number {
  return Number(execFileSync('du', ['-sb', dir], { encoding: 'utf8' }).split('\t')[0]);
}

/** startNode → resolved: in a lone tab, in a tab joining a ring of one, and in Node; RUNS rooms each. */
async function timeToServe(nodeProject: string, dist: string): Promise<void> {
  const script = join(nodeProject, 'serve.mjs');
  writeFileSync(
    script,
    `import { startSignalingServer } from 'dynamo-browser/signaling';
import { startNode } from 'dynamo-browser/node';
const server = await startSignalingServer({ port: 0, host: '127.0.0.1', staticDir: process.argv[2] });
const signal = 'ws://127.0.0.1:' + server.port + '/signal';
const times = [];
for (let i = 0; i < ${RUNS}; i++) {
  const t0 = performance.now();
  const node = await startNode({ room: 'bench-node-' + i, signalingUrl: signal, dataDir: process.argv[3] + '/' + i });
  times.push(performance.now() - t0);
  await node.stop();
}
process.stdout.write(JSON.stringify({ port: server.port, times }) + '\\n');
process.stdin.on('end', () => server.close().then(() => process.exit(0)));
process.stdin.resume();
`,
  );
  const child = spawn(process.execPath, [script, dist, join(work, 'data')], { cwd: nodeProject, stdio: ['pipe', 'pipe', 'inherit'] });
  const first = await new Promise<string>((resolve) => child.stdout.once('data', (c: Buffer) => resolve(c.toString())));
  const { port, times } = JSON.parse(first) as { port: number; times: number[] };
  json.nodeStartMs = times;
  rows.push([`startNode → serving, Node replica (median of ${RUNS})`, `${median(times).toFixed(0)} ms`]);

  const browser = await chromium.launch({ executablePath: chromiumPath, args: chromiumArgs });
  try {
    const lone: number[] = [];
    const joining: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      const start = async (room: string): Promise<number> => {
        const page = await (await browser.newContext()).newPage();
        await page.goto(`http://127.0.0.1:${port}/`);
        return page.evaluate(async (room) => {
          const t0 = performance.now();
          await (window as unknown as { startNode: (o: object) => Promise<unknown> }).startNode({ room, signalingUrl: `ws://${location.host}/signal` });
          return performance.now() - t0;
        }, room);
      };
      lone.push(await start(`bench-tab-${i}`));
      joining.push(await start(`bench-tab-${i}`));
    }
    json.tabAloneStartMs = lone;
    json.tabJoiningStartMs = joining;
    rows.push([`startNode → serving, lone tab (median of ${RUNS})`, `${median(lone).toFixed(0)} ms`]);
    rows.push([`startNode → serving, tab joining a ring of one (median of ${RUNS})`, `${median(joining).toFixed(0)} ms`]);
  } finally {
    await browser.close();
    child.stdin.end();
  }
}
