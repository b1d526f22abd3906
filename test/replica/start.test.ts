// `npm start -- --replica` / REPLICA_DIR: one dynamo-node beside the signaling server, in the room
// the printed URL opens (demo), said in the banner, stopped cleanly with the server on Ctrl-C.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startNode } from '../../src/runtime/node-entry';
import { until } from '../support/wait';

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe('npm start with a replica', () => {
  it('starts a replica in room demo next to the signaling server, says so, and stops it with the server', async () => {
    const data = mkdtempSync(join(tmpdir(), 'start-replica-'));
    dirs.push(data);
    // --no-build: the signaling server works without dist/ (CI builds it later, for Playwright).
    const child = spawn(process.execPath, ['scripts/start.mjs', '--no-build'], { stdio: 'pipe', env: { ...process.env, PORT: '0', HOST: '127.0.0.1', REPLICA_DIR: data } });
    let out = '';
    let err = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (err += c.toString()));
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    try {
      await until(() => /Replica (\S+) \(dynamo-node\) serving room demo/.test(out), 20_000, `the replica's banner (stdout: ${out}, stderr: ${err})`);
      expect(out).toContain(`data in ${data}`);
      const port = /open http:\/\/127\.0\.0\.1:(\d+)\//.exec(out)?.[1];
      const id = /Replica (\S+) \(dynamo-node\)/.exec(out)?.[1];
      const peer = await startNode({ room: 'demo', signalingUrl: `ws://127.0.0.1:${port}/signal`, dataDir: join(data, 'peer') });
      await until(() => peer.members().some((m) => m.id === id && m.kind === 'replica' && m.status === 'up'), 15_000, 'the replica in room demo');
      await peer.stop();
    } finally {
      child.kill('SIGINT');
    }
    expect(await exited).toBe(0);
    expect(err).toMatch(/dynamo-node: SIGTERM, stopping/);
  }, 60_000);
});
