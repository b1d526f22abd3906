// The demo shop's catalog: a handful of products, each with a colour for its badge.

export interface Product {
  id: string;
  name: string;
  /** In cents, so totals add up exactly. */
  price: number;
  color: string;
}

export const CATALOG: readonly Product[] = [
  { id: 'book', name: 'Book', price: 1800, color: '#4f6bed' },
  { id: 'pen', name: 'Pen', price: 250, color: '#1a9c6b' },
  { id: 'cup', name: 'Cup', price: 900, color: '#d9822b' },
  { id: 'notebook', name: 'Notebook', price: 600, color: '#8a56d6' },
  { id: 'lamp', name: 'Desk lamp', price: 3400, color: '#c9a400' },
  { id: 'headphones', name: 'Headphones', price: 7900, color: '#d64f6b' },
];

/** Items written by something else (a console, another app) still show, under their own name. */
export function product(id: string): Product {
  return CATALOG.find((p) => p.id === id) ?? { id, name: id, price: 0, color: '#8a93a6' };
}

export function money(cents: number): string {
  return `$${(cents / 100).toFixed(2)}`;
}
