// What the page's panels share: the shapes of the server's answers, the top bar's status, a
// runner that keeps one request per panel (cancelling the stale one), export links, colour bars,
// and the layered image view (input + map with an opacity slider).

import { ApiError, isAbort, runMethod, stopJob, type Progress } from '../api.js';
import { fmt, h, replace } from '../dom.js';

/** GET /api/info. */
export interface Info {
  readonly generation: number;
  readonly version: string;
  readonly model: {
    readonly file: string;
    readonly format: string;
    readonly kerasVersion: string | null;
    readonly engine: string;
    readonly inputShape: (number | null)[];
    readonly outputShape: (number | null)[];
    readonly totalParams: number;
    readonly head: { kind: string; units: number; description: string };
    readonly layers: { name: string; className: string; outputShape: (number | null)[]; params: number; inputs: string[] }[];
  };
  readonly data: { file: string | null; n: number; shape: number[]; labels: string | null; hasLabels: boolean; image: { height: number; width: number; channels: number } };
  readonly classNames: string[];
  readonly layers: {
    readonly conv: string[];
    readonly spatial: { name: string; className: string; activation: boolean }[];
    readonly activationDefault: string | null;
    readonly gradcamDefault: string | null;
    readonly features: string[];
    readonly featureDefault: string | null;
  };
  readonly outDir: string | null;
  readonly maxUploadBytes: number;
}

/** The dataset method's view: predictions, counts, accuracy. */
export interface DatasetView {
  readonly n: number;
  readonly classNames: string[];
  readonly labels: number[] | null;
  readonly predicted: number[];
  readonly confidence: number[];
  readonly counts: { true: number[] | null; predicted: number[] };
  readonly accuracy: number | null;
  readonly mostConfidentlyWrong: { index: number; trueClass: number; predictedClass: number; probability: number }[];
  readonly confusionSvg: string | null;
  readonly countsSvg: string;
}

/** A colour scale sent by the server. */
export interface ColorScale {
  readonly colormap: string;
  readonly min: number;
  readonly max: number;
  readonly stops: string[];
}

/** Running jobs, shown in the top bar ("Computing occlusion 40%…" or "Ready"). */
export class Status {
  private readonly jobs = new Map<number, { label: string; fraction: number | null }>();
  private next = 1;
  private readonly text: HTMLElement;
  private readonly root: HTMLElement;

  constructor(root: HTMLElement, text: HTMLElement) {
    this.root = root;
    this.text = text;
  }

  begin(label: string): number {
    const id = this.next++;
    this.jobs.set(id, { label, fraction: null });
    this.render();
    return id;
  }

  update(id: number, fraction: number | null): void {
    const j = this.jobs.get(id);
    if (j === undefined) return;
    j.fraction = fraction;
    this.render();
  }

  end(id: number): void {
    this.jobs.delete(id);
    this.render();
  }

  private render(): void {
    const list = [...this.jobs.values()];
    document.body.dataset['busy'] = String(list.length);
    this.root.classList.toggle('busy', list.length > 0);
    if (list.length === 0) {
      this.text.textContent = 'Ready';
      return;
    }
    const j = list[list.length - 1]!;
    const pct = j.fraction !== null ? ` ${Math.round(100 * j.fraction)}%` : '';
    this.text.textContent = `${j.label}${pct}${list.length > 1 ? ` (+${list.length - 1} more)` : ''}…`;
  }
}

/**
 * One request at a time for a panel: a new run aborts the previous one. Shows progress over the
 * panel's figure area (without moving anything), and errors in place. Sets data-state on the
 * panel: loading, ready, error.
 */
export class Runner {
  private controller: AbortController | null = null;
  private job: number | null = null;
  private readonly bar: HTMLElement;
  private readonly barText: HTMLElement;
  private readonly errorBox: HTMLElement;

  constructor(
    private readonly panel: HTMLElement,
    private readonly area: HTMLElement,
    private readonly status: Status,
  ) {
    this.bar = h('div', { class: 'bar' });
    this.barText = h('span', { class: 'progress-text' });
    this.errorBox = h('div', { class: 'panel-error', role: 'alert', hidden: true });
    area.append(h('div', { class: 'progress', hidden: true }, this.bar, this.barText), this.errorBox);
  }

  /** True while a run is in flight. */
  get running(): boolean {
    return this.controller !== null;
  }

  /**
   * Runs a method; resolves with its view, or undefined when it was superseded or cancelled.
   * `label` names it in the status bar.
   */
  async run<V>(name: string, params: URLSearchParams, label: string, onProgress?: (p: Progress) => void): Promise<V | undefined> {
    this.cancel();
    const controller = new AbortController();
    this.controller = controller;
    this.panel.dataset['state'] = 'loading';
    this.errorBox.hidden = true;
    const progress = this.area.querySelector<HTMLElement>('.progress')!;
    progress.hidden = false;
    this.bar.style.width = '0%';
    this.barText.textContent = label;
    const sid = this.status.begin(label);
    try {
      const view = await runMethod<V>(name, params, controller.signal, {
        onStart: (job) => (this.job = job),
        onProgress: (p) => {
          if (controller.signal.aborted) return;
          const frac = p.total !== undefined && p.total > 0 ? (p.done ?? 0) / p.total : null;
          this.bar.style.width = `${Math.round(100 * (frac ?? 0))}%`;
          this.barText.textContent = `${label}${p.stage !== undefined ? ` · ${p.stage}` : ''}${frac !== null ? ` ${Math.round(100 * frac)}%` : ''}`;
          this.status.update(sid, frac);
          onProgress?.(p);
        },
      });
      if (controller.signal.aborted) return undefined;
      this.panel.dataset['state'] = 'ready';
      return view;
    } catch (err) {
      if (isAbort(err) || controller.signal.aborted) return undefined;
      this.showError(err);
      return undefined;
    } finally {
      this.status.end(sid);
      if (this.controller === controller) {
        this.controller = null;
        this.job = null;
        progress.hidden = true;
      }
    }
  }

  /** Shows an error in the panel (the CLI's "Name [CODE]: message"). */
  showError(err: unknown): void {
    this.panel.dataset['state'] = 'error';
    this.errorBox.hidden = false;
    replace(this.errorBox, err instanceof ApiError ? err.text : `Error: ${err instanceof Error ? err.message : String(err)}`);
  }

  /** Shows a note instead of a result (e.g. "needs labels"). */
  showNote(text: string): void {
    this.cancel();
    this.panel.dataset['state'] = 'ready';
    this.errorBox.hidden = false;
    this.errorBox.classList.add('note');
    replace(this.errorBox, text);
  }

  clearNote(): void {
    this.errorBox.classList.remove('note');
    this.errorBox.hidden = true;
  }

  /** Aborts the run in flight (the server stops computing). */
  cancel(): void {
    if (this.controller !== null) this.panel.dataset['state'] = 'cancelled';
    this.controller?.abort();
    this.controller = null;
    this.job = null;
    this.area.querySelector<HTMLElement>('.progress')!.hidden = true;
  }

  /** Asks the server to stop early and send what it has (t-SNE); false when nothing runs. */
  stop(): boolean {
    if (this.job === null) return false;
    void stopJob(this.job);
    return true;
  }
}

/** Fills an export bar: download links for PNG, SVG, JSON and .npy, and "Save" when the server has an output folder. */
export function setExports(bar: HTMLElement, method: string, params: URLSearchParams, outDir: string | null, onSaved: (text: string) => void): void {
  const links = (['png', 'svg', 'json', 'npy'] as const).map((fmtName) => {
    const a = h('a', { class: 'button small', href: `/api/export/${method}.${fmtName}?${params.toString()}`, download: '', title: `Download the ${fmtName === 'npy' ? 'main array as .npy' : fmtName === 'json' ? 'numbers as JSON (with provenance)' : `figure as ${fmtName.toUpperCase()}`}` }, fmtName === 'npy' ? '.npy' : fmtName.toUpperCase());
    return a;
  });
  const nodes: Node[] = [h('span', { class: 'export-label' }, 'Export'), ...links];
  if (outDir !== null) {
    const save = h('button', { class: 'button small', type: 'button', title: `Save PNG, SVG, JSON and .npy into ${outDir}` }, 'Save to folder');
    save.addEventListener('click', () => {
      void (async () => {
        const saved: string[] = [];
        for (const f of ['png', 'svg', 'json', 'npy']) {
          const res = await fetch(`/api/save/${method}.${f}?${params.toString()}`, { method: 'POST' });
          const body = (await res.json()) as { file?: string; error?: { message: string } };
          if (!res.ok) {
            onSaved(`Not saved: ${body.error?.message ?? res.statusText}`);
            return;
          }
          saved.push(body.file!);
        }
        onSaved(`Saved ${saved.map((s) => s.split('/').pop()).join(', ')} in ${outDir}`);
      })();
    });
    nodes.push(save);
  }
  replace(bar, ...nodes);
}

/** A horizontal colour bar: gradient, min / middle / max, and a label. */
export function colorbar(scale: ColorScale, label: string): HTMLElement {
  const ramp = h('div', { class: 'ramp' });
  ramp.style.background = `linear-gradient(to right, ${scale.stops.join(', ')})`;
  return h(
    'div',
    { class: 'colorbar' },
    ramp,
    h('div', { class: 'ticks' }, h('span', {}, fmt(scale.min)), h('span', {}, fmt((scale.min + scale.max) / 2)), h('span', {}, fmt(scale.max))),
    h('div', { class: 'cb-label' }, label),
  );
}

/**
 * The input with a map over it: two stacked images in a box of fixed aspect (so nothing moves
 * while a map streams in), an opacity slider, and a colour bar.
 */
export class LayeredView {
  readonly root: HTMLElement;
  private readonly base: HTMLImageElement;
  private readonly heat: HTMLImageElement;
  private readonly bar: HTMLElement;
  private readonly slider: HTMLInputElement;

  constructor(opacity: number, onOpacity: (v: number) => void, options: { smooth?: boolean } = {}) {
    this.base = h('img', { class: 'layer base', alt: 'input' });
    this.heat = h('img', { class: `layer heat${options.smooth === true ? ' smooth' : ''}`, alt: 'map' });
    this.slider = h('input', { type: 'range', min: 0, max: 1, step: 0.05, value: opacity, 'aria-label': 'Map opacity' });
    this.heat.style.opacity = String(opacity);
    this.slider.addEventListener('input', () => {
      this.heat.style.opacity = this.slider.value;
      onOpacity(Number(this.slider.value));
    });
    this.bar = h('div', { class: 'colorbar-slot' });
    this.root = h(
      'div',
      { class: 'layered-wrap' },
      h('div', { class: 'layered' }, this.base, this.heat),
      h('div', { class: 'layered-side' }, h('label', { class: 'slider' }, h('span', {}, 'Opacity'), this.slider), this.bar),
    );
  }

  /** Sets the input image; `aspect` = width / height keeps the box's shape. */
  setBase(src: string, aspect: number): void {
    if (this.base.getAttribute('src') !== src) this.base.src = src;
    (this.root.querySelector('.layered') as HTMLElement).style.aspectRatio = String(aspect);
  }

  setHeat(src: string, scale: ColorScale, label: string): void {
    this.heat.src = src;
    this.heat.hidden = false;
    replace(this.bar, colorbar(scale, label));
  }

  clearHeat(): void {
    this.heat.hidden = true;
  }

  get heatSrc(): string {
    return this.heat.src;
  }
}
