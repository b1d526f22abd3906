// The opaque causal context a client hands back on its next write (paper §4.4: "the context
// encodes system metadata about the object ... such as the version of the object").
//
// Public API:
//   type Context = { clock: VClock, except: Dot[] }
//   emptyContext() / contextOf(clock)     -> Context
//   coversContext(ctx, dot)               -> boolean
//   adoptable(ctx, known)                 -> VClock   (the part of ctx a replica may add to its clock)
//   encodeContext(ctx, key?)              -> string   ('' for the empty context)
//   decodeContext(s | undefined, key?)    -> Context  (throws ValidationError when malformed, or
//                                                      when made for another key)
//   MAX_CONTEXT_CHARS                     = 1 MiB
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
// counter], ...], tag]` (clock, exceptions, and the key's 32-bit hash in base 36). The tag binds a
// context to its key: a context read from key A and handed to a write of key B would drop B's
// siblings that its clock happens to cover, unseen, so it is refused instead.
// MAX_CONTEXT_CHARS holds the largest context a node can hand out (1,024 clock entries of 100-char
// actors and their exceptions), so a context a node returned always decodes when it comes back. Timestamps are kept: a context is merged into the
// coordinator's clock on put, and keeping each entry's ts keeps age-ordered pruning meaningful.
// It costs ~15 bytes an entry, and clocks are pruned to ~10 entries. Clients never parse it.

import { ValidationError } from './errors';
import { hashKey } from './hash';
import * as vclock from './vclock';
import type { Dot, VClock } from './vclock';

export interface Context {
  readonly clock: VClock;
  /** Dots covered by `clock` that the client has NOT seen; sorted by dot, unique. */
  readonly except: readonly Dot[];
}

export const MAX_CONTEXT_CHARS = 1024 * 1024;

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
/** Char code -> 6-bit value, -1 outside the alphabet. */
const DECODE = new Int8Array(128).fill(-1);
for (let i = 0; i < ALPHABET.length; i++) DECODE[ALPHABET.charCodeAt(i)] = i;
/** 6-bit value -> char code. */
const ENCODE = new Uint8Array(64);
for (let i = 0; i < ALPHABET.length; i++) ENCODE[i] = ALPHABET.charCodeAt(i);

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

export function encodeContext(ctx: Context, key?: string): string {
  if (ctx.clock.length === 0) return '';
  const json: unknown[] = [vclock.toJson(ctx.clock), ctx.except.map((d) => [d.node, d.counter])];
  if (key !== undefined) json.push(keyTag(key));
  return base64urlEncode(utf8Binary(JSON.stringify(json)));
}

// The UTF-8 bytes of `text` as a binary string (one char per byte). Node ids are nearly always
// ASCII, and then that is the text itself: no encoder, no byte array.
function utf8Binary(text: string): string {
  for (let i = 0; i < text.length; i++) {
    if (text.charCodeAt(i) > 0x7f) return fromCodes(new TextEncoder().encode(text));
  }
  return text;
}

/** '' and undefined mean "no context" (the empty context): a blind write. */
export function decodeContext(s: string | undefined, key?: string): Context {
  if (s === undefined || s === '') return emptyContext();
  if (typeof s !== 'string') throw new ValidationError('context: expected a string');
  if (s.length > MAX_CONTEXT_CHARS) throw new ValidationError(`context: longer than ${MAX_CONTEXT_CHARS} characters`);
  const json = parseJson(utf8Text(base64urlDecode(s)));
  if (key !== undefined && (!Array.isArray(json) || json[2] !== keyTag(key))) {
    throw new ValidationError('context: it was read from another key (a context is bound to its key)');
  }
  return contextFromJson(json);
}

function keyTag(key: string): string {
  return hashKey(key).toString(36);
}

/** The text whose UTF-8 bytes are the binary string `bin`; ASCII is itself. */
function utf8Text(bin: string): string {
  let ascii = true;
  for (let i = 0; i < bin.length && ascii; i++) ascii = bin.charCodeAt(i) < 0x80;
  if (ascii) return bin;
  const bytes = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
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
  if (!Array.isArray(json) || json.length < 2 || json.length > 3) throw new ValidationError('context: expected [clock, except, tag?]');
  if (json.length === 3 && typeof json[2] !== 'string') throw new ValidationError('context: the key tag must be a string');
  const clock = vclock.fromJson(json[0]);
  const rawExcept: unknown = json[1];
  if (!Array.isArray(rawExcept)) throw new ValidationError('context: except must be an array');
  if (rawExcept.length > vclock.MAX_CLOCK_ENTRIES) throw new ValidationError('context: too many exceptions');
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

// Binary strings in and out, into arrays of exact size: every get and put returns a context, and
// growing arrays of codes made this codec a visible cost of the simulator.
function base64urlEncode(bin: string): string {
  const len = bin.length;
  const codes = new Array<number>(Math.ceil((len * 4) / 3));
  let j = 0;
  for (let i = 0; i < len; i += 3) {
    const n = (bin.charCodeAt(i) << 16) | (i + 1 < len ? bin.charCodeAt(i + 1) << 8 : 0) | (i + 2 < len ? bin.charCodeAt(i + 2) : 0);
    codes[j++] = ENCODE[n >> 18] as number;
    codes[j++] = ENCODE[(n >> 12) & 63] as number;
    if (i + 1 < len) codes[j++] = ENCODE[(n >> 6) & 63] as number;
    if (i + 2 < len) codes[j++] = ENCODE[n & 63] as number;
  }
  return fromCodes(codes);
}

/** String.fromCharCode over many codes, in slices that stay within engines' argument limits. */
function fromCodes(codes: ArrayLike<number>): string {
  if (codes.length <= 8192) return String.fromCharCode.apply(null, codes as number[]);
  let out = '';
  for (let i = 0; i < codes.length; i += 8192) {
    out += String.fromCharCode.apply(null, Array.prototype.slice.call(codes, i, i + 8192) as number[]);
  }
  return out;
}

// Strict: only the url-safe alphabet, no padding, no impossible length, no stray low bits,
// so every context has exactly one encoding.
function base64urlDecode(s: string): string {
  if (s.length % 4 === 1) throw new ValidationError('context: bad base64url length');
  const out = new Array<number>(Math.floor((s.length * 6) / 8));
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
  return fromCodes(out);
}
