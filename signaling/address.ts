// Which remote addresses count as one client for the per-address connection cap.

/**
 * IPv4 as is, also when it arrives mapped into IPv6 (a dual-stack listener); IPv6 by its /64 prefix,
 * since one host or home router is usually handed a whole /64 and could otherwise take a fresh address
 * per connection.
 */
export function addressKey(remote: string | undefined): string {
  if (!remote) return 'unknown';
  const mapped = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i.exec(remote);
  if (mapped) return mapped[1]!;
  if (!remote.includes(':')) return remote;
  const bare = remote.split('%')[0]!; // a zone id (fe80::1%eth0) names an interface, not a host
  const [head = '', tail] = bare.split('::');
  const left = head ? head.split(':') : [];
  const right = tail ? tail.split(':') : [];
  const zeros = tail === undefined ? [] : Array<string>(Math.max(0, 8 - left.length - right.length)).fill('0');
  const groups = [...left, ...zeros, ...right].slice(0, 4);
  return `${groups.map((g) => (parseInt(g, 16) || 0).toString(16)).join(':')}::/64`;
}
