// The transport contract against real WebRTC data channels in a protected room: sealed signaling and
// the peer handshake on every link (simple-peer + @roamhq/wrtc in Node).

import { startSignalingServer } from '../../signaling/server';
import { deriveRoomKeys } from '../../src/adapters/secret/room-key';
import type { Transport } from '../../src/ports/transport';
import { openProtectedTransport } from '../support/webrtc-node';
import { transportContract } from './transport.contract';

let room = 0;

transportContract('webrtc, protected room', async () => {
  const server = await startSignalingServer({ port: 0, host: '127.0.0.1' });
  const url = `${server.url.replace('http', 'ws')}/signal`;
  const keys = await deriveRoomKeys(`contract-${++room}`, 'contract secret', 1000);
  const open: Transport[] = [];
  return {
    open: async (id) => {
      const t = await openProtectedTransport(url, keys, id);
      open.push(t);
      return t;
    },
    cleanup: async () => {
      for (const t of open) await t.close();
      await server.close();
    },
  };
});
