// Room membership: which peer id holds which connection in which room, with the per-room cap.

export type JoinResult = 'ok' | 'id-taken' | 'room-full';

export class Rooms<C> {
  // Maps, not objects: ids such as `__proto__` are valid per ID_PATTERN.
  private readonly rooms = new Map<string, Map<string, C>>();

  constructor(private readonly maxPeersPerRoom: number) {}

  join(room: string, peer: string, conn: C): JoinResult {
    let members = this.rooms.get(room);
    if (members?.has(peer)) return 'id-taken';
    if (members && members.size >= this.maxPeersPerRoom) return 'room-full';
    if (!members) this.rooms.set(room, (members = new Map()));
    members.set(peer, conn);
    return 'ok';
  }

  /** Removes `peer` only if it is still held by `conn`; returns whether it was removed. */
  leave(room: string, peer: string, conn: C): boolean {
    const members = this.rooms.get(room);
    if (!members || members.get(peer) !== conn) return false;
    members.delete(peer);
    if (members.size === 0) this.rooms.delete(room);
    return true;
  }

  get(room: string, peer: string): C | undefined {
    return this.rooms.get(room)?.get(peer);
  }

  /** Everyone in `room` except `peer`. */
  others(room: string, peer: string): Array<[string, C]> {
    return [...(this.rooms.get(room) ?? [])].filter(([id]) => id !== peer);
  }

  get roomCount(): number {
    return this.rooms.size;
  }

  get peerCount(): number {
    let n = 0;
    for (const members of this.rooms.values()) n += members.size;
    return n;
  }
}
