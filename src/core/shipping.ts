// Shipping sets in bulk (paper §4.6 hinted handoff, §4.7 anti-entropy repair, §4.9 key transfer): the
// one chunker every bulk transfer goes through, so how big a shipment is lives here and only here.
//
// Public API
//   SHIPMENT_KEYS, SHIPMENT_CHARS            the caps: sets per shipment, serialized chars per shipment
//   chunks(sets, limits?): KeySet[][]        split by count and by size, in order
//   setChars(set): number                    what one set weighs in a shipment
//   new Shipper(send, limits?, refusals?)
//   .ship(to, sets, onAcked?): Promise<boolean>
//                                            chunk by chunk, each one acknowledged before the next
//                                            (back-pressure); stops at the first chunk not acked;
//                                            onAcked runs per acknowledged chunk with the sets the
//                                            peer took (hint delivery deletes those, key transfer
//                                            drops those); sets it refused are parked (refusals.ts)
//                                            and left out of later shipments to it while unchanged
//
// Why a size cap as well as a count cap: a hundred 1 MiB values are one 100 MiB message, which the
// receiver drops as too large, so the sender would retry it forever. SHIPMENT_CHARS is far below the
// protocol's message limit, so a shipment of sets the store accepted always goes through (a single
// set heavier than the cap ships alone; the store refuses to hold sets that could not).

import type { NodeId } from '../ports/transport';
import type { KeySet } from './protocol/wire';
import type { Refusals } from './refusals';

export const SHIPMENT_KEYS = 100;
/**
 * A shipment's JSON units (versions.jsonUnits) never exceed its characters, so this keeps every
 * shipment, with its envelope, within the peer frame guard's budget (protocol/json-guard.ts: 768 Ki).
 */
export const SHIPMENT_CHARS = 704 * 1024;

export interface ShipmentLimits {
  keys: number;
  chars: number;
}

const DEFAULT_LIMITS: ShipmentLimits = { keys: SHIPMENT_KEYS, chars: SHIPMENT_CHARS };

/**
 * One handoff of `sets` to `to`: true once it stored them all, false when it did not acknowledge,
 * or the keys it refused to merge (refusals.ts) when it acknowledged the rest.
 */
export type SendShipment = (to: NodeId, sets: KeySet[]) => Promise<boolean | readonly string[]>;

export function setChars(s: KeySet): number {
  return s.key.length + JSON.stringify(s.set).length;
}

export function chunks<T extends KeySet>(sets: readonly T[], limits: ShipmentLimits = DEFAULT_LIMITS): T[][] {
  const out: T[][] = [];
  let current: T[] = [];
  let size = 0;
  for (const s of sets) {
    const len = setChars(s);
    if (current.length > 0 && (size + len > limits.chars || current.length >= limits.keys)) {
      out.push(current);
      current = [];
      size = 0;
    }
    current.push(s);
    size += len;
  }
  if (current.length > 0) out.push(current);
  return out;
}

export class Shipper {
  constructor(
    private readonly send: SendShipment,
    readonly limits: ShipmentLimits = DEFAULT_LIMITS,
    private readonly refusals?: Refusals,
  ) {}

  async ship<T extends KeySet>(to: NodeId, sets: readonly T[], onAcked?: (taken: T[]) => Promise<void> | void): Promise<boolean> {
    const refusals = this.refusals;
    const wanted = refusals ? sets.filter((s) => !refusals.isParked(to, s.key, s.set)) : sets;
    for (const chunk of chunks(wanted, this.limits)) {
      // Only the wire shape travels: callers may carry more (a hint's held set) for onAcked.
      const ack = await this.send(to, chunk.map(({ key, set }) => ({ key, set })));
      if (ack === false) return false;
      const taken = ack === true ? chunk : this.taken(to, chunk, ack);
      await onAcked?.(taken);
    }
    return true;
  }

  /** The sets of `chunk` the peer took; those it refused are parked. */
  private taken<T extends KeySet>(to: NodeId, chunk: T[], refused: readonly string[]): T[] {
    const names = new Set(refused);
    const out: T[] = [];
    for (const s of chunk) {
      if (!names.has(s.key)) out.push(s);
      else this.refusals?.refused(to, s.key, s.set);
    }
    return out;
  }
}
