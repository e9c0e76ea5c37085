// The embedding: PCA, t-SNE (animated while it optimises, stoppable) or UMAP of one layer's
// features over n inputs, coloured by true class, prediction or correctness. Hover shows the
// input, click selects it everywhere, dragging a rectangle lists the inputs inside.

import { $, byId, fmt, h, replace, svgElement } from '../dom.js';
import { getState, setState } from '../state.js';
import { Runner, setExports } from './common.js';
import type { App } from './context.js';

interface EmbedView {
  readonly svg: string;
  readonly method: string;
  readonly layer: string;
  readonly n: number;
  readonly d: number;
  readonly indices: number[];
  readonly trustworthiness?: number;
  readonly knnAccuracy?: number;
  readonly iterations?: number;
  readonly stopped?: boolean;
}

/** Wires the embedding card; returns a function that runs it. */
export function initEmbedPanel(app: App): () => void {
  const card = byId('card-embed');
  const form = byId<HTMLFormElement>('embed-form');
  const scatter = byId('scatter');
  const stop = byId<HTMLButtonElement>('embed-stop');
  const brushed = byId('brushed');
  const tooltip = byId('tooltip');
  const runner = new Runner(card, byId('embed-area'), app.status);
  const info = app.info;
  const get = <T extends HTMLInputElement | HTMLSelectElement>(name: string): T => form.querySelector(`[name="${name}"]`) as T;

  replace(get('e.layer'), ...info.layers.features.map((n) => h('option', { value: n }, n === info.layers.featureDefault ? `${n} (penultimate)` : n)));
  if (info.layers.featureDefault !== null) get('e.layer').value = info.layers.featureDefault;
  get('e.n').value = String(Math.min(info.data.n, 1000));
  get<HTMLInputElement>('e.n').max = String(info.data.n);
  if (!info.data.hasLabels) {
    get('e.color').value = 'predicted';
    for (const o of Array.from(get<HTMLSelectElement>('e.color').options)) if (o.value !== 'predicted') o.disabled = true;
  }
  for (const el of Array.from(form.querySelectorAll<HTMLInputElement | HTMLSelectElement>('[name]'))) {
    const v = getState(el.name);
    if (v !== undefined) el.value = v;
    el.addEventListener('change', () => {
      setState(el.name, el.value);
      syncControls();
      if (el.name === 'e.color' && current !== null) run();
    });
  }
  const syncControls = (): void => {
    for (const el of Array.from(form.querySelectorAll<HTMLElement>('[data-for]'))) el.hidden = el.dataset['for'] !== get('e.method').value;
  };
  syncControls();

  let current: EmbedView | null = null;

  function params(): URLSearchParams {
    const q = new URLSearchParams({ method: get('e.method').value, layer: get('e.layer').value, n: get('e.n').value, seed: get('e.seed').value || '0', color: get('e.color').value });
    if (get('e.method').value === 'tsne') for (const k of ['perplexity', 'iterations']) if (get(`e.${k}`).value !== '') q.set(k, get(`e.${k}`).value);
    return q;
  }

  function show(svgText: string, interactive: boolean): void {
    const svg = svgElement(svgText);
    svg.classList.add('scatter-svg');
    svg.setAttribute('role', 'img');
    svg.setAttribute('aria-label', 'Embedding scatter plot: hover a point to see the input, click to select it, drag to select a region');
    replace(scatter, svg);
    if (interactive) attach(svg);
    highlight(app.selected);
  }

  function run(): void {
    const q = params();
    setExports(byId('exp-embed'), 'embed', q, info.outDir, app.toast);
    const isTsne = get('e.method').value === 'tsne';
    stop.hidden = !isTsne;
    brushed.hidden = true;
    void runner
      .run<EmbedView>('embed', q, `Embedding (${get<HTMLSelectElement>('e.method').selectedOptions[0]?.textContent ?? ''})`, (p) => {
        if (typeof p['svg'] === 'string') show(p['svg'], false);
      })
      .then((view) => {
        stop.hidden = true;
        if (view === undefined) return;
        current = view;
        card.dataset['n'] = String(view.n);
        show(view.svg, true);
        const notes = [`${view.n} inputs × ${view.d} features of ${view.layer}`];
        if (view.trustworthiness !== undefined) notes.push(`trustworthiness ${fmt(view.trustworthiness)}`);
        if (view.knnAccuracy !== undefined) notes.push(`10-NN class accuracy ${fmt(100 * view.knnAccuracy)}%`);
        if (view.stopped === true) notes.push(`stopped after ${view.iterations} iterations`);
        $(card, '.readout').textContent = notes.join(' · ');
      });
  }

  form.addEventListener('submit', (e) => {
    e.preventDefault();
    run();
  });
  stop.addEventListener('click', () => {
    if (!runner.stop()) runner.cancel();
  });

  // Interaction --------------------------------------------------------------------------------
  function pointOf(target: EventTarget | null): SVGCircleElement | null {
    return target instanceof SVGCircleElement && target.dataset['index'] !== undefined ? target : null;
  }

  function tooltipFor(c: SVGCircleElement, e: MouseEvent): void {
    const i = Number(c.dataset['index']);
    const d = app.dataset;
    const t = d?.labels?.[i] ?? null;
    const p = d?.predicted[i];
    replace(
      tooltip,
      h('img', { src: app.imageUrl(i), alt: '' }),
      h('div', {}, h('strong', {}, `Input ${i}`), h('br'), `true ${app.className(t)}`, h('br'), p !== undefined ? `predicted ${app.className(p)} (p = ${fmt(d!.confidence[i]!)})` : ''),
    );
    tooltip.hidden = false;
    const x = Math.min(window.innerWidth - 200, e.clientX + 14);
    const y = Math.min(window.innerHeight - 140, e.clientY + 14);
    tooltip.style.left = `${x}px`;
    tooltip.style.top = `${y}px`;
  }

  function attach(svg: SVGSVGElement): void {
    svg.addEventListener('mousemove', (e) => {
      const c = pointOf(e.target);
      if (c === null) tooltip.hidden = true;
      else tooltipFor(c, e);
    });
    svg.addEventListener('mouseleave', () => (tooltip.hidden = true));
    svg.addEventListener('click', (e) => {
      const c = pointOf(e.target);
      if (c !== null) app.select(Number(c.dataset['index']));
    });
    // Brushing: drag on the background.
    let start: DOMPoint | null = null;
    let rect: SVGRectElement | null = null;
    const toSvg = (e: MouseEvent): DOMPoint => new DOMPoint(e.clientX, e.clientY).matrixTransform(svg.getScreenCTM()!.inverse());
    svg.addEventListener('mousedown', (e) => {
      if (pointOf(e.target) !== null || e.button !== 0) return;
      e.preventDefault();
      start = toSvg(e);
      rect?.remove();
      rect = document.createElementNS('http://www.w3.org/2000/svg', 'rect');
      rect.classList.add('brush');
      svg.append(rect);
    });
    svg.addEventListener('mousemove', (e) => {
      if (start === null || rect === null) return;
      const p = toSvg(e);
      rect.setAttribute('x', String(Math.min(start.x, p.x)));
      rect.setAttribute('y', String(Math.min(start.y, p.y)));
      rect.setAttribute('width', String(Math.abs(p.x - start.x)));
      rect.setAttribute('height', String(Math.abs(p.y - start.y)));
    });
    const finish = (e: MouseEvent): void => {
      if (start === null || rect === null) return;
      const p = toSvg(e);
      const [x0, x1] = [Math.min(start.x, p.x), Math.max(start.x, p.x)];
      const [y0, y1] = [Math.min(start.y, p.y), Math.max(start.y, p.y)];
      start = null;
      if (x1 - x0 < 3 && y1 - y0 < 3) {
        rect.remove();
        rect = null;
        brushed.hidden = true;
        return;
      }
      const inside = Array.from(svg.querySelectorAll<SVGCircleElement>('circle[data-index]'))
        .filter((c) => {
          const cx = Number(c.getAttribute('cx'));
          const cy = Number(c.getAttribute('cy'));
          return cx >= x0 && cx <= x1 && cy >= y0 && cy <= y1;
        })
        .map((c) => Number(c.dataset['index']))
        .sort((a, b) => a - b);
      showBrushed(inside);
    };
    svg.addEventListener('mouseup', finish);
    svg.addEventListener('mouseleave', (e) => finish(e));
  }

  function showBrushed(indices: number[]): void {
    brushed.hidden = false;
    const d = app.dataset;
    const wrong = d?.labels !== null && d !== null ? indices.filter((i) => d.labels![i] !== d.predicted[i]).length : null;
    $(brushed, '.brushed-title').textContent = `${indices.length} input${indices.length === 1 ? '' : 's'} in the region${wrong !== null ? `, ${wrong} wrongly predicted` : ''}`;
    replace(
      $(brushed, '.brushed-list'),
      ...indices.slice(0, 200).map((i) => {
        const b = h('button', { class: 'chip', type: 'button', 'data-index': i, title: `Select input ${i}` }, h('img', { src: app.imageUrl(i), alt: '' }), String(i));
        b.addEventListener('click', () => app.select(i));
        return b;
      }),
      ...(indices.length > 200 ? [h('span', { class: 'muted' }, `… and ${indices.length - 200} more`)] : []),
    );
  }

  function highlight(i: number | null): void {
    for (const c of Array.from(scatter.querySelectorAll('circle.selected'))) c.classList.remove('selected');
    if (i === null) return;
    const c = scatter.querySelector<SVGCircleElement>(`circle[data-index="${i}"]`);
    if (c !== null) {
      c.classList.add('selected');
      c.parentNode?.append(c);
    }
    card.dataset['index'] = String(i);
    card.dataset['inSample'] = String(c !== null);
  }

  app.on('select', (i) => highlight(i));
  return run;
}
