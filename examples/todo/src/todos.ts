// The list as an add-wins observed-remove map (the package's ormap) from todo id to { text, done },
// with this app's own merge for two people editing one todo at once.

import { ormap, newTag, type Json, type ORMap } from 'dynamo-browser';

export const TODOS_KEY = 'todos';
export type Todo = { id: string; text: string; done: boolean };

const MAX_TEXT = 200;

/** update's `resolve`: the siblings a read returned, merged into one list. */
export const resolveTodos = ormap.resolve;

/** What the list shows, oldest id first. */
export function todos(list: ORMap | undefined): Todo[] {
  if (!list) return [];
  return ormap.entries(list).map(([id, edits]) => ({ id, ...mergeEdits(edits) }));
}

export function add(list: ORMap | undefined, text: string): ORMap {
  const clean = text.trim().slice(0, MAX_TEXT);
  return ormap.set(list ?? ormap.empty(), `${Date.now().toString(36)}-${newTag().slice(0, 8)}`, { text: clean, done: false });
}

export function toggle(list: ORMap | undefined, id: string): ORMap {
  const base = list ?? ormap.empty();
  const todo = mergeEdits(ormap.get(base, id));
  return ormap.set(base, id, { text: todo.text, done: !todo.done });
}

export function remove(list: ORMap | undefined, id: string): ORMap {
  return ormap.remove(list ?? ormap.empty(), id);
}

/**
 * The custom merge: concurrent edits of one todo (several live values) become one. Nobody's words
 * are dropped (distinct texts are joined in a fixed order), and ticking off wins over a concurrent
 * un-tick, since checking a thing done twice is harmless and forgetting it is not.
 */
export function mergeEdits(edits: Json[]): { text: string; done: boolean } {
  const valid = edits.filter(isTodoValue);
  const texts = [...new Set(valid.map((e) => e.text))].sort();
  return { text: texts.join(' / '), done: valid.some((e) => e.done) };
}

function isTodoValue(v: Json): v is { text: string; done: boolean } {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && typeof v.text === 'string' && typeof v.done === 'boolean';
}
