// Invite links: the page's URL as someone else should open it. The ring's parameters stay
// (?room=&n=&r=&w=&zone=&signal=&ice=), this tab's own node id does not (the invitee would collide
// with it), and the secret rides in the fragment, which browsers never send to a server.

/** Query parameters that are this tab's, not the room's. */
const PER_TAB = ['node'];

export function inviteLink(href: string, secret: string | undefined): string {
  const url = new URL(href);
  for (const p of PER_TAB) url.searchParams.delete(p);
  // Percent-encoded ('%20', not '+'): what a person pasting it elsewhere expects, and what secretOf reads back.
  url.hash = secret === undefined ? '' : `secret=${encodeURIComponent(secret)}`;
  return url.toString();
}

/** The secret in a page's fragment (`#secret=...`), as optionsFromUrl reads it. */
export function secretOf(hash: string): string | undefined {
  return new URLSearchParams(hash.replace(/^#/, '')).get('secret') || undefined;
}

/** A fresh secret for a new protected room: 128 random bits, base64url (22 characters). */
export function newSecret(random: (bytes: Uint8Array) => Uint8Array = (b) => crypto.getRandomValues(b)): string {
  const bytes = random(new Uint8Array(16));
  let bin = '';
  for (const b of bytes) bin += String.fromCharCode(b);
  return btoa(bin).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}
