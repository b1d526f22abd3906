// dynamo-node's STUN/TURN configuration: `--ice FILE|URL` (a JSON `{ iceServers, iceTransportPolicy? }`),
// else the signaling server's /ice.json, else none (peers on one network still meet).

import { open } from 'node:fs/promises';
import { defaultIceConfig, fetchIceConfig, ICE_LIMITS, parseIceText, type IceConfig } from '../../runtime/ice';
import { ValidationError } from '../../runtime/node-entry';

const fetcher = (url: string, init: { signal: AbortSignal }) => fetch(url, init);

export async function replicaIceConfig(spec: string | undefined, signalingUrl: string): Promise<IceConfig> {
  if (spec === undefined) return defaultIceConfig(signalingUrl, fetcher);
  if (/^https?:\/\//i.test(spec)) return fetchIceConfig(spec, fetcher);
  return parseIceText(await readBounded(spec), `--ice ${spec}`);
}

/** The file's text, refusing one larger than an ICE config may be before reading it whole. */
async function readBounded(path: string): Promise<string> {
  let file;
  try {
    file = await open(path, 'r');
  } catch (err) {
    throw new ValidationError(`--ice ${path} cannot be read: ${(err as Error).message}`);
  }
  try {
    const buf = Buffer.alloc(ICE_LIMITS.bytes + 1);
    const { bytesRead } = await file.read(buf, 0, buf.length, 0);
    if (bytesRead > ICE_LIMITS.bytes) throw new ValidationError(`--ice ${path} is over ${ICE_LIMITS.bytes} bytes`);
    return buf.subarray(0, bytesRead).toString('utf8');
  } finally {
    await file.close();
  }
}
