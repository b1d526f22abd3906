// Real servers for tests: coturn (Debian's turnserver) and redis-server, each on a free port with its
// files in a temp directory, started as a child of the test and stopped by its pid.

import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const TURNSERVER = '/usr/bin/turnserver';
export const REDIS_SERVER = '/usr/bin/redis-server';

export function have(binary: string): boolean {
  return existsSync(binary);
}

/** A TCP port nobody listens on at `host` right now (free also for UDP: checked too). */
export async function freePort(host = '127.0.0.1'): Promise<number> {
  for (;;) {
    const port = await new Promise<number>((resolve, reject) => {
      const s = createServer();
      s.once('error', reject);
      s.listen(0, host, () => {
        const a = s.address();
        s.close(() => resolve(typeof a === 'object' && a ? a.port : 0));
      });
    });
    const udpFree = await new Promise<boolean>((resolve) => {
      const u = createSocket('udp4');
      u.once('error', () => resolve(false));
      u.bind(port, host, () => u.close(() => resolve(true)));
    });
    if (udpFree) return port;
  }
}

export interface Child {
  readonly pid: number;
  readonly dir: string;
  /** SIGKILL by pid, wait for the exit, remove the temp dir. Idempotent. */
  stop(): Promise<void>;
}

function child(proc: ChildProcess, dir: string): Child {
  const exited = new Promise<void>((resolve) => (proc.exitCode !== null ? resolve() : proc.once('exit', () => resolve())));
  let stopping: Promise<void> | undefined;
  return {
    pid: proc.pid!,
    dir,
    stop: () =>
      (stopping ??= (async () => {
        if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL');
        await exited;
        rmSync(dir, { recursive: true, force: true });
      })()),
  };
}

/** Resolves when `check()` is true, polling every 50 ms; rejects after `ms` with `what`. */
async function until(check: () => boolean, ms: number, what: () => string): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(what());
    await new Promise((r) => setTimeout(r, 50));
  }
}

export interface Turn extends Child {
  port: number;
  logFile: string;
  /** Lines of coturn's log (with --verbose it logs each allocation and its traffic). */
  log(): string;
}

/**
 * coturn with REST-API auth (use-auth-secret) listening on `ips` at a free port, relaying on ports
 * minPort..maxPort. `loopbackPeers` lets relays reach 127.0.0.1 (tests on loopback only).
 */
export async function startTurn(opts: { ips: string[]; secret: string; port?: number; loopbackPeers?: boolean; relayPorts?: [number, number]; wrap?: string[] }): Promise<Turn> {
  const dir = mkdtempSync(join(tmpdir(), 'turn-'));
  const port = opts.port ?? (await freePort(opts.ips[0]));
  const [minPort, maxPort] = opts.relayPorts ?? [49152 + (port % 8000), 49152 + (port % 8000) + 200];
  const logFile = join(dir, 'log');
  const args = [
    '-n', ...opts.ips.flatMap((ip) => ['--listening-ip', ip]), '--listening-port', String(port),
    '--min-port', String(minPort), '--max-port', String(maxPort),
    '--use-auth-secret', '--static-auth-secret', opts.secret, '--realm', 'test',
    '--no-tls', '--no-dtls', '--no-cli', '--no-rfc5780', '--fingerprint', '--verbose', '--simple-log',
    '--log-file', logFile, '--no-stdout-log', '--userdb', join(dir, 'db'), '--pidfile', join(dir, 'pid'),
    ...(opts.loopbackPeers ? ['--allow-loopback-peers'] : []),
  ];
  const wrap = opts.wrap ?? [];
  const proc = spawn(wrap[0] ?? TURNSERVER, wrap.length ? [...wrap.slice(1), TURNSERVER, ...args] : args, { stdio: 'ignore' });
  const c = child(proc, dir);
  const log = () => (existsSync(logFile) ? readFileSync(logFile, 'utf8') : '');
  try {
    await until(() => log().includes('UDP listener opened on') || proc.exitCode !== null, 10_000, () => `coturn did not start: ${log().slice(-2000)}`);
    if (proc.exitCode !== null) throw new Error(`coturn exited ${proc.exitCode}: ${log().slice(-2000)}`);
  } catch (err) {
    await c.stop();
    throw err;
  }
  return { ...c, port, logFile, log };
}

export interface Redis extends Child {
  port: number;
  url: string;
}

/** redis-server on 127.0.0.1 at a free port, no persistence, its dir a temp dir. */
export async function startRedis(): Promise<Redis> {
  const dir = mkdtempSync(join(tmpdir(), 'redis-'));
  const port = await freePort();
  const proc = spawn(REDIS_SERVER, ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir, '--daemonize', 'no'], { stdio: ['ignore', 'pipe', 'pipe'] });
  const c = child(proc, dir);
  let out = '';
  proc.stdout!.on('data', (d: Buffer) => (out = (out + d.toString()).slice(-8000)));
  try {
    await until(() => out.includes('Ready to accept connections') || proc.exitCode !== null, 10_000, () => `redis-server did not start: ${out}`);
    if (proc.exitCode !== null) throw new Error(`redis-server exited ${proc.exitCode}: ${out}`);
  } catch (err) {
    await c.stop();
    throw err;
  }
  return { ...c, port, url: `redis://127.0.0.1:${port}` };
}

/** Whether this process may create network namespaces (root with `ip`). */
export function canUseNetns(): boolean {
  return process.getuid?.() === 0 && spawnSync('ip', ['netns', 'list']).status === 0;
}

export interface SignalProcess extends Child {
  port: number;
  url: string;
}

/**
 * `signaling/main.ts` in its own process (as `dynamo-signal`), with `env` added; resolves once it prints
 * its ready line. `wrap` runs it under another command (e.g. `ip netns exec NS`).
 */
export async function startSignalProcess(env: Record<string, string>, args: string[] = []): Promise<SignalProcess> {
  const root = new URL('../..', import.meta.url).pathname;
  const dir = mkdtempSync(join(tmpdir(), 'signal-'));
  const proc = spawn(process.execPath, ['--import', 'tsx', 'signaling/main.ts', ...args], {
    cwd: root,
    env: { ...process.env, PORT: '0', HOST: '127.0.0.1', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const c = child(proc, dir);
  let out = '';
  proc.stdout!.on('data', (d: Buffer) => (out = (out + d.toString()).slice(-8000)));
  proc.stderr!.on('data', (d: Buffer) => (out = (out + d.toString()).slice(-8000)));
  const ready = () => /open http:\/\/[^:]+:(\d+)\//.exec(out);
  try {
    await until(() => ready() !== null || proc.exitCode !== null, 20_000, () => `signaling process did not start: ${out}`);
    if (!ready()) throw new Error(`signaling process exited ${proc.exitCode}: ${out}`);
  } catch (err) {
    await c.stop();
    throw err;
  }
  const port = Number(ready()![1]);
  const host = env.HOST ?? '127.0.0.1';
  return { ...c, port, url: `http://${host}:${port}` };
}
