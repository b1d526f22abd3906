// Entry point (`npm run serve`): the signaling server on $PORT (8080) and $HOST, serving the built app;
// SIGNAL_* variables override its limits (see limits.ts, e.g. SIGNAL_MAX_CONNS_PER_ADDRESS); STUN_URLS,
// TURN_URLS, TURN_SECRET, TURN_TTL and ICE_TRANSPORT_POLICY make /ice.json (see ice.ts).

import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { iceFromEnv, type IceSettings } from './ice';
import { limitsFromEnv, resolveLimits, type SignalingLimits } from './limits';
import { startSignalingServer } from './server';

const dist = fileURLToPath(new URL('../dist', import.meta.url));
const port = Number(process.env.PORT ?? 8080);
const host = process.env.HOST || '0.0.0.0';

if (!Number.isInteger(port) || port < 0 || port > 65535) {
  console.error(`PORT must be an integer 0..65535, got ${JSON.stringify(process.env.PORT)}`);
  process.exit(1);
}
let limits: SignalingLimits;
let ice: IceSettings;
try {
  limits = resolveLimits(limitsFromEnv(process.env));
  ice = iceFromEnv(process.env);
} catch (err) {
  console.error((err as Error).message);
  process.exit(1);
}
if (!existsSync(path.join(dist, 'index.html'))) {
  console.warn(`warning: ${dist} has no index.html; run \`npm run build\` first (signaling still works)`);
}

let server;
try {
  server = await startSignalingServer({ port, host, staticDir: dist, limits, ice });
} catch (err) {
  console.error(`could not listen on ${host}:${port}: ${(err as Error).message}`);
  process.exit(1);
}

const shown = host === '0.0.0.0' || host === '::' ? 'localhost' : host.includes(':') ? `[${host}]` : host;
const base = `http://${shown}:${server.port}`;
console.log(`Dynamo ring ready: open ${base}/ in several tabs (ring view: ${base}/ring.html)`);

const running = server;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    void running.close().then(() => process.exit(0));
  });
}
