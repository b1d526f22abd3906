// `dynamo-node`: an always-on replica in Node (DESIGN.md, "Node replica"). Joins a room like a tab,
// keeps its data and id in a directory, prints one line with its id once it serves, and stops
// cleanly on SIGINT/SIGTERM (a second signal exits at once).

import { parseArgs } from 'node:util';
import { startNode, type DynamoNode } from '../../runtime/node-entry';
import { replicaIceConfig } from './ice';

const USAGE = `Usage: dynamo-node --room R --signal ws://HOST:PORT/signal [--data DIR] [--secret S] [--zone Z] [--id ID] [--n N --r R --w W] [--ice FILE|URL]

  --room R      the ring to join (as in a tab's ?room=)
  --signal URL  the signaling server's WebSocket URL
  --data DIR    where data and the node id live (default .dynamo/<room>); one process per directory
  --secret S    the room's secret (README, "Trust model"); better DYNAMO_SECRET=S in the environment,
                which stays out of ps. A DIR serves one secret.
  --zone Z      this replica's failure domain (default: the host name); a key's replicas span zones
  --id ID       pin the node id (default: the one kept in DIR, else a fresh one)
  --n, --r, --w replication and quorum sizes (defaults 3, 2, 2; must match the ring's)
  --ice FILE|URL  STUN/TURN as JSON { iceServers, iceTransportPolicy? } (default: the signaling
                server's /ice.json, which mints short-lived TURN credentials; none if it has none)
  --help        this text
`;

/** What the command line asks for, or the reason it cannot be run (exit code 2). */
export function parseCommandLine(argv: string[], env: Record<string, string | undefined> = {}): { help: true } | { help: false; options: Parameters<typeof startNode>[0]; ice?: string } {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      room: { type: 'string' },
      signal: { type: 'string' },
      data: { type: 'string' },
      id: { type: 'string' },
      secret: { type: 'string' },
      zone: { type: 'string' },
      n: { type: 'string' },
      r: { type: 'string' },
      w: { type: 'string' },
      ice: { type: 'string' },
      help: { type: 'boolean' },
    },
  });
  if (values.help) return { help: true };
  if (!values.room) throw new Error('--room is required');
  if (!values.signal) throw new Error('--signal is required');
  const num = (flag: 'n' | 'r' | 'w'): number | undefined => {
    const v = values[flag];
    if (v === undefined) return undefined;
    if (!/^\d+$/.test(v)) throw new Error(`--${flag} must be a whole number, got ${JSON.stringify(v)}`);
    return Number(v);
  };
  const secret = values.secret ?? (env.DYNAMO_SECRET || undefined);
  const options = { room: values.room, signalingUrl: values.signal, dataDir: values.data, nodeId: values.id, zone: values.zone, n: num('n'), r: num('r'), w: num('w') };
  const ice = values.ice === undefined ? {} : { ice: values.ice };
  return { help: false, options: secret === undefined ? options : { ...options, secret }, ...ice };
}

async function main(): Promise<void> {
  let parsed: ReturnType<typeof parseCommandLine>;
  try {
    parsed = parseCommandLine(process.argv.slice(2), process.env);
  } catch (err) {
    process.stderr.write(`dynamo-node: ${(err as Error).message}\n\n${USAGE}`);
    process.exit(2);
  }
  if (parsed.help) {
    process.stdout.write(USAGE);
    return;
  }
  let node: DynamoNode;
  try {
    const ice = await replicaIceConfig(parsed.ice, parsed.options.signalingUrl);
    node = await startNode({ ...parsed.options, ...ice });
  } catch (err) {
    process.stderr.write(`dynamo-node: ${(err as Error).name === 'Error' ? '' : `${(err as Error).name}: `}${(err as Error).message}\n`);
    process.exit(1);
  }
  process.stdout.write(`dynamo-node ${node.id} serving room ${parsed.options.room}${node.room.protected ? ' (protected)' : ''}\n`);
  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) process.exit(1);
    stopping = true;
    process.stderr.write(`dynamo-node: ${signal}, stopping\n`);
    node.stop().then(
      () => process.exit(0),
      (err: unknown) => {
        process.stderr.write(`dynamo-node: stop failed: ${(err as Error).message}\n`);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
}

await main();
