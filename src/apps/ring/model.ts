// What the ring console draws, derived from node.members(): partition owners, Q and member colours.

export interface MemberView {
  id: string;
  status: string;
  tokens: number[];
  /** Its failure domain (its own id when it named none) and whether it is a tab or a Node replica. */
  zone?: string;
  kind?: string;
}

export interface RingModel {
  /** Partitions: the sum of the members' token counts (every partition has one owner). */
  q: number;
  /** owners[p]: the member owning partition p; undefined where no member claims it (mid-change). */
  owners: (string | undefined)[];
  members: MemberView[];
  color: Map<string, string>;
  self: string;
}

// Distinct hues that stay apart for the first few members, which is what a demo has.
const PALETTE = ['#4f6bed', '#1a9c6b', '#d9822b', '#8a56d6', '#d64f6b', '#1b9bb8', '#c9a400', '#6b7a1a', '#b8558f', '#5c6b80'];

export function ringModel(members: readonly MemberView[], self: string): RingModel {
  const sorted = [...members].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  let claimed = 0;
  let highest = -1;
  for (const m of sorted) {
    claimed += m.tokens.length;
    for (const t of m.tokens) highest = Math.max(highest, t);
  }
  // Tokens are partition indexes, so a ring mid-change (or a member whose tokens we lack) still
  // draws: Q is at least one past the highest index anyone claims.
  const q = Math.max(claimed, highest + 1);
  const owners: (string | undefined)[] = new Array(q).fill(undefined);
  for (const m of sorted) for (const t of m.tokens) if (t >= 0 && t < q) owners[t] = m.id;
  // Colour by rank in sorted order: tabs that see the same members agree on every colour.
  const color = new Map(sorted.map((m, i) => [m.id, PALETTE[i % PALETTE.length]!]));
  return { q, owners, members: sorted, color, self };
}
