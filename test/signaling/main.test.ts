// The `npm run serve` entry point: one ready line, clean exit on SIGTERM, limits from SIGNAL_* variables.

import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';

it('prints one ready line, serves /healthz and exits 0 on SIGTERM', async () => {
  const root = fileURLToPath(new URL('../..', import.meta.url));
  const child = spawn(process.execPath, ['--import', 'tsx', 'signaling/main.ts'], {
    cwd: root,
    env: { ...process.env, PORT: '0', HOST: '127.0.0.1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  try {
    let out = '';
    const line = await new Promise<string>((resolve, reject) => {
      child.stdout.on('data', (d: Buffer) => {
        out += d.toString();
        if (out.includes('\n')) resolve(out);
      });
      child.on('exit', (code) => reject(new Error(`exited ${code} before ready`)));
    });
    expect(line).toMatch(/^Dynamo ring ready: open http:\/\/127\.0\.0\.1:(\d+)\/ in several tabs \(ring view: http:\/\/127\.0\.0\.1:\1\/ring\.html\)\n$/);
    const port = /:(\d+)\//.exec(line)![1];
    expect(await (await fetch(`http://127.0.0.1:${port}/healthz`)).json()).toEqual({ ok: true, rooms: 0, peers: 0 });
    const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(out.trim().split('\n')).toHaveLength(1);
  } finally {
    child.kill('SIGKILL');
  }
});

it('exits 1 naming the variable when a SIGNAL_* limit is not a positive number', async () => {
  const root = fileURLToPath(new URL('../..', import.meta.url));
  const child = spawn(process.execPath, ['--import', 'tsx', 'signaling/main.ts'], {
    cwd: root,
    env: { ...process.env, PORT: '0', HOST: '127.0.0.1', SIGNAL_MAX_CONNS_PER_ADDRESS: '0' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  try {
    let err = '';
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    expect(code).toBe(1);
    expect(err).toContain('maxConnsPerAddress');
  } finally {
    child.kill('SIGKILL');
  }
});
