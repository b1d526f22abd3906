// `npm start`: install what is missing, build the app, start the signaling server that serves it.
// `npm start -- --replica [DIR]` or `REPLICA_DIR=DIR npm start` also starts one dynamo-node in the
// room the printed URL opens (demo), keeping its data in DIR (default .dynamo/demo), so the room
// survives all its tabs closing; Ctrl-C stops both. `--no-build` serves the dist/ already there.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { parseArgs } from 'node:util';

const root = new URL('..', import.meta.url);
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
const ROOM = 'demo';

let args;
try {
  ({ values: args } = parseArgs({ args: process.argv.slice(2), strict: true, allowPositionals: true, options: { replica: { type: 'boolean' }, 'no-build': { type: 'boolean' } } }));
} catch (err) {
  console.error(`npm start: ${err.message}\nUsage: npm start [-- --replica [DIR]] [-- --no-build]   (or REPLICA_DIR=DIR npm start)`);
  process.exit(2);
}
const positional = process.argv.slice(2).filter((a) => !a.startsWith('--'));
const replicaDir = process.env.REPLICA_DIR || (args.replica ? (positional[0] ?? `.dynamo/${ROOM}`) : undefined);

function run(cmd, argv) {
  const r = spawnSync(cmd, argv, { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) process.exit(r.status ?? 1);
}

if (!existsSync(new URL('node_modules/.bin/vite', root)) || !existsSync(new URL('node_modules/ws', root))) {
  console.log('Installing dependencies (first run)…');
  run(npm, [existsSync(new URL('package-lock.json', root)) ? 'ci' : 'install', '--no-audit', '--no-fund']);
}
if (!args['no-build']) {
  console.log('Building the app…');
  run(npm, ['run', '--silent', 'build', '--', '--logLevel', 'warn']);
}

const server = spawn(process.execPath, ['--import', 'tsx', 'signaling/main.ts'], { cwd: root, stdio: ['inherit', 'pipe', 'inherit'] });
let replica;
let stopping = false;

function stop(signal) {
  if (stopping) return;
  stopping = true;
  // The replica runs in its own process group (below), so it hears only this one signal.
  if (replica && replica.exitCode === null) replica.kill('SIGTERM');
  server.kill(signal);
}
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => stop(sig));
process.on('exit', () => replica?.exitCode === null && replica.kill('SIGTERM'));

let out = '';
server.stdout.on('data', (chunk) => {
  process.stdout.write(chunk);
  if (replicaDir === undefined || replica || stopping) return;
  out += chunk.toString();
  const port = /Dynamo ring ready: open http:\/\/\S+?:(\d+)\//.exec(out)?.[1];
  if (port) startReplica(Number(port));
});

const serverExit = new Promise((r) => server.on('exit', (code) => r(code)));
server.on('exit', () => stop('SIGTERM'));

function startReplica(port) {
  const host = !process.env.HOST || process.env.HOST === '0.0.0.0' || process.env.HOST === '::' ? '127.0.0.1' : process.env.HOST.includes(':') ? `[${process.env.HOST}]` : process.env.HOST;
  const signal = `ws://${host}:${port}/signal`;
  // detached: a Ctrl-C in the terminal reaches the whole process group, and dynamo-node takes a
  // second signal as "exit now"; this script forwards one SIGTERM instead.
  replica = spawn(process.execPath, ['bin/dynamo-node.mjs', '--room', ROOM, '--signal', signal, '--data', replicaDir], { cwd: root, stdio: ['ignore', 'pipe', 'inherit'], detached: true });
  let line = '';
  replica.stdout.on('data', (chunk) => {
    if (line.includes('\n')) return process.stdout.write(chunk);
    line += chunk.toString();
    if (!line.includes('\n')) return;
    const id = /^dynamo-node (\S+) serving/.exec(line)?.[1] ?? '?';
    console.log(`Replica ${id} (dynamo-node) serving room ${ROOM}, data in ${replicaDir}: the room the URL above opens keeps its keys when every tab closes. Ctrl-C stops the server and the replica.`);
  });
  replica.on('exit', (code) => {
    if (stopping) return;
    console.error(`npm start: the replica exited (code ${code}); the signaling server keeps running without it.`);
  });
}

const serverCode = await serverExit;
// stop() sent the replica its SIGTERM: wait for its clean stop (its data directory is unlocked then).
const replicaCode = !replica ? 0 : replica.exitCode ?? (await new Promise((r) => replica.on('exit', r)));
process.exit(serverCode || replicaCode || 0);
