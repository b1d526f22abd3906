// The DTLS certificate fingerprints an SDP announces (`a=fingerprint:` lines, RFC 8122), in one
// canonical spelling, for the peer handshake to bind a proof to this WebRTC session (handshake.ts).

/** Far above what one SDP holds (one per media section), below what costs anything to sort. */
const MAX_LINES = 16;
const LINE = /^a=fingerprint:([A-Za-z0-9-]{1,16}) ([0-9A-Fa-f]{2}(?::[0-9A-Fa-f]{2}){15,63})\s*$/;

/**
 * The fingerprints in `sdp`, lowercased, deduplicated, sorted and joined by ','; undefined when it
 * has none, too many, or a malformed one (a session cannot be bound to what cannot be read).
 */
export function sdpFingerprint(sdp: unknown): string | undefined {
  if (typeof sdp !== 'string') return undefined;
  const found = new Set<string>();
  for (const line of sdp.split(/\r?\n/)) {
    if (!line.startsWith('a=fingerprint:')) continue;
    const m = LINE.exec(line);
    if (!m) return undefined;
    found.add(`${(m[1] as string).toLowerCase()} ${(m[2] as string).toLowerCase()}`);
    if (found.size > MAX_LINES) return undefined;
  }
  return found.size > 0 ? [...found].sort().join(',') : undefined;
}

/** The SDP of an offer or answer as simple-peer signals it, else undefined (candidates, renegotiation). */
export function descriptionSdp(signal: unknown): string | undefined {
  if (typeof signal !== 'object' || signal === null) return undefined;
  const s = signal as { type?: unknown; sdp?: unknown };
  return (s.type === 'offer' || s.type === 'answer') && typeof s.sdp === 'string' ? s.sdp : undefined;
}
