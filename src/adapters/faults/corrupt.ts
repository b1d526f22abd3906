// Damages one message at random, the way a buggy encoder, bad memory or a broken middlebox would.
//
// Public API
//   corruptMessage(data, random): { data, kind }   the damaged text, never equal to `data`
//   CORRUPTIONS                                     the kinds: flip | truncate | duplicate | garbage
//
// Why these four: a flip keeps the length and the framing (only a checksum can tell), a truncation
// and a duplicated chunk change the length (a length check or the JSON parser may tell), garbage
// changes everything. Positions are uniform over the whole text, checksum and JSON alike.

import { randomInt, type Random } from '../../ports/random';

export const CORRUPTIONS = ['flip', 'truncate', 'duplicate', 'garbage'] as const;
export type Corruption = (typeof CORRUPTIONS)[number];

/** At most this many characters flipped, duplicated, or made up as garbage. */
const MAX_FLIPS = 4;
const MAX_CHUNK = 64;
const MAX_GARBAGE = 256;

/**
 * What replaces a character: hex digits (so a damaged checksum still looks like one), JSON's
 * punctuation, letters, a non-ASCII letter, a line separator and a lone high surrogate (which a data
 * channel's UTF-8 transcoding turns into U+FFFD).
 */
const ALPHABET = '0123456789abcdef{}[]":,-. \\nlrtuABCZxyz\u00e9\u2028\ud83d'; // no character twice

export function corruptMessage(data: string, random: Random): { data: string; kind: Corruption } {
  // Nothing to flip, cut or copy in an empty message: only garbage can change it.
  const kind = data.length === 0 ? 'garbage' : CORRUPTIONS[randomInt(random, CORRUPTIONS.length)]!;
  switch (kind) {
    case 'flip':
      return { data: flip(data, random), kind };
    case 'truncate':
      return { data: data.slice(0, randomInt(random, data.length)), kind };
    case 'duplicate':
      return { data: duplicate(data, random), kind };
    case 'garbage':
      return { data: garbage(data, random), kind };
  }
}

/** One to MAX_FLIPS characters replaced, each by a different one, at distinct places (so none undoes another). */
function flip(data: string, random: Random): string {
  const chars = data.split('');
  const flips = 1 + randomInt(random, Math.min(MAX_FLIPS, chars.length));
  const places = new Set<number>();
  while (places.size < flips) places.add(randomInt(random, chars.length));
  for (const at of places) chars[at] = other(chars[at]!, random);
  return chars.join('');
}

/** A chunk of the message copied in again somewhere: always longer, so always different. */
function duplicate(data: string, random: Random): string {
  const start = randomInt(random, data.length);
  const end = start + 1 + randomInt(random, Math.min(MAX_CHUNK, data.length - start));
  const at = randomInt(random, data.length + 1);
  return data.slice(0, at) + data.slice(start, end) + data.slice(at);
}

function garbage(data: string, random: Random): string {
  let out = '';
  const length = randomInt(random, MAX_GARBAGE + 1);
  for (let i = 0; i < length; i++) out += ALPHABET[randomInt(random, ALPHABET.length)];
  return out === data ? out + other(data.at(-1) ?? 'x', random) : out;
}

const LONE_SURROGATE = '\ud83d';

/**
 * A character of the alphabet that arrives as something other than `c`. A lone surrogate arrives
 * as U+FFFD, so it is no change to a U+FFFD.
 */
function other(c: string, random: Random): string {
  const same = (x: string) => x === c || (x === LONE_SURROGATE && c === '\ufffd');
  const pick = ALPHABET[randomInt(random, ALPHABET.length)]!;
  return same(pick) ? ALPHABET[(ALPHABET.indexOf(pick) + 1) % ALPHABET.length]! : pick;
}
