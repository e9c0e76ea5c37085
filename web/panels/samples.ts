// The sample browser: thumbnails of the inputs, filtered by true class, predicted class,
// correct/wrong and confidence, sorted; a click (or Enter) selects. Filters live in the URL.

import { byId, h, replace } from '../dom.js';
import { getState, setState } from '../state.js';
import type { App } from './context.js';

const PAGE = 96;

/** The browser's public face: the filtered order (for next/previous) and filters set from elsewhere. */
export interface SamplesPanel {
  /** The input after (+1) or before (-1) `index` in the filtered order. */
  neighbor(index: number, step: 1 | -1): number | null;
  /** Shows the inputs of one true and predicted class (a confusion-matrix cell). */
  filterCell(trueClass: number, predicted: number): void;
}

/** Wires the sample browser. */
export function initSamplesPanel(app: App): SamplesPanel {
  const card = byId('card-samples');
  const form = byId<HTMLFormElement>('sample-filters');
  const grid = byId('thumbs');
  const more = byId<HTMLButtonElement>('more');
  const count = byId('sample-count');
  const names = app.info.classNames;
  const labels = app.info.data.hasLabels;
  const get = <T extends HTMLInputElement | HTMLSelectElement>(name: string): T => form.querySelector(`[name="${name}"]`) as T;
  const classOptions = (all: string): HTMLOptionElement[] => [h('option', { value: '' }, all), ...names.map((_, c) => h('option', { value: c }, app.classLabel(c)))];
  replace(get('f.true'), ...classOptions('all'));
  replace(get('f.pred'), ...classOptions('all'));
  get<HTMLSelectElement>('f.true').disabled = !labels;
  get<HTMLSelectElement>('f.correct').disabled = !labels;
  if (!labels) {
    get<HTMLSelectElement>('f.true').title = 'Needs labels (y)';
    get<HTMLSelectElement>('f.correct').title = 'Needs labels (y)';
  }
  for (const el of Array.from(form.querySelectorAll<HTMLInputElement | HTMLSelectElement>('[name]'))) {
    const v = getState(el.name);
    if (v !== undefined) el.value = v;
    el.addEventListener('change', () => {
      setState(el.name, el.value);
      shown = PAGE;
      render();
    });
  }
  form.addEventListener('submit', (e) => e.preventDefault());
  let shown = PAGE;
  let order: number[] = [];

  function filtered(): number[] {
    const d = app.dataset;
    const n = app.info.data.n;
    const all = Array.from({ length: n }, (_, i) => i);
    if (d === null) return all;
    const t = get('f.true').value;
    const p = get('f.pred').value;
    const c = get('f.correct').value;
    const lo = get('f.min').value === '' ? -Infinity : Number(get('f.min').value);
    const hi = get('f.max').value === '' ? Infinity : Number(get('f.max').value);
    const keep = all.filter((i) => {
      if (t !== '' && d.labels !== null && d.labels[i] !== Number(t)) return false;
      if (p !== '' && d.predicted[i] !== Number(p)) return false;
      if (c !== '' && d.labels !== null && (d.labels[i] === d.predicted[i]) !== (c === '1')) return false;
      const conf = d.confidence[i]!;
      return conf >= lo && conf <= hi;
    });
    const sort = get('f.sort').value;
    if (sort === 'conf-asc') keep.sort((a, b) => d.confidence[a]! - d.confidence[b]! || a - b);
    if (sort === 'conf-desc') keep.sort((a, b) => d.confidence[b]! - d.confidence[a]! || a - b);
    return keep;
  }

  function thumb(i: number): HTMLButtonElement {
    const d = app.dataset;
    const t = d?.labels?.[i] ?? null;
    const p = d?.predicted[i] ?? null;
    const wrong = t !== null && p !== null && t !== p;
    const title = `Input ${i}${t !== null ? `: true ${app.className(t)}` : ''}${p !== null ? `, predicted ${app.className(p)} (p = ${d!.confidence[i]!.toFixed(3)})` : ''}`;
    const b = h('button', { class: `thumb${wrong ? ' wrong' : ''}`, type: 'button', role: 'option', 'data-index': i, 'aria-selected': String(app.selected === i), title, 'aria-label': title }, h('img', { src: app.imageUrl(i), alt: '', loading: 'lazy', decoding: 'async' }));
    if (p !== null) b.append(h('span', { class: 'thumb-label' }, String(p)));
    b.addEventListener('click', () => app.select(i));
    return b;
  }

  function render(): void {
    order = filtered();
    replace(grid, ...order.slice(0, shown).map(thumb));
    count.textContent = `${Math.min(shown, order.length)} of ${order.length}${order.length !== app.info.data.n ? ` (filtered from ${app.info.data.n})` : ''}`;
    more.hidden = order.length <= shown;
    card.dataset['state'] = 'ready';
  }

  more.addEventListener('click', () => {
    shown += PAGE * 2;
    render();
  });
  grid.addEventListener('keydown', (e) => {
    const focus = document.activeElement as HTMLElement | null;
    if (focus === null || !focus.classList.contains('thumb')) return;
    const items = Array.from(grid.querySelectorAll<HTMLButtonElement>('.thumb'));
    const k = items.indexOf(focus as HTMLButtonElement);
    const cols = Math.max(1, Math.round(grid.clientWidth / Math.max(1, focus.offsetWidth + 6)));
    const step = { ArrowRight: 1, ArrowLeft: -1, ArrowDown: cols, ArrowUp: -cols }[e.key];
    if (step === undefined) return;
    e.preventDefault();
    e.stopPropagation();
    items[Math.max(0, Math.min(items.length - 1, k + step))]?.focus();
  });

  app.on('dataset', () => render());
  app.on('select', (i) => {
    for (const b of Array.from(grid.querySelectorAll<HTMLButtonElement>('.thumb'))) b.setAttribute('aria-selected', String(Number(b.dataset['index']) === i));
    card.dataset['index'] = String(i);
  });
  render();

  return {
    neighbor(index, step) {
      if (order.length === 0) return null;
      const k = order.indexOf(index);
      const next = k < 0 ? order[0]! : order[Math.max(0, Math.min(order.length - 1, k + step))]!;
      if (order.indexOf(next) >= shown) {
        shown = order.indexOf(next) + PAGE;
        render();
      }
      return next;
    },
    filterCell(trueClass, predicted) {
      get('f.true').value = String(trueClass);
      get('f.pred').value = String(predicted);
      get('f.correct').value = '';
      setState('f.true', trueClass);
      setState('f.pred', predicted);
      setState('f.correct', undefined);
      shown = PAGE;
      render();
      card.scrollIntoView({ behavior: 'smooth', block: 'nearest' });
    },
  };
}
