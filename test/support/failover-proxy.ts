// A TCP front for tests, as a load balancer in a deployment: each connection goes to the first backend
// that accepts it, in the order given, so when a backend dies its clients' reconnects reach the next.

import { connect, createServer, type Server, type Socket } from 'node:net';

export interface Front {
  port: number;
  url: string;
  close(): Promise<void>;
}

export async function failoverProxy(backends: number[], host = '127.0.0.1'): Promise<Front> {
  const open = new Set<Socket>();
  const server: Server = createServer((client) => {
    open.add(client);
    client.on('close', () => open.delete(client));
    client.on('error', () => client.destroy());
    client.pause();
    const attempt = (i: number): void => {
      if (i >= backends.length) return void client.destroy();
      const upstream = connect(backends[i]!, host);
      let connected = false;
      upstream.once('error', () => {
        upstream.destroy();
        if (connected) client.destroy();
        else attempt(i + 1);
      });
      upstream.once('connect', () => {
        connected = true;
        open.add(upstream);
        upstream.on('close', () => {
          open.delete(upstream);
          client.destroy();
        });
        client.on('close', () => upstream.destroy());
        client.pipe(upstream).pipe(client);
        client.resume();
      });
    };
    attempt(0);
  });
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    port,
    url: `http://${host}:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of open) s.destroy();
        server.close(() => resolve());
      }),
  };
}
