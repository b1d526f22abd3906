// ICE configuration (STUN/TURN) for a node: validating a `{ iceServers, iceTransportPolicy? }` document
// from any source (startNode options, a page's `?ice=` URL, the signaling server's /ice.json, a file
// given to dynamo-node), and fetching one with bounded size and time.

import { ValidationError } from '../core/errors';

export type IceTransportPolicy = 'all' | 'relay';

export interface IceConfig {
  iceServers: RTCIceServer[];
  /** 'relay' allows only TURN-relayed candidates. Default 'all'. */
  iceTransportPolicy?: IceTransportPolicy;
}

/** Bounds on what a config may hold: a browser builds a connection per peer from it. */
export const ICE_LIMITS = { servers: 8, urlsPerServer: 8, urlChars: 512, credentialChars: 512, bytes: 16 * 1024 } as const;

/** stun:/turn: URIs (RFC 7064, 7065): scheme, then a host; no spaces or control characters. */
const ICE_URL = /^(stuns?|turns?):[^\s\x00-\x1f]+$/;

/** The servers in `value`, validated and copied (unknown fields dropped); throws ValidationError. */
export function parseIceServers(value: unknown, where = 'iceServers'): RTCIceServer[] {
  if (!Array.isArray(value)) throw new ValidationError(`${where} must be an array`);
  if (value.length > ICE_LIMITS.servers) throw new ValidationError(`${where} holds ${value.length} servers, over ${ICE_LIMITS.servers}`);
  return value.map((s: unknown, i) => parseServer(s, `${where}[${i}]`));
}

function parseServer(s: unknown, where: string): RTCIceServer {
  if (typeof s !== 'object' || s === null || Array.isArray(s)) throw new ValidationError(`${where} must be an object`);
  const { urls, username, credential } = s as Record<string, unknown>;
  const list = typeof urls === 'string' ? [urls] : urls;
  if (!Array.isArray(list) || list.length === 0 || list.length > ICE_LIMITS.urlsPerServer) {
    throw new ValidationError(`${where}.urls must be a URL or 1-${ICE_LIMITS.urlsPerServer} URLs`);
  }
  for (const u of list) {
    if (typeof u !== 'string' || u.length > ICE_LIMITS.urlChars || !ICE_URL.test(u)) {
      throw new ValidationError(`${where}.urls: ${JSON.stringify(String(u).slice(0, 80))} is not a stun:/turn: URL of at most ${ICE_LIMITS.urlChars} characters`);
    }
  }
  const server: RTCIceServer = { urls: [...(list as string[])] };
  for (const [name, v] of [['username', username], ['credential', credential]] as const) {
    if (v === undefined) continue;
    if (typeof v !== 'string' || v.length > ICE_LIMITS.credentialChars) throw new ValidationError(`${where}.${name} must be a string of at most ${ICE_LIMITS.credentialChars} characters`);
    server[name] = v;
  }
  return server;
}

export function parseIcePolicy(value: unknown): IceTransportPolicy {
  if (value === undefined) return 'all';
  if (value !== 'all' && value !== 'relay') throw new ValidationError(`iceTransportPolicy must be 'all' or 'relay', got ${JSON.stringify(value)}`);
  return value;
}

/** A whole ICE document (as served at /ice.json), validated. */
export function parseIceConfig(doc: unknown, where = 'ICE config'): IceConfig {
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) throw new ValidationError(`${where} must be a JSON object`);
  const d = doc as Record<string, unknown>;
  return { iceServers: parseIceServers(d.iceServers ?? [], `${where}: iceServers`), iceTransportPolicy: parseIcePolicy(d.iceTransportPolicy) };
}

/** Parses JSON text of at most ICE_LIMITS.bytes into a validated config. */
export function parseIceText(text: string, where: string): IceConfig {
  if (text.length > ICE_LIMITS.bytes) throw new ValidationError(`${where} is over ${ICE_LIMITS.bytes} bytes`);
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    throw new ValidationError(`${where} is not valid JSON`);
  }
  return parseIceConfig(doc, where);
}

export type Fetcher = (url: string, init: { signal: AbortSignal; credentials?: 'omit' | 'same-origin'; cache?: 'no-store' }) => Promise<{ ok: boolean; status: number; text(): Promise<string> }>;

/** Fetches and validates the config at `url` (http: or https: only), within `timeoutMs`. */
export async function fetchIceConfig(url: string, fetcher: Fetcher, timeoutMs = 5000): Promise<IceConfig> {
  if (!/^https?:\/\//i.test(url)) throw new ValidationError(`ICE config URL must be http: or https:, got ${JSON.stringify(url.slice(0, 200))}`);
  const ctl = new AbortController();
  const timer = setTimeout(() => ctl.abort(), timeoutMs);
  try {
    const res = await fetcher(url, { signal: ctl.signal, cache: 'no-store' });
    if (!res.ok) throw new ValidationError(`ICE config ${url} answered HTTP ${res.status}`);
    return parseIceText(await res.text(), `ICE config ${url}`);
  } catch (err) {
    if (err instanceof ValidationError) throw err;
    throw new ValidationError(`ICE config ${url} could not be fetched: ${ctl.signal.aborted ? `no answer within ${timeoutMs} ms` : (err as Error).message}`);
  } finally {
    clearTimeout(timer);
  }
}

/** The signaling server's /ice.json: same host as its WebSocket URL, http(s) for ws(s). */
export function iceUrlOf(signalingUrl: string): string {
  const u = new URL(signalingUrl);
  u.protocol = u.protocol === 'wss:' ? 'https:' : 'http:';
  u.pathname = '/ice.json';
  u.search = u.hash = '';
  return u.toString();
}

/**
 * The `?ice=` of a page, resolved against the page: a path on the page's own site ('/turn.json') or an
 * explicit http(s) URL. Other schemes (javascript:, data:, file:) are refused.
 */
export function pageIceUrl(param: string, pageHref: string): string {
  if (param.length > 2048) throw new ValidationError('?ice= is over 2048 characters');
  let u: URL;
  try {
    u = new URL(param, pageHref);
  } catch {
    throw new ValidationError(`?ice= is not a URL: ${JSON.stringify(param.slice(0, 200))}`);
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new ValidationError(`?ice= must be an http(s) URL or a path on this site, got ${u.protocol}`);
  return u.toString();
}

/**
 * What a page uses: `?ice=` if given (any failure is the page's error to show), else the signaling
 * server's /ice.json, where a failure means an older or static server and is no ICE servers (loopback
 * and LAN peers still meet).
 */
export async function pageIceConfig(page: { search: string; href: string }, signalingUrl: string, fetcher: Fetcher): Promise<IceConfig> {
  const param = new URLSearchParams(page.search).get('ice');
  if (param) return fetchIceConfig(pageIceUrl(param, page.href), fetcher);
  return defaultIceConfig(signalingUrl, fetcher);
}

/** The signaling server's /ice.json, or no servers when it has none or cannot be reached. */
export async function defaultIceConfig(signalingUrl: string, fetcher: Fetcher): Promise<IceConfig> {
  try {
    return await fetchIceConfig(iceUrlOf(signalingUrl), fetcher);
  } catch {
    return { iceServers: [], iceTransportPolicy: 'all' };
  }
}
