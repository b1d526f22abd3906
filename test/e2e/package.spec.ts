// The package as a user installs it (issue 21): `npm pack`, the tarball installed into a fresh
// project, examples/todo type-checked by `tsc` against the shipped types (strict, skipLibCheck off)
// and bundled by Vite, then two Chromium tabs and a Node process (`dynamo-browser/node`, with the
// server from `dynamo-browser/signaling`) in one ring, through the public imports only.

import { expect, test, type Page } from '@playwright/test';
import { execFileSync, spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { installPacked, pack, REPO } from '../support/packed';

declare global {
  interface Window {
    todo?: { node: { id: string; members(): Array<{ status: string }> }; list(): Array<{ text: string }>; add(text: string): Promise<void> };
  }
}

const NODE_SIDE = ['@roamhq/wrtc', 'classic-level', 'ws', '@types/node'];

test('the packed tarball: tsc on the shipped types, a Vite page in two tabs and a Node replica in one ring', async ({ browser }) => {
  test.setTimeout(360_000);
  const work = mkdtempSync(join(tmpdir(), 'dynamo-pkg-'));
  let server: ChildProcessWithoutNullStreams | undefined;
  try {
    const app = join(work, 'todo');
    cpSync(join(REPO, 'examples/todo'), app, { recursive: true, filter: (src) => !/(node_modules|dist|build|\.dynamo-todo)$/.test(src) });
    const manifest = JSON.parse(readFileSync(join(app, 'package.json'), 'utf8')) as Record<string, unknown>;
    writeFileSync(join(app, 'package.json'), JSON.stringify({ ...manifest, dependencies: undefined, devDependencies: undefined }));
    installPacked(app, pack(work), [...NODE_SIDE, 'vite', 'typescript']);

    // tsc is the consumer's type check (and builds server.ts); Vite bundles the page.
    const run = (file: string, args: string[]) => execFileSync(process.execPath, [join(app, 'node_modules', file), ...args], { cwd: app, encoding: 'utf8', stdio: 'pipe' });
    writeFileSync(join(app, 'tsconfig.json'), readFileSync(join(app, 'tsconfig.json'), 'utf8').replace('"types": []', '"types": ["node"]'));
    run('typescript/bin/tsc', ['-p', '.']);
    const bundle = run('vite/bin/vite.js', ['build']);
    expect(bundle, 'the browser entry pulls in no Node module').not.toMatch(/externalized for browser compatibility|node:/);

    server = spawn(process.execPath, ['build/server.js'], { cwd: app, env: { ...process.env, PORT: '0', ROOM: `pkg-${Date.now().toString(36)}`, DATA_DIR: join(work, 'data') } });
    const lines = jsonLines(server);
    const { url } = (await lines.next((l) => typeof l.url === 'string')) as { url: string };

    const tabs: Page[] = [];
    for (let i = 0; i < 2; i++) {
      const page = await (await browser.newContext()).newPage();
      page.on('pageerror', (err) => console.error(`[page error] ${err.message}`));
      await page.goto(url);
      await page.waitForFunction(() => window.todo !== undefined);
      tabs.push(page);
    }
    for (const tab of tabs) await tab.waitForFunction(() => window.todo!.node.members().filter((m) => m.status === 'up').length === 3, undefined, { timeout: 20_000 });

    server.stdin.write('add from node\n');
    await Promise.all(tabs.map((tab, i) => tab.evaluate((text) => window.todo!.add(text), `from tab ${i + 1}`)));
    const all = ['from node', 'from tab 1', 'from tab 2'];
    for (const tab of tabs) {
      await expect.poll(() => tab.evaluate(() => window.todo!.list().map((t) => t.text).sort()), { timeout: 20_000 }).toEqual(all);
    }
    server.stdin.write('list\n');
    const seen = (await lines.next((l) => Array.isArray(l.todos) && (l.todos as string[]).length === 3)) as { todos: string[] };
    expect([...seen.todos].sort()).toEqual(all);
    // The page shows it too, not just the console object.
    await expect(tabs[0]!.locator('#list li')).toHaveCount(3);
  } finally {
    server?.stdin.end('quit\n');
    server?.kill();
    rmSync(work, { recursive: true, force: true });
  }
});

/** The process's stdout as JSON lines; next(pred) resolves with the first line (past or future) that matches. */
function jsonLines(child: ChildProcessWithoutNullStreams) {
  const seen: Array<Record<string, unknown>> = [];
  const waiting: Array<{ pred: (l: Record<string, unknown>) => boolean; resolve: (l: Record<string, unknown>) => void }> = [];
  let stderr = '';
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  createInterface({ input: child.stdout }).on('line', (text) => {
    let line: Record<string, unknown>;
    try {
      line = JSON.parse(text) as Record<string, unknown>;
    } catch {
      return;
    }
    seen.push(line);
    for (const w of waiting.splice(0)) (w.pred(line) ? w.resolve(line) : waiting.push(w));
  });
  const exited = new Promise<never>((_, reject) => child.once('exit', (code) => reject(new Error(`server exited ${code}: ${stderr}`))));
  exited.catch(() => undefined);
  return {
    next(pred: (l: Record<string, unknown>) => boolean): Promise<Record<string, unknown>> {
      const hit = seen.find(pred);
      if (hit) return Promise.resolve(hit);
      return Promise.race([new Promise<Record<string, unknown>>((resolve) => waiting.push({ pred, resolve })), exited]);
    },
  };
}
