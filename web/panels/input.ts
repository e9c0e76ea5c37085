// The selected input: pick by class + seed (the CLI's draw) or by index, the input drawn large,
// its true and predicted class, and every class's probability.

import { requestJson } from '../api.js';
import { byId, fmt, h, replace } from '../dom.js';
import { getState, setState } from '../state.js';
import { setExports } from './common.js';
import type { App } from './context.js';

interface Selection {
  readonly index: number;
  readonly trueClass: number | null;
  readonly predictedClass: number;
  readonly probabilities: number[];
  readonly seed: number | null;
  readonly requestedClass: number | null;
}

/** Wires the selected-input card. */
export function initInputPanel(app: App): void {
  const card = byId('card-input');
  const form = byId<HTMLFormElement>('pick-form');
  const cls = byId<HTMLSelectElement>('pick-class');
  const seed = byId<HTMLInputElement>('pick-seed');
  const index = byId<HTMLInputElement>('pick-index');
  const image = byId<HTMLImageElement>('input-image');
  const verdict = byId('verdict');
  const probs = byId('probs');
  const labels = app.info.data.hasLabels;

  replace(cls, h('option', { value: '' }, 'any'), ...(labels ? app.info.classNames.map((_, c) => h('option', { value: c }, app.classLabel(c))) : []));
  cls.disabled = !labels;
  cls.title = labels ? "True class to draw from ('any': drawn with the seed too)" : 'Picking by class needs labels (y)';
  index.max = String(app.info.data.n - 1);
  const { width, height } = app.info.data.image;
  (image.parentElement as HTMLElement).style.aspectRatio = `${width} / ${height}`;
  seed.value = getState('ps') ?? '0';
  cls.value = getState('pc') ?? '';

  form.addEventListener('submit', (e) => {
    e.preventDefault();
    const q = new URLSearchParams({ seed: seed.value === '' ? '0' : seed.value });
    if (cls.value !== '') q.set('class', cls.value);
    setState('pc', cls.value === '' ? undefined : cls.value);
    setState('ps', seed.value);
    void requestJson<{ selection: Selection }>(`/api/select?${q.toString()}`)
      .then((r) => app.select(r.selection.index))
      .catch((err: unknown) => app.toast(err instanceof Error ? err.message : String(err)));
  });
  index.addEventListener('change', () => {
    const i = Number(index.value);
    if (Number.isInteger(i) && i >= 0 && i < app.info.data.n) {
      setState('pc', undefined);
      app.select(i);
    }
  });

  app.on('select', (i) => {
    index.value = String(i);
    card.dataset['index'] = String(i);
    card.dataset['state'] = 'loading';
    image.src = app.imageUrl(i);
    image.alt = `Input ${i}`;
    setExports(byId('exp-input'), 'input', new URLSearchParams({ i: String(i) }), app.info.outDir, app.toast);
    void requestJson<{ selection: Selection }>(`/api/select?index=${i}`).then((r) => {
      if (app.selected !== i) return;
      show(r.selection);
      card.dataset['state'] = 'ready';
    });
  });

  function show(s: Selection): void {
    const p = s.probabilities[s.predictedClass]!;
    const correct = s.trueClass === null ? null : s.trueClass === s.predictedClass;
    verdict.dataset['true'] = s.trueClass === null ? '' : String(s.trueClass);
    verdict.dataset['predicted'] = String(s.predictedClass);
    replace(
      verdict,
      h('div', { class: 'verdict-line' }, h('span', { class: 'k' }, 'Input'), h('span', { class: 'v mono', id: 'verdict-index' }, String(s.index))),
      h('div', { class: 'verdict-line' }, h('span', { class: 'k' }, 'True'), h('span', { class: 'v', id: 'verdict-true' }, s.trueClass === null ? 'unknown (no labels)' : app.className(s.trueClass))),
      h(
        'div',
        { class: 'verdict-line' },
        h('span', { class: 'k' }, 'Predicted'),
        h('span', { class: 'v', id: 'verdict-predicted' }, app.className(s.predictedClass)),
        h('span', { class: 'p mono' }, `p = ${fmt(p, 4)}`),
        correct === null ? null : h('span', { class: `badge ${correct ? 'ok' : 'bad'}` }, correct ? 'correct' : 'wrong'),
      ),
    );
    const order = s.probabilities.map((v, c) => ({ v, c }));
    const shown = order.length <= 10 ? order : [...order].sort((a, b) => b.v - a.v).slice(0, 10);
    const linear = app.info.model.head.kind === 'linear';
    replace(
      probs,
      ...shown.map(({ v, c }) => {
        const bar = h('span', { class: 'pbar' });
        bar.style.width = `${Math.max(0, Math.min(1, v)) * 100}%`;
        return h(
          'li',
          { class: `prob${c === s.predictedClass ? ' predicted' : ''}${c === s.trueClass ? ' true' : ''}`, 'data-class': c, 'data-p': v },
          h('span', { class: 'pname', title: app.className(c) }, app.className(c)),
          h('span', { class: 'ptrack' }, bar),
          h('span', { class: 'pval mono' }, fmt(v, 3)),
        );
      }),
    );
    probs.setAttribute('aria-label', linear ? 'Output per class (a linear head: not probabilities)' : 'Probability per class');
  }
}
