// The Node side: the signaling server (serving the built page from dist/) and an always-on replica
// that keeps the list on disk. Reads commands on stdin: `add TEXT`, `list`, `quit`; prints the list
// as one JSON line whenever it changes.

import { createInterface } from 'node:readline';
import { startSignalingServer } from 'dynamo-browser/signaling';
import { startNode } from 'dynamo-browser/node';
import { add, resolveTodos, todos, TODOS_KEY } from './src/todos.js';

const port = Number(process.env.PORT ?? 8090);
const room = process.env.ROOM ?? 'todos';
const server = await startSignalingServer({ port, host: '127.0.0.1', staticDir: new URL('../dist', import.meta.url) });
const node = await startNode({ room, signalingUrl: `ws://127.0.0.1:${server.port}/signal`, dataDir: process.env.DATA_DIR ?? '.dynamo-todo' });

const print = (what: object) => process.stdout.write(`${JSON.stringify(what)}\n`);
print({ url: `${server.url}/?room=${encodeURIComponent(room)}`, node: node.id });
node.watch(TODOS_KEY, (read) => print({ todos: todos(resolveTodos(read.values)).map((t) => t.text) }));

for await (const line of createInterface({ input: process.stdin })) {
  const [cmd, ...rest] = line.trim().split(' ');
  if (cmd === 'add') await node.update(TODOS_KEY, (l) => add(l, rest.join(' ')), { resolve: resolveTodos });
  else if (cmd === 'list') print({ todos: todos(resolveTodos((await node.get(TODOS_KEY)).values)).map((t) => t.text), members: node.members().length });
  else if (cmd === 'quit') break;
}
await node.stop();
await server.close();
