// The model: file, format, head and class names, the Keras-like summary table, and a compact
// architecture strip (one block per layer, coloured by kind, with its output shape).

import { byId, h, replace } from '../dom.js';
import type { App } from './context.js';

/** Kind of a Keras class, for colours. */
function kindOf(className: string): string {
  if (/Conv/.test(className)) return 'conv';
  if (/Pool/.test(className)) return 'pool';
  if (/Dense/.test(className)) return 'dense';
  if (/Norm/.test(className)) return 'norm';
  if (/Dropout|Noise/.test(className)) return 'dropout';
  if (/Input/.test(className)) return 'input';
  if (/Flatten|Reshape|Permute/.test(className)) return 'shape';
  if (/Activation|ReLU|Softmax|ELU/i.test(className)) return 'act';
  return 'other';
}

const shape = (s: (number | null)[]): string => `(${s.map((d) => (d === null ? 'None' : d)).join(', ')})`;

/** Draws the model card. */
export function renderModelPanel(app: App): void {
  const m = app.info.model;
  replace(
    byId('model-facts'),
    ...[
      ['File', m.file],
      ['Format', `${m.format}${m.kerasVersion !== null ? ` (Keras ${m.kerasVersion})` : ''}`],
      ['Input', shape(m.inputShape)],
      ['Output', shape(m.outputShape)],
      ['Parameters', m.totalParams.toLocaleString('en')],
      ['Head', m.head.description],
      ['Engine', m.engine],
    ].map(([k, v]) => h('div', { class: 'fact' }, h('span', { class: 'k' }, k!), h('span', { class: 'v' }, v!))),
    h('div', { class: 'fact' }, h('span', { class: 'k' }, 'Classes'), h('span', { class: 'v classes' }, ...app.info.classNames.map((n, c) => h('span', { class: 'class-chip' }, `${c}: ${n}`)))),
  );
  replace(
    byId('arch'),
    ...m.layers.map((l) =>
      h(
        'div',
        { class: `block kind-${kindOf(l.className)}`, title: `${l.name} (${l.className}) → ${shape(l.outputShape)}, ${l.params} parameters${l.inputs.length > 1 ? `; inputs ${l.inputs.join(', ')}` : ''}` },
        h('span', { class: 'block-class' }, l.className),
        h('span', { class: 'block-shape mono' }, l.outputShape.slice(1).join('×')),
      ),
    ),
  );
  const rows = m.layers.map((l) =>
    h('tr', {}, h('td', { class: 'mono' }, l.name), h('td', {}, l.className), h('td', { class: 'mono' }, shape(l.outputShape)), h('td', { class: 'num mono' }, l.params.toLocaleString('en'))),
  );
  replace(
    byId('summary-table'),
    h('thead', {}, h('tr', {}, h('th', {}, 'Layer'), h('th', {}, 'Type'), h('th', {}, 'Output shape'), h('th', { class: 'num' }, 'Params'))),
    h('tbody', {}, ...rows),
    h('tfoot', {}, h('tr', {}, h('td', { colspan: 3 }, 'Total'), h('td', { class: 'num mono' }, m.totalParams.toLocaleString('en')))),
  );
  byId('card-model').dataset['state'] = 'ready';
}
