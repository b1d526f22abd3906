// Base64url without padding, for the bytes the room-secret code puts in JSON (nonces, MACs, ciphertexts).

const ALPHABET = /^[A-Za-z0-9_-]*$/;

export function toBase64url(bytes: Uint8Array): string {
  let bin = '';
  for (let i = 0; i < bytes.length; i++) bin += String.fromCharCode(bytes[i] as number);
  return btoa(bin).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

/** The bytes of `text`, or undefined if it is not canonical unpadded base64url of at most `maxBytes`. */
export function fromBase64url(text: unknown, maxBytes: number): Uint8Array | undefined {
  if (typeof text !== 'string' || text.length > Math.ceil((maxBytes * 4) / 3) || !ALPHABET.test(text) || text.length % 4 === 1) return undefined;
  let bin: string;
  try {
    bin = atob(text.replace(/-/g, '+').replace(/_/g, '/'));
  } catch {
    return undefined;
  }
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  // Unused trailing bits must be zero, so each byte string has exactly one spelling.
  return toBase64url(out) === text ? out : undefined;
}
