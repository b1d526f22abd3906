// `npm start`: install what is missing, build the app, start the signaling server that serves it.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

const root = new URL('..', import.meta.url);
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';

function run(cmd, args) {
  const r = spawnSync(cmd, args, { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) process.exit(r.status ?? 1);
}

if (!existsSync(new URL('node_modules/.bin/vite', root)) || !existsSync(new URL('node_modules/ws', root))) {
  console.log('Installing dependencies (first run)…');
  run(npm, [existsSync(new URL('package-lock.json', root)) ? 'ci' : 'install', '--no-audit', '--no-fund']);
}
console.log('Building the app…');
run(npm, ['run', '--silent', 'build', '--', '--logLevel', 'warn']);

const server = spawn(process.execPath, ['--import', 'tsx', 'signaling/main.ts'], { cwd: root, stdio: 'inherit' });
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => server.kill(sig));
server.on('exit', (code) => process.exit(code ?? 0));
