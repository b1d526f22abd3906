// `npm run dev`: the signaling server on PORT (8080) plus Vite's dev server, which proxies /signal to it.
import { spawn } from 'node:child_process';

const root = new URL('..', import.meta.url);
const children = [
  spawn(process.execPath, ['--import', 'tsx', 'signaling/main.ts'], { cwd: root, stdio: 'inherit' }),
  spawn(process.execPath, ['node_modules/vite/bin/vite.js'], { cwd: root, stdio: 'inherit' }),
];
const stop = () => children.forEach((c) => c.kill('SIGTERM'));
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, stop);
for (const c of children) c.on('exit', (code) => { stop(); process.exitCode = code ?? 0; });
