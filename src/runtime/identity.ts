// Node identity in a tab: `?node=` wins, else the id kept in this tab's sessionStorage (a reload
// keeps it), else a fresh one. A duplicated tab inherits sessionStorage and so the same id; the
// signaling server refuses it and the tab takes a fresh id instead of fighting.

const ID_ALPHABET = '0123456789abcdefghijklmnopqrstuvwxyz';

export interface KeyValue {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
}

export function freshNodeId(random: () => number = Math.random): string {
  let id = 'n-';
  for (let i = 0; i < 8; i++) id += ID_ALPHABET[Math.floor(random() * ID_ALPHABET.length)];
  return id;
}

function slot(room: string): string {
  return `dynamo:${room}:node`;
}

/** The id this tab should try first, and whether the user pinned it explicitly. */
export function chooseNodeId(room: string, explicit: string | undefined, store: KeyValue | undefined) {
  if (explicit) return { id: explicit, pinned: true };
  const kept = store?.getItem(slot(room));
  if (kept) return { id: kept, pinned: false };
  return { id: freshNodeId(), pinned: false };
}

export function keepNodeId(room: string, id: string, store: KeyValue | undefined): void {
  store?.setItem(slot(room), id);
}

/**
 * The browser profile's zone: one id kept in localStorage, which every tab of a profile shares (and a
 * tab's sessionStorage does not), so the tabs of one browser count as one failure domain.
 */
export function profileZone(store: KeyValue | undefined): string | undefined {
  if (!store) return undefined;
  try {
    const kept = store.getItem('dynamo:zone');
    if (kept) return kept;
    const fresh = `browser-${freshNodeId().slice(2)}`;
    store.setItem('dynamo:zone', fresh);
    return fresh;
  } catch {
    return undefined; // storage refused (private mode, quota): a zone of its own
  }
}
