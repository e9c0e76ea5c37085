// Small DOM helpers for the page: element lookup and creation, safe insertion of the server's
// SVG figures, number formatting, and a downloadable link.

/** The element with this id (throws when the page is missing it: a bug). */
export function byId<T extends HTMLElement = HTMLElement>(id: string): T {
  const el = document.getElementById(id);
  if (el === null) throw new Error(`page element #${id} is missing`);
  return el as T;
}

/** The first match of a selector inside `root`. */
export function $<T extends Element = HTMLElement>(root: ParentNode, selector: string): T {
  const el = root.querySelector(selector);
  if (el === null) throw new Error(`page element '${selector}' is missing`);
  return el as T;
}

type Attrs = Record<string, string | number | boolean | undefined>;

/** Creates an element with attributes (false/undefined skipped) and children. */
export function h<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Attrs = {}, ...children: (Node | string | null | undefined)[]): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === false) continue;
    if (k === 'class') el.className = String(v);
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children) if (c !== null && c !== undefined) el.append(c);
  return el;
}

/**
 * Parses an SVG figure from the server into an element, dropping anything active (scripts,
 * event attributes, foreign objects): the figures are ours, but names in them come from files.
 */
export function svgElement(text: string): SVGSVGElement {
  const doc = new DOMParser().parseFromString(text, 'image/svg+xml');
  const root = doc.documentElement;
  if (root.nodeName !== 'svg') throw new Error('not an SVG figure');
  for (const bad of Array.from(root.querySelectorAll('script, foreignObject'))) bad.remove();
  for (const el of Array.from(root.querySelectorAll('*')).concat(root)) {
    for (const a of Array.from(el.attributes)) if (/^on/i.test(a.name)) el.removeAttribute(a.name);
  }
  const svg = document.importNode(root, true) as unknown as SVGSVGElement;
  svg.removeAttribute('width');
  svg.removeAttribute('height');
  return svg;
}

/** An SVG figure as an inert image (data URI). */
export function svgImage(text: string, alt: string): HTMLImageElement {
  const img = h('img', { alt, class: 'figure-img' });
  img.src = `data:image/svg+xml;charset=utf-8,${encodeURIComponent(text)}`;
  return img;
}

/** A number for the page: 3 significant digits, exponent form when tiny or huge. */
export function fmt(v: number | null | undefined, digits = 3): string {
  if (v === null || v === undefined || Number.isNaN(v)) return '–';
  if (!Number.isFinite(v)) return v > 0 ? '∞' : '−∞';
  if (v !== 0 && (Math.abs(v) < 1e-3 || Math.abs(v) >= 1e5)) return v.toExponential(2).replace('-', '−');
  return String(Number(v.toPrecision(digits))).replace('-', '−');
}

/** Replaces the children of `el`. */
export function replace(el: Element, ...children: (Node | string)[]): void {
  el.replaceChildren(...children);
}
