// The transport contract: what every Transport adapter (memory, simulated, WebRTC) must do.

import { afterEach, describe, expect, it } from 'vitest';
import type { NodeId, Transport } from '../../src/ports/transport';
import { until, waitFor } from '../support/wait';

export interface TransportHarness {
  /** Starts a node's transport on the shared network (a fresh one if `id` was closed). */
  open(id: NodeId): Promise<Transport>;
  cleanup(): Promise<void>;
}

export function transportContract(name: string, makeHarness: () => Promise<TransportHarness>, timeoutMs = 10_000) {
  describe(`Transport contract: ${name}`, () => {
    let harness: TransportHarness | undefined;
    const open = async (...ids: NodeId[]) => {
      harness ??= await makeHarness();
      const ts: Transport[] = [];
      for (const id of ids) ts.push(await harness.open(id));
      return ts;
    };
    const linked = (ts: Transport[]) =>
      until(() => ts.every((t) => t.peers().length === ts.length - 1), timeoutMs, 'full mesh');

    afterEach(async () => {
      await harness?.cleanup();
      harness = undefined;
    });

    it('links every pair and announces each peer as up', async () => {
      const [a, b, c] = (await open('a', 'b', 'c')) as [Transport, Transport, Transport];
      const upsOfC: NodeId[] = [];
      c.onPeerUp((p) => upsOfC.push(p));
      await linked([a, b, c]);
      expect(a.peers().sort()).toEqual(['b', 'c']);
      expect(c.peers().sort()).toEqual(['a', 'b']);
      await until(() => upsOfC.length === 2, timeoutMs, 'up events');
      expect(upsOfC.sort()).toEqual(['a', 'b']);
    });

    it('delivers messages in order per link, in both directions at once', async () => {
      const [a, b] = (await open('a', 'b')) as [Transport, Transport];
      await linked([a, b]);
      const atB: string[] = [];
      const atA: string[] = [];
      b.onMessage((from, d) => from === 'a' && atB.push(d));
      a.onMessage((from, d) => from === 'b' && atA.push(d));
      const want = Array.from({ length: 200 }, (_, i) => `m${i}`);
      for (const m of want) {
        expect(a.send('b', m)).toBe(true);
        expect(b.send('a', m)).toBe(true);
      }
      await until(() => atB.length === 200 && atA.length === 200, timeoutMs, '200 messages each way');
      expect(atB).toEqual(want);
      expect(atA).toEqual(want);
    });

    it('delivers messages far larger than one frame intact, multibyte characters included', async () => {
      const [a, b] = (await open('a', 'b')) as [Transport, Transport];
      await linked([a, b]);
      const small = 'x'.repeat(200 * 1024);
      const unicode = '😀é中'.repeat(100_000);
      const got = waitFor(b.onMessage.bind(b), (_f, d: string) => d.length === unicode.length, timeoutMs, 'large');
      expect(a.send('b', small)).toBe(true);
      expect(a.send('b', unicode)).toBe(true);
      const [from, data] = await got;
      expect(from).toBe('a');
      expect(data === unicode).toBe(true);
      await a.drain('b');
    });

    it('refuses to send to a peer without a link', async () => {
      const [a] = (await open('a')) as [Transport];
      expect(a.send('nobody', 'hi')).toBe(false);
      await a.drain('nobody');
    });

    it('reports a closed peer down, and links it again when it comes back', async () => {
      const [a, b] = (await open('a', 'b')) as [Transport, Transport];
      await linked([a, b]);
      const down = waitFor(a.onPeerDown.bind(a), (p) => p === 'b', timeoutMs, 'b down');
      await b.close();
      await down;
      expect(a.peers()).toEqual([]);
      expect(b.send('a', 'after close')).toBe(false);
      expect(a.send('b', 'to the departed')).toBe(false);

      const up = waitFor(a.onPeerUp.bind(a), (p) => p === 'b', timeoutMs, 'b up again');
      const [b2] = (await open('b')) as [Transport];
      await up;
      const got = waitFor<[string, string]>(b2.onMessage.bind(b2), () => true, timeoutMs, 'message on the new link');
      await until(() => a.send('b', 'welcome back'), timeoutMs, 'link usable');
      expect((await got)[1]).toBe('welcome back');
    });

    it('disconnect drops a link: down here at once, then at the peer, and the pair links again', async () => {
      const [a, b] = (await open('a', 'b')) as [Transport, Transport];
      await linked([a, b]);
      for (const [from, to] of [
        [a, b],
        [b, a],
      ] as const) {
        const downs: NodeId[] = [];
        const off = from.onPeerDown((p) => downs.push(p));
        const downThere = waitFor(to.onPeerDown.bind(to), (p) => p === from.self, timeoutMs, `${to.self} hears the close`);
        const upAgain = waitFor(from.onPeerUp.bind(from), (p) => p === to.self, timeoutMs, `${from.self} linked again`);
        from.disconnect(to.self);
        expect(downs).toEqual([to.self]);
        expect(from.peers()).toEqual([]);
        expect(from.send(to.self, 'after disconnect')).toBe(false);
        from.disconnect(to.self); // no link: a no-op
        expect(downs).toEqual([to.self]);
        off();
        await downThere;
        await upAgain;
        await linked([a, b]);
        const got = waitFor<[string, string]>(to.onMessage.bind(to), () => true, timeoutMs, 'message on the new link');
        await until(() => from.send(to.self, 'on the new link'), timeoutMs, 'link usable');
        expect((await got)[1]).toBe('on the new link');
      }
    });

    it('keeps delivering when a message listener throws', async () => {
      const [a, b] = (await open('a', 'b')) as [Transport, Transport];
      await linked([a, b]);
      const seen: string[] = [];
      b.onMessage(() => {
        throw new Error('listener bug');
      });
      b.onMessage((_f, d) => seen.push(d));
      const swallow = (err: unknown) => void err;
      process.on('uncaughtException', swallow);
      try {
        a.send('b', 'one');
        a.send('b', 'two');
        await until(() => seen.length === 2, timeoutMs, 'both messages');
      } finally {
        await new Promise((r) => setTimeout(r, 0));
        process.off('uncaughtException', swallow);
      }
      expect(seen).toEqual(['one', 'two']);
    });
  });
}
