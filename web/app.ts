// The convscope dashboard page: a thin client of `convscope serve`. It asks the server for
// everything (the server runs the model with onnxruntime-node and renders the figures with the
// library) and links the views: selecting an input anywhere updates every panel.
//   1. info      what is open (model, data, layers, classes)
//   2. panels    model, selected input, methods, samples, embedding, data, class averages
//   3. data      the first selection, the embedding and the predictions for all inputs (streamed)

import { requestJson } from './api.js';
import { byId, h, replace } from './dom.js';
import { getState, setState } from './state.js';
import { Runner, Status, type DatasetView, type Info } from './panels/common.js';
import type { App, AppEvents } from './panels/context.js';
import { renderDataPanel } from './panels/data.js';
import { initEmbedPanel } from './panels/embed.js';
import { initInputPanel } from './panels/input.js';
import { initMethodsPanel } from './panels/methods.js';
import { renderModelPanel } from './panels/model.js';
import { initOpenPanel } from './panels/open.js';
import { initSamplesPanel } from './panels/samples.js';
import { initClassAveragePanel } from './panels/classavg.js';

type Handlers = { [K in keyof AppEvents]: ((v: AppEvents[K]) => void)[] };

function createApp(info: Info, status: Status): App & { setDataset(d: DatasetView): void } {
  const handlers: Handlers = { select: [], dataset: [] };
  let selected: number | null = null;
  let dataset: DatasetView | null = null;
  let toastTimer = 0;
  const app = {
    info,
    status,
    get selected() {
      return selected;
    },
    get dataset() {
      return dataset;
    },
    select(index: number) {
      if (!Number.isInteger(index) || index < 0 || index >= info.data.n) return;
      selected = index;
      document.body.dataset['selected'] = String(index);
      setState('i', index);
      for (const fn of handlers.select) fn(index);
    },
    on<K extends keyof AppEvents>(event: K, fn: (value: AppEvents[K]) => void) {
      (handlers[event] as ((v: AppEvents[K]) => void)[]).push(fn);
    },
    imageUrl: (i: number) => `/api/input/${i}.png?g=${info.generation}`,
    className: (c: number | null) => (c === null ? 'unknown' : (info.classNames[c] ?? String(c))),
    classLabel: (c: number) => (info.classNames[c] === String(c) ? String(c) : `${c}: ${info.classNames[c] ?? ''}`),
    toast(text: string) {
      const el = byId('toast');
      el.textContent = text;
      el.hidden = false;
      clearTimeout(toastTimer);
      toastTimer = window.setTimeout(() => (el.hidden = true), 5000);
    },
    setDataset(d: DatasetView) {
      dataset = d;
      for (const fn of handlers.dataset) fn(d);
    },
  };
  return app;
}

function topBar(info: Info): void {
  document.title = `convscope · ${info.model.file.split(/[\\/]/).pop() ?? ''}`;
  byId('model-name').textContent = info.model.file.split(/[\\/]/).pop() ?? info.model.file;
  byId('model-name').title = info.model.file;
  const shape = info.data.shape;
  const k = info.classNames.length;
  replace(
    byId('model-chips'),
    h('span', { class: 'chip-info', title: info.model.head.description }, `${info.model.head.kind} · ${k} classes`),
    h('span', { class: 'chip-info', title: info.data.file ?? '' }, `x ${shape[0]} × ${shape.slice(1).join('×')}`),
    h('span', { class: `chip-info${info.data.hasLabels ? '' : ' warn'}`, title: info.data.labels ?? 'no labels' }, info.data.hasLabels ? 'labels ✓' : 'no labels'),
    h('span', { class: 'chip-info' }, info.model.engine),
  );
}

async function main(): Promise<void> {
  const status = new Status(byId('status'), byId('status-text'));
  let info: Info;
  try {
    info = await requestJson<Info>('/api/info');
  } catch (err) {
    byId('status-text').textContent = `Cannot reach the convscope server: ${err instanceof Error ? err.message : String(err)}`;
    return;
  }
  document.body.dataset['generation'] = String(info.generation);
  topBar(info);
  const app = createApp(info, status);
  renderModelPanel(app);
  initOpenPanel(info.maxUploadBytes, () => {
    location.hash = '';
    location.reload();
  });
  initInputPanel(app);
  initMethodsPanel(app);
  const samples = initSamplesPanel(app);
  const runEmbedding = initEmbedPanel(app);
  initClassAveragePanel(app);

  // Keyboard: previous / next input in the browser's order.
  window.addEventListener('keydown', (e) => {
    const t = e.target as HTMLElement;
    if (e.defaultPrevented || e.altKey || e.ctrlKey || e.metaKey || t.closest('input, select, textarea, [role="tablist"], dialog') !== null) return;
    const step = e.key === 'ArrowRight' || e.key === 'j' ? 1 : e.key === 'ArrowLeft' || e.key === 'k' ? -1 : 0;
    if (step === 0 || app.selected === null) return;
    const next = samples.neighbor(app.selected, step);
    if (next !== null) {
      e.preventDefault();
      app.select(next);
    }
  });

  // The first selection: from the URL, else input 0 (as the CLI without --index).
  const fromUrl = Number(getState('i'));
  app.select(Number.isInteger(fromUrl) && fromUrl >= 0 && fromUrl < info.data.n ? fromUrl : 0);

  // Predictions for every input (the data card, filters, tooltips) and the embedding, side by side.
  runEmbedding();
  const dataRunner = new Runner(byId('card-data'), byId('data-area'), status);
  const view = await dataRunner.run<DatasetView>('dataset', new URLSearchParams(), `Predicting ${info.data.n} inputs`);
  if (view !== undefined) {
    app.setDataset(view);
    renderDataPanel(app, view, (t, p) => samples.filterCell(t, p));
  }
}

void main();
