// The transport contract against real WebRTC data channels (simple-peer + @roamhq/wrtc in Node).

import { startSignalingServer } from '../../signaling/server';
import type { Transport } from '../../src/ports/transport';
import { openNodeTransport } from '../support/webrtc-node';
import { transportContract } from './transport.contract';

let room = 0;

transportContract('webrtc', async () => {
  const server = await startSignalingServer({ port: 0, host: '127.0.0.1' });
  const url = `${server.url.replace('http', 'ws')}/signal`;
  const name = `contract-${++room}`;
  const open: Transport[] = [];
  return {
    open: async (id) => {
      const t = await openNodeTransport(url, name, id);
      open.push(t);
      return t;
    },
    cleanup: async () => {
      for (const t of open) await t.close();
      await server.close();
    },
  };
});
