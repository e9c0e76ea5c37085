// The data: class counts, accuracy and the confusion matrix (a cell click filters the sample
// browser), and the most confidently wrong inputs (a click selects one).

import { $, byId, fmt, h, replace, svgElement, svgImage } from '../dom.js';
import { setExports, type DatasetView } from './common.js';
import type { App } from './context.js';

/** Draws the data card from the predictions. */
export function renderDataPanel(app: App, d: DatasetView, onCell: (trueClass: number, predicted: number) => void): void {
  const card = byId('card-data');
  setExports(byId('exp-data'), 'dataset', new URLSearchParams(), app.info.outDir, app.toast);
  const acc = byId('accuracy');
  if (d.accuracy !== null) {
    acc.dataset['accuracy'] = String(d.accuracy);
    const correct = Math.round(d.accuracy * d.n);
    replace(acc, h('span', { class: 'big' }, `${fmt(100 * d.accuracy, 4)}%`), h('span', { class: 'muted' }, ` accuracy (${correct} of ${d.n} inputs)`));
  } else {
    replace(acc, h('span', { class: 'muted' }, `${d.n} inputs, no labels (y): accuracy and the confusion matrix need them. Counts below are by predicted class.`));
  }
  replace(byId('counts'), svgImage(d.countsSvg, 'Inputs per class'));
  const conf = byId('confusion');
  if (d.confusionSvg !== null) {
    const svg = svgElement(d.confusionSvg);
    svg.classList.add('confusion-svg');
    svg.setAttribute('role', 'img');
    svg.setAttribute('aria-label', 'Confusion matrix: rows true class, columns predicted class; click a cell to list its inputs');
    for (const cell of Array.from(svg.querySelectorAll<SVGRectElement>('rect[data-true]'))) {
      const t = Number(cell.dataset['true']);
      const p = Number(cell.dataset['predicted']);
      cell.classList.add('cell');
      const title = document.createElementNS('http://www.w3.org/2000/svg', 'title');
      title.textContent = `True ${app.className(t)}, predicted ${app.className(p)}: click to list these inputs`;
      cell.append(title);
      cell.addEventListener('click', () => onCell(t, p));
    }
    replace(conf, svg);
  } else replace(conf);
  const wrong = byId('wrong');
  if (d.mostConfidentlyWrong.length > 0) {
    replace(
      wrong,
      h('h3', {}, 'Most confidently wrong'),
      h(
        'div',
        { class: 'wrong-list' },
        ...d.mostConfidentlyWrong.map((w) => {
          const b = h('button', { class: 'chip wide', type: 'button', 'data-index': w.index, title: `Select input ${w.index}` }, h('img', { src: app.imageUrl(w.index), alt: '' }), h('span', {}, `#${w.index}: ${app.className(w.trueClass)} → ${app.className(w.predictedClass)}`), h('span', { class: 'mono muted' }, fmt(w.probability)));
          b.addEventListener('click', () => app.select(w.index));
          return b;
        }),
      ),
    );
  } else replace(wrong);
  card.dataset['state'] = 'ready';
  $(card, '.area').classList.remove('loading');
}
