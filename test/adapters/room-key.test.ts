// The room-secret key schedule with fixed vectors, cross-checked against an independent PBKDF2/HKDF
// (@noble/hashes) so the vectors are not just what the code happened to print.

import { hkdf } from '@noble/hashes/hkdf.js';
import { pbkdf2 } from '@noble/hashes/pbkdf2.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex } from '@noble/hashes/utils.js';
import { describe, expect, it } from 'vitest';
import { ID_PATTERN } from '../../signaling/protocol';
import { PBKDF2_ROUNDS, deriveRoomKeys, roomKeyBytes } from '../../src/adapters/secret/room-key';

const utf8 = (s: string) => new TextEncoder().encode(s);

describe('room key schedule', () => {
  it('derives the fixed room id at the default rounds', async () => {
    expect(PBKDF2_ROUNDS).toBe(600_000);
    const keys = await roomKeyBytes('demo', 'correct horse battery staple');
    expect(keys.roomId).toBe('p-c79e931013e4b5c036fff2ec80e7bf6c');
  });

  it('matches an independent PBKDF2 + HKDF, key by key (fixed vectors at 1,000 rounds)', async () => {
    const keys = await roomKeyBytes('demo', 'hunter2', 1000);
    const master = pbkdf2(sha256, utf8('hunter2'), utf8('dynamo-browser/v1/room/demo'), { c: 1000, dkLen: 32 });
    const expand = (info: string, n: number) => bytesToHex(hkdf(sha256, master, undefined, utf8(info), n));
    expect(keys.roomId).toBe(`p-${expand('dynamo-browser/v1/room-id', 16)}`);
    expect(bytesToHex(keys.signal)).toBe(expand('dynamo-browser/v1/signal', 32));
    expect(bytesToHex(keys.auth)).toBe(expand('dynamo-browser/v1/auth', 32));
    expect(keys.roomId).toBe('p-a4e696024282bcfb5bd68808fae4de70');
    expect(bytesToHex(keys.auth)).toBe('2516ebaff221066fb4f8e1af654381ead8cbcc5f91f70d3931bc4e5ee12d62ce');
  });

  it('gives a room id the signaling server accepts, and unrelated ids and keys per room and per secret', async () => {
    const a = await roomKeyBytes('demo', 's1', 1000);
    const b = await roomKeyBytes('demo', 's2', 1000);
    const c = await roomKeyBytes('demo2', 's1', 1000);
    for (const k of [a, b, c]) expect(k.roomId).toMatch(/^p-[0-9a-f]{32}$/);
    expect(ID_PATTERN.test(a.roomId)).toBe(true);
    expect(new Set([a.roomId, b.roomId, c.roomId]).size).toBe(3);
    expect(new Set([a, b, c].map((k) => bytesToHex(k.auth))).size).toBe(3);
    // Nothing of the name or the secret shows in what the server sees.
    expect(a.roomId).not.toContain('demo');
  });

  it('gives the same keys for the same room and secret, and a signal key that cannot be exported', async () => {
    const k1 = await deriveRoomKeys('r', 'same', 1000);
    const k2 = await deriveRoomKeys('r', 'same', 1000);
    expect(k1.roomId).toBe(k2.roomId);
    expect(bytesToHex(k1.auth)).toBe(bytesToHex(k2.auth));
    expect(k1.signal.extractable).toBe(false);
    expect(k1.signal.algorithm.name).toBe('AES-GCM');
  });
});
