// Class-average maps: occlusion, Grad-CAM or saliency averaged over inputs of each true class,
// and over the correctly and wrongly predicted ones, with row and column profiles. Runs on
// demand (it explains many inputs); the group shown is picked after.

import { $, byId, h, replace, svgImage } from '../dom.js';
import { getState, setState } from '../state.js';
import { Runner, setExports } from './common.js';
import type { App } from './context.js';

interface ClassAverageView {
  readonly method: string;
  readonly quantity: string;
  readonly groups: { label: string; n: number; trueClass: number; correct: boolean | null }[];
  readonly group: number;
  readonly svg: string;
}

/** Wires the class-average card. */
export function initClassAveragePanel(app: App): void {
  const card = byId('card-classavg');
  const form = byId<HTMLFormElement>('classavg-form');
  const groupSel = byId<HTMLSelectElement>('classavg-group');
  const runner = new Runner(card, byId('classavg-area'), app.status);
  const get = <T extends HTMLInputElement | HTMLSelectElement>(name: string): T => form.querySelector(`[name="${name}"]`) as T;
  replace(get('c.layer'), ...app.info.layers.spatial.map((l) => h('option', { value: l.name }, l.name)));
  if (app.info.layers.gradcamDefault !== null) get('c.layer').value = app.info.layers.gradcamDefault;
  for (const el of Array.from(form.querySelectorAll<HTMLInputElement | HTMLSelectElement>('[name]'))) {
    const v = getState(el.name);
    if (v !== undefined) el.value = v;
    el.addEventListener('change', () => {
      setState(el.name, el.value);
      sync();
    });
  }
  const sync = (): void => {
    for (const el of Array.from(form.querySelectorAll<HTMLElement>('[data-for]'))) el.hidden = el.dataset['for'] !== get('c.method').value;
  };
  sync();
  if (!app.info.data.hasLabels) {
    for (const el of Array.from(form.querySelectorAll<HTMLInputElement | HTMLButtonElement>('input, select, button'))) el.disabled = true;
    runner.showNote('Class-average maps need labels (y): open a labels file to use them.');
    return;
  }

  function params(group: number | null): URLSearchParams {
    const m = get('c.method').value;
    const q = new URLSearchParams({ method: m, n: get('c.n').value || '16', seed: get('c.seed').value || '0' });
    if (m === 'occlusion' && get('c.window').value !== '') q.set('window', get('c.window').value);
    if (m === 'gradcam') q.set('layer', get('c.layer').value);
    if (group !== null) q.set('group', String(group));
    return q;
  }

  function run(group: number | null): void {
    const q = params(group);
    setState('c.run', '1');
    setExports(byId('exp-classavg'), 'classavg', params(null), app.info.outDir, app.toast);
    const cancel = $(card, '.cancel');
    cancel.hidden = false;
    void runner.run<ClassAverageView>('classavg', q, 'Class averages').then((v) => {
      cancel.hidden = true;
      if (v === undefined) return;
      runner.clearNote();
      replace(groupSel, ...v.groups.map((g, k) => h('option', { value: k }, `class ${g.label} (n = ${g.n})`)));
      groupSel.value = String(v.group);
      groupSel.disabled = false;
      setState('c.group', v.group);
      replace(byId('classavg-figure'), svgImage(v.svg, `Class-average map: ${v.groups[v.group]?.label ?? ''}`));
      const n = v.groups.filter((g) => g.correct === null).reduce((s, g) => s + g.n, 0);
      $(card, '.readout').textContent = `${v.groups.length} groups from ${n} inputs (per class, and per correct / wrong prediction). Pick a group above; export gives all of them in one figure.`;
    });
  }

  form.addEventListener('submit', (e) => {
    e.preventDefault();
    run(null);
  });
  $(card, '.cancel').addEventListener('click', () => runner.cancel());
  groupSel.addEventListener('change', () => run(Number(groupSel.value)));
  if (getState('c.run') === '1') run(getState('c.group') !== undefined ? Number(getState('c.group')) : null);
}
