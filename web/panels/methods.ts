// The method views beside the selected input, one tab each: kernels, activations (click a map to
// enlarge it), occlusion (streams in row by row, cancellable), Grad-CAM and the gradient
// attributions. Options live in the URL; every view follows the selection.

import { runMethod } from '../api.js';
import { $, byId, fmt, h, replace, svgImage } from '../dom.js';
import { getState, setState } from '../state.js';
import { LayeredView, Runner, colorbar, setExports, type ColorScale } from './common.js';
import type { App } from './context.js';

type TabName = 'kernels' | 'activations' | 'occlusion' | 'gradcam' | 'gradients';
const TABS: readonly TabName[] = ['kernels', 'activations', 'occlusion', 'gradcam', 'gradients'];

interface Tab {
  readonly name: TabName;
  /** Server method. */
  readonly method: string;
  /** Status-bar label. */
  readonly label: string;
  readonly perInput: boolean;
  readonly pane: HTMLElement;
  readonly runner: Runner;
  /** Query for the server (without view-only keys unless `forExport`). */
  params(index: number | null, forExport: boolean): URLSearchParams | null;
  render(view: unknown, index: number | null): void;
  /** Key of what is shown, to skip needless reruns. */
  shown: string;
}

/** What the layered views receive: the map as a PNG over the input (drawn from /api/input). */
interface LayeredViewData {
  heat: string;
  scale: ColorScale;
}

/** Control values by state key, from a pane's named controls. */
function controls(pane: HTMLElement): Map<string, HTMLInputElement | HTMLSelectElement> {
  const out = new Map<string, HTMLInputElement | HTMLSelectElement>();
  for (const el of Array.from(pane.querySelectorAll<HTMLInputElement | HTMLSelectElement>('[name]'))) out.set(el.name, el);
  return out;
}

/** Copies state into the pane's controls, and control changes back into the state. */
function bindControls(pane: HTMLElement, onChange: () => void): Map<string, HTMLInputElement | HTMLSelectElement> {
  const map = controls(pane);
  for (const [key, el] of map) {
    const v = getState(key);
    if (v !== undefined) el.value = v;
    el.addEventListener('change', () => {
      setState(key, el.value);
      onChange();
    });
  }
  return map;
}

function options(select: HTMLSelectElement, items: { value: string; label: string }[], keep: string | undefined): void {
  replace(select, ...items.map((o) => h('option', { value: o.value }, o.label)));
  if (keep !== undefined && items.some((o) => o.value === keep)) select.value = keep;
}

/** Wires the method card. */
export function initMethodsPanel(app: App): void {
  const card = byId('card-methods');
  const exportsBar = byId('exp-methods');
  const info = app.info;
  const classItems = [{ value: '', label: info.data.hasLabels ? 'true class' : 'predicted class' }, ...info.classNames.map((_, c) => ({ value: String(c), label: app.classLabel(c) }))];
  const aspect = info.data.image.width / info.data.image.height;
  const tabs = new Map<TabName, Tab>();
  let active: TabName = TABS.includes(getState('tab') as TabName) ? (getState('tab') as TabName) : 'occlusion';

  // Layer and class lists.
  options($(byId('pane-kernels'), '[name="k.layer"]'), info.layers.conv.map((n) => ({ value: n, label: n })), getState('k.layer'));
  const spatialItems = info.layers.spatial.map((l) => ({ value: l.name, label: `${l.name} (${l.className})` }));
  options($(byId('pane-activations'), '[name="a.layer"]'), spatialItems, getState('a.layer') ?? info.layers.activationDefault ?? undefined);
  options($(byId('pane-gradcam'), '[name="g.layer"]'), spatialItems, getState('g.layer') ?? info.layers.gradcamDefault ?? undefined);
  for (const key of ['o.class', 'g.class', 's.class']) options($(card, `[name="${key}"]`), classItems, getState(key));

  const value = (pane: HTMLElement, key: string): string => $<HTMLInputElement>(pane, `[name="${key}"]`).value.trim();

  function make(name: TabName, method: string, label: string, perInput: boolean, params: Tab['params'], render: Tab['render']): void {
    const pane = byId(`pane-${name}`);
    const area = $(pane, '.area');
    const tab: Tab = { name, method, label, perInput, pane, runner: new Runner(pane, area, app.status), params, render, shown: '' };
    tabs.set(name, tab);
    bindControls(pane, () => refresh(true));
    $(pane, 'form').addEventListener('submit', (e) => {
      e.preventDefault();
      refresh(true);
    });
  }

  // Kernels ---------------------------------------------------------------------------------
  const kPane = byId('pane-kernels');
  make(
    'kernels',
    'kernels',
    'Kernels',
    false,
    () => {
      const q = new URLSearchParams();
      if (value(kPane, 'k.layer') !== '') q.set('layer', value(kPane, 'k.layer'));
      const f = value(kPane, 'k.filter');
      if (f !== '') q.set('filter', String(Number(f) - 1));
      return q;
    },
    (view) => {
      const v = view as { figure: string; layer: string; filters: number; kernelHeight: number; kernelWidth: number; inChannels: number; min: number; max: number };
      const fig = $(kPane, '.figure');
      replace(fig, svgImage(v.figure, `Kernels of ${v.layer}`));
      const read = $(kPane, '.readout');
      Object.assign(read.dataset, { min: String(v.min), max: String(v.max), filters: String(v.filters) });
      read.textContent = `${v.filters} filter${v.filters === 1 ? '' : 's'}, ${v.kernelHeight}×${v.kernelWidth}, ${v.inChannels} input channel${v.inChannels === 1 ? '' : 's'}; weights ${fmt(v.min)} to ${fmt(v.max)}`;
    },
  );

  // Activations -----------------------------------------------------------------------------
  const aPane = byId('pane-activations');
  make(
    'activations',
    'activations',
    'Activations',
    true,
    (i, forExport) => {
      if (i === null) return null;
      const q = new URLSearchParams({ i: String(i), layer: value(aPane, 'a.layer') });
      if (forExport || value(aPane, 'a.scale') !== 'shared') q.set('scale', value(aPane, 'a.scale'));
      return q;
    },
    (view, i) => {
      const v = view as { layer: string; height: number; width: number; channels: number; maps: string[]; min: number; max: number; colorbar: ColorScale | null };
      const grid = h('div', { class: 'map-grid', role: 'list' });
      v.maps.forEach((src, k) => {
        const img = h('img', { src, alt: `map ${k + 1}` });
        img.style.aspectRatio = `${v.width} / ${v.height}`;
        const b = h('button', { class: 'map', type: 'button', role: 'listitem', 'data-channel': k, title: `Map ${k + 1}: click to enlarge` }, img, h('span', { class: 'map-label' }, String(k + 1)));
        b.addEventListener('click', () => zoomActivation(i!, v.layer, k));
        grid.append(b);
      });
      replace($(aPane, '.figure'), grid);
      const read = $(aPane, '.readout');
      Object.assign(read.dataset, { min: String(v.min), max: String(v.max), channels: String(v.channels) });
      replace(read, `${v.channels} maps of ${v.height}×${v.width} at ${v.layer}; values ${fmt(v.min)} to ${fmt(v.max)}. Click a map to enlarge it.`, v.colorbar !== null ? colorbar(v.colorbar, 'Activation (shared scale)') : '');
    },
  );

  async function zoomActivation(i: number, layer: string, channel: number): Promise<void> {
    const dialog = byId<HTMLDialogElement>('zoom-dialog');
    const body = $(dialog, '.zoom-body');
    replace(body, h('p', { class: 'muted' }, `Map ${channel + 1} of ${layer}…`));
    dialog.showModal();
    const q = new URLSearchParams({ i: String(i), layer, channel: String(channel) });
    try {
      const v = await runMethod<{ figure: string }>('activations', q, new AbortController().signal);
      replace(body, svgImage(v.figure, `Activation map ${channel + 1} of ${layer}`));
      setExports($(dialog, '.exports'), 'activations', q, info.outDir, app.toast);
    } catch (err) {
      replace(body, h('p', { class: 'panel-error' }, err instanceof Error ? err.message : String(err)));
    }
  }

  // Layered views (occlusion, Grad-CAM, gradients) -------------------------------------------
  function layered(pane: HTMLElement, alphaKey: string, fallback: number, smooth = false): LayeredView {
    const alpha = Number(getState(alphaKey) ?? fallback);
    const view = new LayeredView(
      Number.isFinite(alpha) ? alpha : fallback,
      (v) => {
        setState(alphaKey, v);
        updateExports();
      },
      { smooth },
    );
    replace($(pane, '.figure'), view.root);
    return view;
  }

  const oPane = byId('pane-occlusion');
  const oView = layered(oPane, 'o.alpha', 0.6);
  const cls = (pane: HTMLElement, key: string, q: URLSearchParams): void => {
    const c = value(pane, key);
    if (c !== '') q.set('class', c);
  };
  make(
    'occlusion',
    'occlusion',
    'Occlusion',
    true,
    (i) => {
      if (i === null) return null;
      const q = new URLSearchParams({ i: String(i) });
      for (const k of ['window', 'stride']) if (value(oPane, `o.${k}`) !== '') q.set(k, value(oPane, `o.${k}`));
      const fill = value(oPane, 'o.fill');
      q.set('fill', fill === 'value' ? value(oPane, 'o.fillvalue') || '0' : fill);
      cls(oPane, 'o.class', q);
      return q;
    },
    (view, i) => {
      const v = view as LayeredViewData & { baseline: number; targetClass: number; rows: number; cols: number; window: number; stride: number; worst: { row: number; col: number; drop: number; probability: number } };
      oView.setBase(app.imageUrl(i!), aspect);
      oView.setHeat(v.heat, v.scale, `drop in p(${app.className(v.targetClass)})`);
      const read = $(oPane, '.readout');
      Object.assign(read.dataset, { baseline: String(v.baseline), worstDrop: String(v.worst.drop), worstRow: String(v.worst.row), worstCol: String(v.worst.col), targetClass: String(v.targetClass) });
      const y0 = v.worst.row * v.stride;
      const x0 = v.worst.col * v.stride;
      read.textContent =
        `p(${app.className(v.targetClass)}) = ${fmt(v.baseline, 4)} unoccluded; largest drop ${fmt(v.worst.drop)} (to ${fmt(v.worst.probability)}) with the ${v.window}×${v.window} window at rows ${y0}–${y0 + v.window - 1}, columns ${x0}–${x0 + v.window - 1}. ` +
        `Red: hiding these pixels lowers p; blue: raises it.`;
    },
  );
  const fillSel = $<HTMLSelectElement>(oPane, '[name="o.fill"]');
  const fillValue = $<HTMLInputElement>(oPane, '[name="o.fillvalue"]');
  const syncFill = (): void => void (fillValue.hidden = fillSel.value !== 'value');
  fillSel.addEventListener('change', syncFill);
  syncFill();

  const gPane = byId('pane-gradcam');
  const gView = layered(gPane, 'g.alpha', 0.45, true);
  make(
    'gradcam',
    'gradcam',
    'Grad-CAM',
    true,
    (i, forExport) => {
      if (i === null) return null;
      const q = new URLSearchParams({ i: String(i), layer: value(gPane, 'g.layer') });
      cls(gPane, 'g.class', q);
      if (forExport) q.set('alpha', getState('g.alpha') ?? '0.45');
      return q;
    },
    (view, i) => {
      const v = view as LayeredViewData & { layer: string; height: number; width: number; targetClass: number; score: number; max: number };
      gView.setBase(app.imageUrl(i!), aspect);
      gView.setHeat(v.heat, v.scale, `Grad-CAM for class ${app.className(v.targetClass)}`);
      const read = $(gPane, '.readout');
      Object.assign(read.dataset, { score: String(v.score), max: String(v.max), targetClass: String(v.targetClass) });
      read.textContent = `${v.height}×${v.width} map at ${v.layer}, upsampled to the input; score (logit) of class ${app.className(v.targetClass)}: ${fmt(v.score, 4)}; map maximum ${fmt(v.max)}${v.max === 0 ? ': no positive evidence at this layer' : ''}.`;
    },
  );

  const sPane = byId('pane-gradients');
  const sView = layered(sPane, 's.alpha', 0.85);
  const syncGradientControls = (): void => {
    const m = value(sPane, 's.method');
    for (const el of Array.from(sPane.querySelectorAll<HTMLElement>('[data-for]'))) el.hidden = el.dataset['for'] !== m;
  };
  make(
    'gradients',
    'gradients',
    'Gradients',
    true,
    (i) => {
      if (i === null) return null;
      const m = value(sPane, 's.method');
      const q = new URLSearchParams({ i: String(i), method: m });
      cls(sPane, 's.class', q);
      const keys = m === 'smoothgrad' ? ['samples', 'noise', 'seed'] : m === 'ig' ? ['steps', 'baseline'] : [];
      for (const k of keys) if (value(sPane, `s.${k}`) !== '') q.set(k, value(sPane, `s.${k}`));
      return q;
    },
    (view, i) => {
      const v = view as LayeredViewData & { method: string; targetClass: number; score: number; completenessError?: number; sigma?: number };
      sView.setBase(app.imageUrl(i!), aspect);
      const title = { saliency: 'Saliency', smoothgrad: 'SmoothGrad', 'integrated-gradients': 'Integrated Gradients' }[v.method] ?? v.method;
      sView.setHeat(v.heat, v.scale, `${title}: d score / d input (red raises the score)`);
      const read = $(sPane, '.readout');
      Object.assign(read.dataset, { score: String(v.score), targetClass: String(v.targetClass), ...(v.completenessError !== undefined ? { completeness: String(v.completenessError) } : {}) });
      read.textContent =
        `${title} of the score of class ${app.className(v.targetClass)} (logit ${fmt(v.score, 4)})` +
        (v.sigma !== undefined ? `; noise σ = ${fmt(v.sigma)}` : '') +
        (v.completenessError !== undefined ? `; completeness error ${fmt(v.completenessError)}` : '') +
        '. Red: raising these input values raises the score; blue: lowers it.';
    },
  );
  $(sPane, '[name="s.method"]').addEventListener('change', syncGradientControls);
  syncGradientControls();

  // Tabs ------------------------------------------------------------------------------------
  const tabButtons = TABS.map((t) => byId<HTMLButtonElement>(`tab-${t}`));
  function activate(name: TabName, focus = false): void {
    active = name;
    setState('tab', name);
    for (const b of tabButtons) {
      const on = b.dataset['tab'] === name;
      b.setAttribute('aria-selected', String(on));
      b.tabIndex = on ? 0 : -1;
      if (on && focus) b.focus();
    }
    for (const t of tabs.values()) t.pane.hidden = t.name !== name;
    card.dataset['tab'] = name;
    card.dataset['state'] = tabs.get(name)!.pane.dataset['state'] ?? 'ready';
    refresh(false);
  }
  tabButtons.forEach((b, k) => {
    b.addEventListener('click', () => activate(b.dataset['tab'] as TabName));
    b.addEventListener('keydown', (e) => {
      const d = e.key === 'ArrowRight' ? 1 : e.key === 'ArrowLeft' ? -1 : 0;
      if (d === 0) return;
      e.preventDefault();
      activate(TABS[(k + d + TABS.length) % TABS.length]!, true);
    });
  });
  for (const t of tabs.values()) {
    $(t.pane, '.cancel').addEventListener('click', () => t.runner.cancel());
  }

  /** Points the export links at the active tab's current options. */
  function updateExports(): void {
    const tab = tabs.get(active);
    const q = tab?.params(app.selected, true) ?? null;
    if (tab !== undefined && q !== null) setExports(exportsBar, tab.method, q, info.outDir, app.toast);
  }

  /** Runs the active tab for the selected input unless it already shows that. */
  function refresh(force: boolean): void {
    const tab = tabs.get(active)!;
    const i = app.selected;
    const q = tab.params(i, false);
    updateExports();
    if (!tab.perInput && i !== null) card.dataset['index'] = String(i);
    if (q === null) return;
    const key = q.toString();
    if (!force && key === tab.shown) return;
    tab.shown = key;
    const cancel = $(tab.pane, '.cancel');
    cancel.hidden = false;
    card.dataset['state'] = 'loading';
    void tab.runner
      .run(tab.method, q, `${tab.label}${tab.perInput && i !== null ? ` of input ${i}` : ''}`, (p) => {
        if (tab.name === 'occlusion' && typeof p['heat'] === 'string') {
          oView.setBase(app.imageUrl(i!), aspect);
          oView.setHeat(p['heat'], p['scale'] as ColorScale, 'drop in p (so far)');
        }
      })
      .then((view) => {
        if (view === undefined) {
          if (!tab.runner.running && tab.shown === key) tab.shown = '';
          return;
        }
        tab.render(view, i);
        if (tab.perInput && i !== null) {
          tab.pane.dataset['index'] = String(i);
          card.dataset['index'] = String(i);
        }
      })
      .finally(() => {
        if (!tab.runner.running) cancel.hidden = true;
        if (tab.name === active && !tab.runner.running) card.dataset['state'] = tab.pane.dataset['state'] ?? 'ready';
      });
  }

  app.on('select', () => refresh(false));
  activate(active);
}
