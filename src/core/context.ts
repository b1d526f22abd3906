// The opaque causal context a client hands back on its next write (paper §4.4: "the context
// encodes system metadata about the object ... such as the version of the object").
//
// Public API:
//   type Context = { clock: VClock, except: Dot[] }
//   emptyContext() / contextOf(clock)     -> Context
//   coversContext(ctx, dot)               -> boolean
//   adoptable(ctx, known)                 -> VClock   (the part of ctx a replica may add to its clock)
//   encodeContext(ctx)                    -> string   ('' for the empty context)
//   decodeContext(s | undefined)          -> Context  (throws ValidationError when malformed)
//   MAX_CONTEXT_CHARS                     = 16 KiB
//
// A context is a version vector with exceptions (Malkhi & Terry, "Concise version vectors in
// WinFS"): the events `clock` covers, minus the dots in `except`. Why exceptions: after a put the
// client has seen its own new version but not the concurrent siblings the coordinator still holds.
// A plain vector covering the new dot would also cover those siblings (same coordinator, lower
// counters), and the client's next write would silently drop values it never saw. A read's context
// has no exceptions; a put's context excepts exactly the siblings it left standing, so there are
// never more exceptions than concurrent writers.
//
// Wire format: base64url (no padding) of the UTF-8 JSON `[[[node, counter, ts], ...], [[node,
// counter], ...]]` (clock, then exceptions). Timestamps are kept: a context is merged into the
// coordinator's clock on put, and keeping each entry's ts keeps age-ordered pruning meaningful.
// It costs ~15 bytes an entry, and clocks are pruned to ~10 entries. Clients never parse it.

import { ValidationError } from './errors';
import * as vclock from './vclock';
import type { Dot, VClock } from './vclock';

export interface Context {
  readonly clock: VClock;
  /** Dots covered by `clock` that the client has NOT seen; sorted by dot, unique. */
  readonly except: readonly Dot[];
}

export const MAX_CONTEXT_CHARS = 16 * 1024;

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
/** Char code -> 6-bit value, -1 outside the alphabet. */
const DECODE = new Int8Array(128).fill(-1);
for (let i = 0; i < ALPHABET.length; i++) DECODE[ALPHABET.charCodeAt(i)] = i;

export function emptyContext(): Context {
  return { clock: vclock.empty(), except: [] };
}

/** The context of a client that has seen everything `clock` covers (e.g. after a read). */
export function contextOf(clock: VClock): Context {
  return { clock, except: [] };
}

export function coversContext(ctx: Context, dot: Dot): boolean {
  return vclock.covers(ctx.clock, dot) && !ctx.except.some((x) => vclock.compareDots(x, dot) === 0);
}

/**
 * The part of `ctx.clock` a replica whose clock is `known` may merge into its own clock. A version
 * vector cannot express holes, so each entry is cut just below the lowest exception the replica
 * has not itself seen: claiming an unseen concurrent version as seen would let merges drop it.
 */
export function adoptable(ctx: Context, known: VClock): VClock {
  if (ctx.except.length === 0) return ctx.clock; // a read's context: nothing to cut
  const cut = new Map<string, number>();
  for (const x of ctx.except) {
    if (vclock.covers(known, x)) continue;
    cut.set(x.node, Math.min(cut.get(x.node) ?? Infinity, x.counter - 1));
  }
  if (cut.size === 0) return ctx.clock; // nothing to cut: the clock is already canonical
  const entries = ctx.clock.map((e) => ({ ...e, counter: Math.min(e.counter, cut.get(e.node) ?? Infinity) }));
  return vclock.fromEntries(entries.filter((e) => e.counter > 0));
}

export function encodeContext(ctx: Context): string {
  if (ctx.clock.length === 0) return '';
  const json = [vclock.toJson(ctx.clock), ctx.except.map((d) => [d.node, d.counter])];
  return base64urlEncode(utf8Bytes(JSON.stringify(json)));
}

// Node ids are nearly always ASCII, and then the bytes are the char codes: no encoder needed.
function utf8Bytes(text: string): Uint8Array {
  const out = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c > 0x7f) return new TextEncoder().encode(text);
    out[i] = c;
  }
  return out;
}

/** '' and undefined mean "no context" (the empty context): a blind write. */
export function decodeContext(s: string | undefined): Context {
  if (s === undefined || s === '') return emptyContext();
  if (typeof s !== 'string') throw new ValidationError('context: expected a string');
  if (s.length > MAX_CONTEXT_CHARS) throw new ValidationError(`context: longer than ${MAX_CONTEXT_CHARS} characters`);
  return contextFromJson(parseJson(utf8(base64urlDecode(s))));
}

function utf8(bytes: Uint8Array): string {
  let ascii = true;
  for (let i = 0; i < bytes.length && ascii; i++) ascii = (bytes[i] as number) < 0x80;
  if (ascii && bytes.length <= 8192) return String.fromCharCode.apply(null, bytes as unknown as number[]);
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new ValidationError('context: not valid UTF-8');
  }
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new ValidationError('context: not valid JSON');
  }
}

/** Validates the decoded JSON `[clock, except]`; throws ValidationError when malformed. */
export function contextFromJson(json: unknown): Context {
  if (!Array.isArray(json) || json.length !== 2) throw new ValidationError('context: expected [clock, except]');
  const clock = vclock.fromJson(json[0]);
  const rawExcept: unknown = json[1];
  if (!Array.isArray(rawExcept)) throw new ValidationError('context: except must be an array');
  const except = rawExcept.map((x: unknown) => dotFromJson(x, clock)).sort(vclock.compareDots);
  for (let i = 1; i < except.length; i++) {
    if (vclock.compareDots(except[i - 1] as Dot, except[i] as Dot) === 0) throw new ValidationError('context: duplicate exception');
  }
  return { clock, except };
}

function dotFromJson(x: unknown, clock: VClock): Dot {
  if (!Array.isArray(x) || x.length !== 2) throw new ValidationError('context: an exception must be [node, counter]');
  const [node, counter] = x as [unknown, unknown];
  vclock.checkEntry(node, counter, 0);
  const dot: Dot = { node: node as string, counter: counter as number };
  if (!vclock.covers(clock, dot)) throw new ValidationError('context: an exception outside the clock');
  return dot;
}

function base64urlEncode(bytes: Uint8Array): string {
  const codes: number[] = [];
  for (let i = 0; i < bytes.length; i += 3) {
    const n = ((bytes[i] ?? 0) << 16) | ((bytes[i + 1] ?? 0) << 8) | (bytes[i + 2] ?? 0);
    const chars = Math.min(4, Math.ceil(((bytes.length - i) * 8) / 6));
    for (let k = 0; k < chars; k++) codes.push(ALPHABET.charCodeAt((n >> (18 - 6 * k)) & 63));
  }
  return codes.length <= 8192 ? String.fromCharCode.apply(null, codes) : codes.map((c) => String.fromCharCode(c)).join('');
}

// Strict: only the url-safe alphabet, no padding, no impossible length, no stray low bits,
// so every context has exactly one encoding.
function base64urlDecode(s: string): Uint8Array {
  if (s.length % 4 === 1) throw new ValidationError('context: bad base64url length');
  const out = new Uint8Array(Math.floor((s.length * 6) / 8));
  let acc = 0;
  let bits = 0;
  let j = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    const v = c < 128 ? (DECODE[c] as number) : -1;
    if (v < 0) throw new ValidationError('context: not base64url');
    acc = ((acc << 6) | v) & 0xffffff;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[j++] = (acc >> bits) & 0xff;
    }
  }
  if ((acc & ((1 << bits) - 1)) !== 0) throw new ValidationError('context: not canonical base64url');
  return out;
}
