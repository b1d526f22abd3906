// Tiny DOM builders for the apps: enough to write views as plain functions without a framework.

type Attrs = Record<string, string | number | boolean | undefined | ((ev: Event) => void)>;
type Child = Node | string | null | undefined | false;

/** An HTML element: `on*` attributes become listeners, `false`/`undefined` ones are left out. */
export function h<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Attrs = {}, ...children: Child[]): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  setAttrs(el, attrs);
  for (const c of children) if (c !== null && c !== undefined && c !== false) el.append(c);
  return el;
}

const SVG_NS = 'http://www.w3.org/2000/svg';

export function s<K extends keyof SVGElementTagNameMap>(tag: K, attrs: Attrs = {}, ...children: Child[]): SVGElementTagNameMap[K] {
  const el = document.createElementNS(SVG_NS, tag);
  setAttrs(el, attrs);
  for (const c of children) if (c !== null && c !== undefined && c !== false) el.append(c);
  return el;
}

function setAttrs(el: Element, attrs: Attrs): void {
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === false) continue;
    if (typeof v === 'function') el.addEventListener(k.slice(2), v);
    else el.setAttribute(k, v === true ? '' : String(v));
  }
}

// One formatter, made once: toLocaleTimeString builds a new one per call, which showed in profiles
// of a loaded tab (the ring console redraws its counters ten times a second).
const TIME = new Intl.DateTimeFormat([], { hour: '2-digit', minute: '2-digit', second: '2-digit' });

/** Clock time of a timestamp, for logs that must stay true without a ticking timer. */
export function clockTime(ms: number): string {
  return TIME.format(ms);
}

/**
 * Coalesces a burst of calls (node events come in bursts) into one, soon after. A timer, not
 * requestAnimationFrame: a background tab gets no frames, and its DOM must still be current when
 * the shopper switches to it or a test reads it.
 */
export function coalesce(fn: () => void, ms = 16): () => void {
  let queued = false;
  return () => {
    if (queued) return;
    queued = true;
    setTimeout(() => {
      queued = false;
      fn();
    }, ms);
  };
}
