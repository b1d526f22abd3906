// The `dynamo-node` command as a user runs it: a real process on a real disk, joined to a ring with an
// in-process Node peer over real WebRTC; killed with SIGKILL it keeps every acknowledged write and its id.
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startNode, type DynamoNode } from '../../src/runtime/node-entry';
import { startSignalingServer, type SignalingServer } from '../../signaling/server';

let server: SignalingServer;
let signal = '';
const dirs: string[] = [];
const fresh = (): string => {
  const d = mkdtempSync(join(tmpdir(), 'dynamo-node-'));
  dirs.push(d);
  return d;
};

beforeAll(async () => {
  server = await startSignalingServer({ port: 0, host: '127.0.0.1' });
  signal = `ws://127.0.0.1:${server.port}/signal`;
});
afterAll(async () => {
  await server.close();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

interface Replica {
  child: ChildProcessWithoutNullStreams;
  /** Resolves with the first stdout line (the id line) or rejects with stderr if it exits first. */
  serving: Promise<string>;
  stderr: () => string;
  exited: Promise<number | null>;
}

function runReplica(args: string[], env: Record<string, string> = {}): Replica {
  const child = spawn(process.execPath, ['bin/dynamo-node.mjs', ...args], { stdio: 'pipe', env: { ...process.env, ...env } });
  let err = '';
  let out = '';
  child.stderr.on('data', (c: Buffer) => (err += c.toString()));
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  const serving = new Promise<string>((resolve, reject) => {
    child.stdout.on('data', (c: Buffer) => {
      out += c.toString();
      if (out.includes('\n')) resolve(out.split('\n')[0] as string);
    });
    void exited.then((code) => reject(new Error(`dynamo-node exited ${code}: ${err}`)));
  });
  serving.catch(() => undefined); // awaited only by tests that expect it to serve
  return { child, serving, stderr: () => err, exited };
}

const idOf = (line: string): string => /^dynamo-node (\S+) serving room /.exec(line)?.[1] ?? `(no id in ${JSON.stringify(line)})`;

async function until(pred: () => boolean, what: string, ms = 15_000): Promise<void> {
  const end = Date.now() + ms;
  while (!pred()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('dynamo-node', () => {
  it('prints usage for --help, and refuses a missing flag or a bad URL with a clear message', async () => {
    const help = runReplica(['--help']);
    expect(await help.exited).toBe(0);
    const missing = runReplica(['--room', 'r']);
    expect(await missing.exited).toBe(2);
    expect(missing.stderr()).toMatch(/--signal is required/);
    const bad = runReplica(['--room', 'r', '--signal', 'http://x', '--data', fresh()]);
    expect(await bad.exited).toBe(1);
    expect(bad.stderr()).toMatch(/ValidationError: signalingUrl must be a ws:\/\/ or wss:\/\/ URL/);
  }, 30_000);

  it('serves a ring, keeps acknowledged writes and its id across kill -9, refuses a second process on its directory, stops on SIGTERM', async () => {
    const room = `replica-${Date.now()}`;
    const data = fresh();
    let replica = runReplica(['--room', room, '--signal', signal, '--data', data, '--zone', 'rack-1']);
    const id = idOf(await replica.serving);
    const a: DynamoNode = await startNode({ room, signalingUrl: signal, dataDir: fresh() });
    await until(() => a.members().some((m) => m.id === id && m.status === 'up'), 'the replica as a member');
    expect(a.members().find((m) => m.id === id)).toMatchObject({ kind: 'replica', zone: 'rack-1' });
    expect(a.members().find((m) => m.id === a.id)).toMatchObject({ kind: 'replica', zone: hostname() });
    const written: string[] = [];
    for (let i = 0; i < 20; i++) {
      const res = await a.put(`k${i}`, { i }, undefined, { w: 2 });
      expect(res.replicas).toBe(2);
      written.push(`k${i}`);
    }

    const second = runReplica(['--room', room, '--signal', signal, '--data', data]);
    expect(await second.exited).toBe(1);
    expect(second.stderr()).toMatch(/in use by another process/);

    replica.child.kill('SIGKILL');
    await replica.exited;
    await a.stop();
    replica = runReplica(['--room', room, '--signal', signal, '--data', data]);
    expect(idOf(await replica.serving)).toBe(id);
    const b = await startNode({ room, signalingUrl: signal, dataDir: fresh() });
    await until(() => b.members().some((m) => m.id === id && m.status === 'up'), 'the restarted replica');
    for (const key of written) expect((await b.get(key, { r: 2 })).values).toEqual([{ i: Number(key.slice(1)) }]);
    await b.stop();

    replica.child.kill('SIGTERM');
    const code = await replica.exited;
    expect(code, replica.stderr()).toBe(0);
    expect(replica.stderr()).toMatch(/SIGTERM, stopping/);
  }, 90_000);

  it('joins a protected room with DYNAMO_SECRET, serves holders of the secret only, and its directory refuses another secret', async () => {
    const room = `replica-secret-${Date.now()}`;
    const data = fresh();
    const replica = runReplica(['--room', room, '--signal', signal, '--data', data], { DYNAMO_SECRET: 'replica secret' });
    const line = await replica.serving;
    expect(line).toMatch(/ \(protected\)$/);
    const id = idOf(line);
    const a = await startNode({ room, signalingUrl: signal, dataDir: fresh(), secret: 'replica secret' });
    await until(() => a.members().some((m) => m.id === id && m.status === 'up'), 'the replica in the protected ring');
    expect(a.stats().transport.authenticated).toBeGreaterThanOrEqual(1);
    expect((await a.put('k', 1, undefined, { w: 2 })).replicas).toBe(2);
    // The same room name without the secret is another room: it meets no one.
    const outsider = await startNode({ room, signalingUrl: signal, dataDir: fresh() });
    expect((await outsider.get('k')).values).toEqual([]);
    expect(outsider.members().map((m) => m.id)).toEqual([outsider.id]);
    await outsider.stop();
    await a.stop();
    replica.child.kill('SIGTERM');
    expect(await replica.exited).toBe(0);
    // The directory holds that room's data: started under another secret it would carry it across.
    // (--secret this time: the flag is read too, and wins over the environment.)
    const other = runReplica(['--room', room, '--signal', signal, '--data', data, '--secret', 'another secret'], { DYNAMO_SECRET: 'replica secret' });
    expect(await other.exited).toBe(1);
    expect(other.stderr()).toMatch(/DataDirError: .*another secret/);
  }, 90_000);
});
