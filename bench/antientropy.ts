// Anti-entropy in Node: Merkle tree build and update cost, and what the exchange costs on the wire to
// find 1, 10 and 1,000 differing keys among 10k and 100k (issue 6, paper §4.7).
//
// Model: one replica pair sharing ONE tree of that size (a single partition holding 10k or 100k keys,
// default tree: fanout 16, 65,536 segments). A real pair shares many smaller partitions and runs one
// exchange per partition; that costs one round trip and ~370 chars per equal partition on top.
// Differences: half the differing keys hold another version at the responder, half are missing there.
// Bytes are JSON characters of the exchange payloads (what node.ts wraps and sends); round trips are
// rounds / 2, counted until both sides know the whole diff (the repair that follows is not counted).

import { sha256 } from '@noble/hashes/sha2.js';
import { MerkleTree, digestOf } from '../src/core/merkle';
import { receive, respond, start } from '../src/core/antientropy-exchange';
import type { ExchangeOptions, Step } from '../src/core/antientropy-exchange';
import { validateExchangePayload, type ExchangePayload } from '../src/core/protocol/antientropy';
import { toBase64Url } from '../src/core/protocol/base64url';
import { utf8 } from '../src/core/hash';
import * as versions from '../src/core/versions';
import { emptyContext } from '../src/core/context';
import { single, summarize, type Row } from './stats';

interface Cost {
  chars: number;
  payloads: number;
  rounds: number;
  keysShipped: number;
  found: number;
  ms: number;
}

/** Runs one exchange a → b through JSON and the validator, as the wire would. */
function exchange(a: MerkleTree, b: MerkleTree, opts: ExchangeOptions): Cost {
  const t0 = performance.now();
  let chars = 0;
  let payloads = 0;
  let rounds = 0;
  let keysShipped = 0;
  const wire = (ps: ExchangePayload[]): ExchangePayload[] => {
    if (ps.length > 0) rounds++;
    return ps.map((p) => {
      const s = JSON.stringify(p);
      chars += s.length;
      payloads++;
      for (const it of p.items) if ('k' in it) keysShipped += it.k.length;
      const v = validateExchangePayload(JSON.parse(s));
      if (v === null) throw new Error('bench: our own payload failed validation');
      return v;
    });
  };
  let sa: Step = start(a, opts);
  let sb: Step | undefined;
  let toB = wire(sa.send);
  while (toB.length > 0) {
    const toA: ExchangePayload[] = [];
    for (const p of toB) {
      sb = sb === undefined ? respond(b, p, opts) : receive(sb.session, b, p);
      toA.push(...sb.send);
    }
    const next: ExchangePayload[] = [];
    for (const p of wire(toA)) {
      sa = receive(sa.session, a, p);
      next.push(...sa.send);
    }
    toB = wire(next);
  }
  const d = sa.diff;
  const found = d === null ? -1 : d.localOnly.length + d.remoteOnly.length + d.different.length;
  return { chars, payloads, rounds, keysShipped, found, ms: performance.now() - t0 };
}

const keyOf = (i: number): string => `cart:user-${i}`;
const fakeDigest = (s: string): string => toBase64Url(sha256(utf8(s)).subarray(0, 16));

function buildTree(n: number, digests: string[]): MerkleTree {
  const t = new MerkleTree();
  for (let i = 0; i < n; i++) t.insert(keyOf(i), digests[i] as string);
  t.root();
  return t;
}

export function benchAntiEntropy(quick: boolean): Row[] {
  const rows: Row[] = [];
  const sizes = [10_000, 100_000];
  const diffs = [1, 10, 1000];
  const configs: Array<[string, ExchangeOptions]> = quick
    ? [['', {}]]
    : [
        ['', {}],
        [', one level per round', { batchHashes: 0 }],
      ];

  // digestOf on realistic sets: one sibling, a small cart value.
  const sets = Array.from({ length: 10_000 }, (_, i) =>
    versions.put(versions.empty(), { coordinator: `node-${i % 5}`, context: emptyContext(), value: { items: ['book', i], qty: i % 7 }, now: 1_700_000_000_000 + i }).set,
  );
  const digestMs: number[] = [];
  for (let rep = 0; rep < (quick ? 2 : 5); rep++) {
    const t0 = performance.now();
    for (const s of sets) digestOf(s);
    digestMs.push(performance.now() - t0);
  }
  rows.push(summarize('merkle: digestOf(sibling set), per 10k sets', digestMs, 'ms', 'SHA-256 of versions.digestInput'));

  for (const n of sizes) {
    const digests = Array.from({ length: n }, (_, i) => fakeDigest(`v${i}`));
    const buildMs: number[] = [];
    let a = new MerkleTree();
    for (let rep = 0; rep < (quick ? 1 : 3); rep++) {
      const t0 = performance.now();
      a = buildTree(n, digests);
      buildMs.push(((performance.now() - t0) * 10_000) / n);
    }
    rows.push(summarize(`merkle: build from ${n / 1000}k keys (insert + hash), per 10k keys`, buildMs, 'ms'));

    // Incremental upkeep: one write then a root read, as anti-entropy would see it.
    const ops = quick ? 300 : 2000;
    const upd: number[] = [];
    for (let j = 0; j < ops; j++) {
      const k = keyOf((j * 7919) % n);
      const t0 = performance.now();
      a.insert(k, fakeDigest(`w${j}`));
      a.root();
      upd.push((performance.now() - t0) * 1000);
    }
    for (let j = 0; j < ops; j++) a.insert(keyOf((j * 7919) % n), digests[(j * 7919) % n] as string);
    rows.push(summarize(`merkle: one write + root(), ${n / 1000}k keys`, upd, 'µs', 'incremental: no rebuild'));

    const b = buildTree(n, digests);
    for (const d of diffs) {
      const touched: number[] = [];
      for (let j = 0; j < d; j++) {
        const i = Math.floor(((j + 0.5) * n) / d);
        touched.push(i);
        if (j % 2 === 0) b.insert(keyOf(i), fakeDigest(`other${i}`));
        else b.remove(keyOf(i));
      }
      for (const [label, opts] of configs) {
        const c = exchange(a, b, opts);
        const ok = c.found === d ? '' : ` FOUND ${c.found}, expected ${d}!`;
        rows.push(
          single(
            `anti-entropy: find ${d} diff${d > 1 ? 's' : ''} among ${n / 1000}k keys${label}`,
            c.chars,
            'bytes',
            `${c.rounds / 2} round trips (${c.payloads} msgs), ${(c.chars / d).toFixed(0)} B and ${(c.keysShipped / d).toFixed(1)} keys shipped per diff, ${c.ms.toFixed(0)} ms${ok}`,
          ),
        );
      }
      for (const i of touched) b.insert(keyOf(i), digests[i] as string);
    }
    const eq = exchange(a, b, {});
    rows.push(single(`anti-entropy: equal trees, ${n / 1000}k keys`, eq.chars, 'bytes', `${eq.rounds / 2} round trip (${eq.payloads} msgs)`));
  }
  return rows;
}
