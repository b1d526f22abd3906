// Entry point (`npm run serve`, `dynamo-signal`): the signaling server on $PORT (8080) and $HOST, serving
// the built app. SIGNAL_* variables override its limits (see limits.ts, e.g. SIGNAL_MAX_CONNS_PER_ADDRESS);
// STUN_URLS, TURN_URLS, TURN_SECRET, TURN_TTL and ICE_TRANSPORT_POLICY make /ice.json (see ice.ts);
// REDIS_URL or --redis URL shares rooms with other processes on that Redis (cluster.ts), and
// SIGNAL_REDIS_TTL_MS is how long after a process dies its peers are announced as left
// (SIGNAL_REDIS_PREFIX: key prefix, for deployments sharing one Redis).

import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { iceFromEnv, type IceSettings } from './ice';
import { limitsFromEnv, resolveLimits, type SignalingLimits } from './limits';
import { startSignalingServer, type SignalingOptions } from './server';

const USAGE = `Usage: dynamo-signal [--redis redis://HOST:PORT] [--help]
  Listens on $HOST:$PORT (default 0.0.0.0:8080) and serves the built app from dist/.
  --redis URL   share rooms with every dynamo-signal on this Redis (or REDIS_URL=...)
  Environment: PORT, HOST, REDIS_URL, SIGNAL_REDIS_TTL_MS, SIGNAL_REDIS_PREFIX, SIGNAL_* limits, STUN_URLS, TURN_URLS,
  TURN_SECRET, TURN_TTL, ICE_TRANSPORT_POLICY (docs/deploy.md).
`;

/** The redis option from --redis or REDIS_URL; throws on a malformed value. */
function redisOption(argv: string[], env: Record<string, string | undefined>): SignalingOptions['redis'] {
  const { values } = parseArgs({ args: argv, strict: true, options: { redis: { type: 'string' }, help: { type: 'boolean' } } });
  if (values.help) {
    process.stdout.write(USAGE);
    process.exit(0);
  }
  const url = values.redis ?? (env.REDIS_URL?.trim() || undefined);
  if (url === undefined) return undefined;
  if (!/^rediss?:\/\/[^\s]{1,500}$/.test(url)) throw new RangeError(`--redis / REDIS_URL must be a redis:// or rediss:// URL, got ${JSON.stringify(url.slice(0, 80))}`);
  const ttlRaw = env.SIGNAL_REDIS_TTL_MS?.trim();
  const ttlMs = ttlRaw ? Number(ttlRaw) : undefined;
  if (ttlMs !== undefined && (!Number.isInteger(ttlMs) || ttlMs < 300 || ttlMs > 600_000)) throw new RangeError(`SIGNAL_REDIS_TTL_MS must be whole ms in 300..600000, got ${JSON.stringify(ttlRaw)}`);
  const prefix = env.SIGNAL_REDIS_PREFIX?.trim() || undefined;
  if (prefix !== undefined && !/^[A-Za-z0-9_.:-]{1,64}$/.test(prefix)) throw new RangeError('SIGNAL_REDIS_PREFIX must be 1-64 characters of [A-Za-z0-9_.:-]');
  return { url, ...(ttlMs === undefined ? {} : { ttlMs }), ...(prefix === undefined ? {} : { prefix }) };
}

const dist = fileURLToPath(new URL('../dist', import.meta.url));
const port = Number(process.env.PORT ?? 8080);
const host = process.env.HOST || '0.0.0.0';

if (!Number.isInteger(port) || port < 0 || port > 65535) {
  console.error(`PORT must be an integer 0..65535, got ${JSON.stringify(process.env.PORT)}`);
  process.exit(1);
}
let limits: SignalingLimits;
let ice: IceSettings;
let redis: SignalingOptions['redis'];
try {
  limits = resolveLimits(limitsFromEnv(process.env));
  ice = iceFromEnv(process.env);
  redis = redisOption(process.argv.slice(2), process.env);
} catch (err) {
  console.error((err as Error).message);
  process.exit(1);
}
if (!existsSync(path.join(dist, 'index.html'))) {
  console.warn(`warning: ${dist} has no index.html; run \`npm run build\` first (signaling still works)`);
}

let server;
try {
  server = await startSignalingServer({ port, host, staticDir: dist, limits, ice, redis });
} catch (err) {
  console.error(`could not start on ${host}:${port}: ${(err as Error).message}`);
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
