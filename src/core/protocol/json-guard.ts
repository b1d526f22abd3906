// The cost guard in front of JSON.parse for peer frames: one linear scan that refuses a frame nested
// deeper, or holding more structure, than any legal message, before the parser spends time on it.
//
// Public API
//   guardJson(json, limits?): 'too-deep' | 'too-many-values' | undefined
//                                      a drop reason, or undefined when the frame may be parsed
//   FRAME_LIMITS = { depth, units }    the default limits
//
// Why not the length limit alone: JSON.parse costs per value it builds far more than per character.
// Measured on this machine (CPU ms per MiB of JSON text, under a shared load): one long string 5,
// 40-char strings 3, objects with a few fields 7-14, one-digit numbers 23, empty objects 109, arrays
// nested 255 deep 167 (~310 ns per array); nesting 500,000 deep, 175; decimals (a heap number each)
// ~140 ns each. So a frame is judged by its units, what versions.jsonUnits counts in values: 2 per
// array or object, 1 per separator (`,` `:`), 1 more per decimal point. Units never exceed characters
// and cost at most ~155 ns each (arrays nested 255 deep), so FRAME_LIMITS.units bounds a parse to
// ~100 ms here whatever the frame's shape (see the commit that set it for the measurements).
// The scan itself is linear, skips string contents with indexOf, and stops at the first limit passed.
// Invalid JSON is not this file's business: what it lets through, JSON.parse still refuses.

export type GuardReason = 'too-deep' | 'too-many-values';

export interface FrameLimits {
  /** Deepest nesting of arrays and objects. */
  depth: number;
  /** Units: 2 per array or object, 1 per `,` `:` or `.` outside strings. */
  units: number;
}

/**
 * What legal messages need. depth: a value nests at most MAX_JSON_DEPTH (256, versions.ts) levels,
 * inside at most 6 levels of message (a handoff: message, sets, key set, set, siblings, version).
 * units: the largest legal message is one stored set at versions.MAX_MERGED_UNITS (640 Ki) of values,
 * or one shipment of at most shipping.SHIPMENT_CHARS (704 Ki chars, so as many units at most), plus
 * its own structure: clock and sibling entries (at most 1,024 of each, ~20 Ki units), a gossiped ring
 * of up to 65,536 partitions; 128 Ki more covers them.
 */
export const FRAME_LIMITS: Readonly<FrameLimits> = Object.freeze({ depth: 300, units: 768 * 1024 });

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const COLON = 0x3a;
const POINT = 0x2e;
const OPEN_ARRAY = 0x5b;
const CLOSE_ARRAY = 0x5d;
const OPEN_OBJECT = 0x7b;
const CLOSE_OBJECT = 0x7d;

export function guardJson(json: string, limits: FrameLimits = FRAME_LIMITS): GuardReason | undefined {
  // Units never exceed characters (see the header): a frame this short needs no scan for them.
  const countUnits = json.length > limits.units;
  if (!countUnits && json.length <= 2 * limits.depth) return undefined;
  let depth = 0;
  let units = 0;
  const n = json.length;
  for (let i = 0; i < n; i++) {
    const c = json.charCodeAt(i);
    if (c === QUOTE) {
      i = closingQuote(json, i);
    } else if (c === OPEN_ARRAY || c === OPEN_OBJECT) {
      if (++depth > limits.depth) return 'too-deep';
      units += 2;
    } else if (c === CLOSE_ARRAY || c === CLOSE_OBJECT) {
      depth--;
    } else if (c === COMMA || c === COLON || c === POINT) {
      units++;
    } else {
      continue;
    }
    if (countUnits && units > limits.units) return 'too-many-values';
  }
  return undefined;
}

/** The index of the quote that closes the string opened at `open` (the last index if none does). */
function closingQuote(json: string, open: number): number {
  let at = json.indexOf('"', open + 1);
  while (at !== -1) {
    let slashes = 0;
    while (json.charCodeAt(at - 1 - slashes) === BACKSLASH) slashes++;
    if (slashes % 2 === 0) return at;
    at = json.indexOf('"', at + 1);
  }
  return json.length;
}
