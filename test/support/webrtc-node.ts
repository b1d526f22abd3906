// WebRTC transports in Node: simple-peer over @roamhq/wrtc, introduced by the real signaling server.

import wrtc from '@roamhq/wrtc';
import SimplePeer from 'simple-peer';
import WebSocket from 'ws';
import type { RoomKeys } from '../../src/adapters/secret/room-key';
import { SealedSignaling } from '../../src/adapters/webrtc/sealed-signaling';
import { SignalingClient, type SocketLike } from '../../src/adapters/webrtc/signaling-client';
import { WebRtcTransport, type PeerLike, type WebRtcOptions } from '../../src/adapters/webrtc/transport';

export const nodeSocket = (url: string) => new WebSocket(url) as unknown as SocketLike;

export const nodePeer: WebRtcOptions['createPeer'] = (opts) =>
  new SimplePeer({ ...opts, wrtc }) as unknown as PeerLike;

export async function openNodeTransport(
  signalUrl: string,
  room: string,
  peer: string,
  opts: Partial<Omit<WebRtcOptions, 'signaling' | 'createPeer'>> = {},
): Promise<WebRtcTransport> {
  const signaling = await SignalingClient.connect({ url: signalUrl, room, peer, socket: nodeSocket });
  return new WebRtcTransport({ ...opts, signaling, createPeer: nodePeer });
}

/**
 * A transport in a protected room: sealed signaling under `keys.signal` in room `keys.roomId`, and the
 * peer handshake under `keys.auth`. `handshake: false` leaves the handshake out (a peer that has the
 * signaling key but does not speak it), for tests of what a protected side does with such a peer.
 */
export async function openProtectedTransport(
  signalUrl: string,
  keys: RoomKeys,
  peer: string,
  opts: Partial<Omit<WebRtcOptions, 'signaling' | 'createPeer' | 'authKey'>> & { handshake?: boolean } = {},
): Promise<WebRtcTransport> {
  const { handshake = true, ...rest } = opts;
  const client = await SignalingClient.connect({ url: signalUrl, room: keys.roomId, peer, socket: nodeSocket });
  const signaling = new SealedSignaling(client, keys.signal);
  return new WebRtcTransport({ ...rest, signaling, createPeer: nodePeer, ...(handshake ? { authKey: keys.auth } : {}) });
}
