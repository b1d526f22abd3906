// `node --import tsx scripts/membership-fold.ts [--src DIR]`: what folding a membership history costs,
// in time and memory, for 1,000, 4,000 and 10,000 changes (core/membership.ts). Each measurement runs
// in its own process with a 1 GiB heap, so memory is measured cleanly and running out is reported
// rather than fatal. `--src` points at another checkout's src/ to measure it the same way.
//
// Shapes: 'joins', n distinct nodes joining (the history a flood of joins leaves); 'churn', 32 nodes
// joining and leaving in turns (a long-lived room). The view is built from the whole history, then
// its ring, members and digest are read: what a node does when it loads its persisted history.

import { execFileSync } from 'node:child_process';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const { values: args } = parseArgs({
  options: {
    src: { type: 'string', default: resolve(fileURLToPath(import.meta.url), '../../src') },
    child: { type: 'string' },
  },
});

type Change = { node: string; kind: 'join' | 'leave' | 'remove'; seq: number; by: string };

function history(shape: string, n: number): Change[] {
  return Array.from({ length: n }, (_, i): Change => {
    if (shape === 'joins') return { node: `n${i}`, kind: 'join', seq: i + 1, by: `n${i}` };
    const node = `n${i % 32}`;
    return { node, kind: Math.floor(i / 32) % 2 === 0 ? 'join' : 'leave', seq: i + 1, by: node };
  });
}

async function child(spec: string): Promise<void> {
  const [shape, n] = spec.split(':') as [string, string];
  const { MembershipView } = (await import(resolve(args.src!, 'core/membership.ts'))) as {
    MembershipView: new (q: number, changes: Change[]) => { ring: unknown; digest: string; members(): string[] };
  };
  const changes = history(shape, Number(n));
  const gc = (globalThis as { gc?: () => void }).gc!;
  gc();
  const before = process.memoryUsage().heapUsed;
  const t0 = performance.now();
  const view = new MembershipView(256, changes);
  void view.ring;
  void view.digest;
  const members = view.members().length;
  const ms = performance.now() - t0;
  gc();
  const retained = process.memoryUsage().heapUsed - before;
  console.log(JSON.stringify({ ms, retainedMiB: retained / 2 ** 20, members }));
}

function main(): void {
  console.log(`src: ${args.src}`);
  console.log('shape   changes   time        retained heap   members');
  for (const shape of ['joins', 'churn']) {
    for (const n of [1_000, 4_000, 10_000]) {
      let line: string;
      try {
        const out = execFileSync(
          process.execPath,
          ['--expose-gc', '--max-old-space-size=1024', '--import', 'tsx', fileURLToPath(import.meta.url), '--src', args.src!, '--child', `${shape}:${n}`],
          { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 600_000 },
        );
        const r = JSON.parse(out.trim().split('\n').at(-1)!) as { ms: number; retainedMiB: number; members: number };
        line = `${r.ms.toFixed(0).padStart(7)} ms  ${r.retainedMiB.toFixed(1).padStart(10)} MiB  ${String(r.members).padStart(8)}`;
      } catch (err) {
        const text = String((err as { stderr?: string }).stderr ?? err);
        line = /heap out of memory|Allocation failed/i.test(text) ? '   out of memory (1 GiB heap)' : `   failed: ${text.split('\n')[0]}`;
      }
      console.log(`${shape.padEnd(7)} ${String(n).padStart(7)}   ${line}`);
    }
  }
}

if (args.child !== undefined) await child(args.child);
else main();
