// The room secret's way in: read from the page's fragment only (never the query, which is sent to the
// server), validated, and never kept in the options a node exposes; and invite links that carry it in
// the fragment and leave this tab's node id out.

import { describe, expect, it } from 'vitest';
import { inviteLink, newSecret, secretOf } from '../../src/apps/shared/invite';
import { ValidationError } from '../../src/core/errors';
import { optionsFromUrl, resolveOptions } from '../../src/runtime/options';

const page = (search: string, hash = '') => ({ search, hash, host: 'localhost:8080', protocol: 'http:' });

describe('room secret options', () => {
  it('reads the secret from the fragment, percent-decoded, and none from an empty one', () => {
    expect(optionsFromUrl(page('?room=r', '#secret=s%C3%A9cret%20%26x')).secret).toBe('sécret &x');
    expect(optionsFromUrl(page('?room=r', '#secret=')).secret).toBeUndefined();
    expect('secret' in optionsFromUrl(page('?room=r'))).toBe(false);
  });

  it('refuses a secret in the query', () => {
    expect(() => optionsFromUrl(page('?room=r&secret=oops'))).toThrow(ValidationError);
  });

  it('validates the secret, says whether the room is protected, and does not keep the secret', () => {
    const base = { room: 'r', signalingUrl: 'ws://x/signal' };
    const resolved = resolveOptions({ ...base, secret: 'hunter2' });
    expect(resolved.protected).toBe(true);
    expect(JSON.stringify(resolved)).not.toContain('hunter2');
    expect(resolveOptions(base).protected).toBe(false);
    for (const secret of ['', 'x'.repeat(1025), 42 as unknown as string]) {
      expect(() => resolveOptions({ ...base, secret })).toThrow(ValidationError);
    }
  });
});

describe('invite links', () => {
  it('keep the ring\'s parameters, drop this tab\'s node id, and carry the secret in the fragment only', () => {
    const link = inviteLink('http://localhost:8080/ring.html?room=r&node=n-me&n=3&w=2#secret=old', 'a b&c');
    const url = new URL(link);
    expect(url.pathname).toBe('/ring.html');
    expect([...url.searchParams]).toEqual([['room', 'r'], ['n', '3'], ['w', '2']]);
    expect(url.hash).toBe('#secret=a%20b%26c');
    expect(secretOf(url.hash)).toBe('a b&c');
    expect(url.search).not.toContain('secret');
    expect(new URL(inviteLink('http://h/?room=r#secret=s', undefined)).hash).toBe('');
  });

  it('makes fresh secrets of 128 random bits', () => {
    expect(newSecret(() => new Uint8Array(16).fill(255))).toBe('_____________________w');
    expect(newSecret()).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(newSecret()).not.toBe(newSecret());
  });
});
