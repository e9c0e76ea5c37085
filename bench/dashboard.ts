// Dashboard timings in headless Chromium against the speed issue's dashboard targets:
// (1) `convscope serve` start -> address printed -> first complete view; (2) a click on an
// embedding point -> every cached panel (input + predictions, samples, embedding selection, data)
// shows that input, target <= 300 ms; (3) the same click, with the occlusion tab active, -> the
// first partial heat map in the occlusion pane, target <= 1000 ms; (4) the click -> all panels
// including the finished occlusion run (no target: occlusion is computed, not cached).
// Click times are taken in the page (performance.now() at the dispatched click and in a
// MutationObserver), median/min/max over several clicks; "met" judges the median.
// Data: the embedded demo and a BaSe-sized model (bench/speed.ts's CNN on 128x128x1, seed 1,
// 300 random 0/1 images with random 0/1 labels, written to a temp folder and removed after);
// --model/--x/--y to time other files instead.
// Run: node --import tsx bench/dashboard.ts [--data demo,base | --model m.h5 --x x.npy [--y y.npy]]
//        [--clicks 5] [--base-n 300] [--json]

import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import { chromium, type Page } from 'playwright-core';
import { writeNpy } from '../src/io/npy.js';
import { createRng } from '../src/random.js';
import { saveKerasH5 } from '../src/train/keras.js';
import { Network } from '../src/train/network.js';
import { baseCnnArchitecture } from '../src/train/spec.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const CHROMIUM = '/usr/bin/chromium';
/** The speed issue's dashboard targets, ms. */
const CACHED_TARGET_MS = 300;
const OCCLUSION_TARGET_MS = 1000;

/** Options of {@link benchDashboard}. */
export interface DashboardBenchOptions {
  /** Model, x and (optional) y; default: demo/model.h5, demo/x.npy, demo/y.npy. */
  readonly model?: string;
  readonly x?: string;
  readonly y?: string;
  /** Name of the data in the rows (default 'demo' for the demo, else the model path). */
  readonly label?: string;
  /** Clicks timed for the click measures (default 5). */
  readonly clicks?: number;
}

/** One result row; `skipped` says why nothing was measured. */
export type DashboardBenchRow = Record<string, string | number>;

/** What the page records for one click (ms on the page's clock). */
interface ClickRecord {
  t0: number;
  cached?: number;
  heat?: number;
  heatPartial?: boolean;
  all?: number;
}

function startServe(args: string[]): Promise<{ child: ChildProcess; url: string }> {
  return new Promise((ok, fail) => {
    const child = spawn(process.execPath, [join(ROOT, 'bin', 'convscope.js'), 'serve', ...args, '--port', '0'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout!.on('data', (c: Buffer) => {
      out += c.toString();
      const m = /convscope dashboard: (http:\/\/\S+)/.exec(out);
      if (m !== null) ok({ child, url: m[1]! });
    });
    child.stderr!.on('data', (c: Buffer) => (err += c.toString()));
    child.on('exit', (code) => fail(new Error(`serve exited with ${code}: ${err}`)));
  });
}

/** Resolves when every panel shows some input and nothing is running (the first view). */
async function firstViewReady(page: Page): Promise<void> {
  await page.waitForFunction(
    () => {
      // No named inner functions here: the page does not have the loader's helpers.
      for (const sel of ['#card-input', '#card-methods', '#card-data']) {
        if (document.querySelector(sel)?.getAttribute('data-state') !== 'ready') return false;
      }
      return document.querySelector('#scatter circle[data-index]') !== null && document.body.dataset['busy'] === '0';
    },
    undefined,
    { timeout: 300_000, polling: 10 },
  );
}

/**
 * Clicks embedding point `index` inside the page and records, on the page's clock, the click, the
 * first moment every cached panel shows the input, the first change of the occlusion heat map's
 * `src` (and whether it was a partial map) and the moment all panels are done.
 */
async function timeClick(page: Page, index: number): Promise<ClickRecord> {
  await page.evaluate((j) => {
    // No named inner functions here (see firstViewReady).
    const rec: ClickRecord = { t0: 0 };
    (window as unknown as { __benchClick: ClickRecord }).__benchClick = rec;
    const observer = new MutationObserver((records) => {
      const now = performance.now();
      if (rec.heat === undefined) {
        for (const r of records) {
          if (r.type === 'attributes' && r.attributeName === 'src' && r.target instanceof HTMLImageElement && r.target.matches('#pane-occlusion img.heat')) {
            rec.heat = now;
            // The streamed maps are labelled "(so far)" (web/panels/methods.ts); the final one is not.
            rec.heatPartial = (document.querySelector('#pane-occlusion .colorbar-slot')?.textContent ?? '').includes('so far');
            break;
          }
        }
      }
      const id = String(j);
      let cached = document.querySelector('#scatter circle.selected')?.getAttribute('data-index') === id && document.querySelector('#card-samples')?.getAttribute('data-index') === id;
      for (const [sel, needIndex] of [['#card-input', true], ['#card-data', false]] as const) {
        const el = document.querySelector(sel);
        if (el === null || el.getAttribute('data-state') !== 'ready' || (needIndex && el.getAttribute('data-index') !== id)) cached = false;
      }
      if (cached && rec.cached === undefined) rec.cached = now;
      const methods = document.querySelector('#card-methods');
      if (cached && methods?.getAttribute('data-state') === 'ready' && methods.getAttribute('data-index') === id && document.body.dataset['busy'] === '0') {
        rec.all = now;
        observer.disconnect();
      }
    });
    observer.observe(document.documentElement, { subtree: true, attributes: true, childList: true });
    const point = document.querySelector(`#scatter circle[data-index="${j}"]`);
    if (point === null) throw new Error(`no embedding point ${j}`);
    rec.t0 = performance.now();
    point.dispatchEvent(new MouseEvent('click', { bubbles: true, cancelable: true }));
  }, index);
  await page.waitForFunction(() => (window as unknown as { __benchClick: ClickRecord }).__benchClick.all !== undefined, undefined, { timeout: 300_000, polling: 20 });
  return page.evaluate(() => (window as unknown as { __benchClick: ClickRecord }).__benchClick);
}

/** Median, min and max of `values` (ms, rounded). */
function stats(values: number[]): { ms: number; min: number; max: number } {
  const v = [...values].sort((a, b) => a - b);
  return { ms: Math.round(v[Math.floor(v.length / 2)] ?? NaN), min: Math.round(v[0] ?? NaN), max: Math.round(v[v.length - 1] ?? NaN) };
}

/** Measures the dashboard; returns rows (or one row saying why it was skipped). */
export async function benchDashboard(options: DashboardBenchOptions = {}): Promise<DashboardBenchRow[]> {
  const demo = options.model === undefined;
  const model = options.model ?? join(ROOT, 'demo', 'model.h5');
  const x = options.x ?? join(ROOT, 'demo', 'x.npy');
  const y = options.y ?? (demo ? join(ROOT, 'demo', 'y.npy') : undefined);
  const data = options.label ?? (demo ? 'demo' : model);
  const clicks = options.clicks ?? 5;
  if (!existsSync(model) || !existsSync(x)) return [{ bench: 'dashboard', data, skipped: `${demo ? 'the demo is not installed' : 'files missing'}: ${model}, ${x}` }];
  if (!existsSync(CHROMIUM)) return [{ bench: 'dashboard', data, skipped: `${CHROMIUM} is not installed` }];
  const args = [model, '--x', x, ...(y !== undefined && existsSync(y) ? ['--y', y] : [])];
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  let child: ChildProcess | undefined;
  try {
    const page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
    // 1. serve start -> first complete view (browser already running).
    const t0 = performance.now();
    const started = await startServe(args);
    child = started.child;
    const tAddress = performance.now();
    await page.goto(started.url);
    await firstViewReady(page);
    const firstView = performance.now() - t0;
    // The occlusion tab (the default) must be active for measure 3.
    if ((await page.getAttribute('#card-methods', 'data-tab')) !== 'occlusion') {
      await page.click('#tab-occlusion');
      await firstViewReady(page);
    }
    // The occlusion options the pane sends (an empty stride means stride = window, as the server does).
    const occWindow = Number(await page.inputValue('#pane-occlusion [name="o.window"]'));
    const strideText = (await page.inputValue('#pane-occlusion [name="o.stride"]')).trim();
    const stride = strideText === '' ? occWindow : Number(strideText);
    const image = await page.evaluate(async () => ((await (await fetch('/api/info', { headers: { Accept: 'application/json' } })).json()) as { data: { image: { width: number; height: number } } }).data.image);
    // 2-4. click points (spread over the embedding, never the one shown) and time each.
    const points = await page.$$eval('#scatter circle[data-index]', (cs) => cs.map((c) => Number(c.getAttribute('data-index'))));
    const current = Number(await page.getAttribute('#card-input', 'data-index'));
    const targets = points.filter((p) => p !== current).filter((_, k, a) => k % Math.max(1, Math.floor(a.length / clicks)) === 0).slice(0, clicks);
    const records: ClickRecord[] = [];
    for (const j of targets) records.push(await timeClick(page, j));
    const cached = stats(records.map((r) => r.cached! - r.t0));
    const heat = stats(records.map((r) => (r.heat ?? NaN) - r.t0));
    const all = stats(records.map((r) => r.all! - r.t0));
    const partial = records.filter((r) => r.heatPartial === true).length;
    const n = records.length;
    return [
      { bench: 'dashboard', data, measure: 'serve start -> address printed', ms: Math.round(tAddress - t0) },
      { bench: 'dashboard', data, measure: 'serve start -> first complete view', ms: Math.round(firstView) },
      { bench: 'dashboard', data, measure: `click point -> cached panels updated (input, samples, embedding, data; median of ${n})`, ...cached, target: `<= ${CACHED_TARGET_MS} ms`, met: cached.ms <= CACHED_TARGET_MS ? 'yes' : 'no' },
      {
        bench: 'dashboard',
        data,
        measure: `click point -> first occlusion rows (window ${occWindow}, stride ${stride} on ${image.width}x${image.height}; partial map first in ${partial}/${n}; median of ${n})`,
        ...heat,
        target: `<= ${OCCLUSION_TARGET_MS} ms`,
        met: heat.ms <= OCCLUSION_TARGET_MS ? 'yes' : 'no',
      },
      { bench: 'dashboard', data, measure: `click point -> all panels updated incl. the occlusion run (median of ${n}, tab occlusion)`, ...all, target: 'none (computed, not cached)' },
    ];
  } finally {
    await browser.close();
    if (child !== undefined && child.exitCode === null) {
      const exited = new Promise((r) => child!.once('exit', r));
      child.kill('SIGTERM');
      await exited;
    }
  }
}

/**
 * Writes a BaSe-sized model and data to `dir`: bench/speed.ts's CNN (128x128x1, seed 1) as a
 * Keras .h5, `n` random haplotype-like images (30% ones, seed 2) and random 0/1 labels (seed 3).
 */
export async function writeBaseData(dir: string, n: number): Promise<{ model: string; x: string; y: string }> {
  const model = join(dir, 'base-cnn.h5');
  const x = join(dir, 'x.npy');
  const y = join(dir, 'y.npy');
  writeFileSync(model, await saveKerasH5(new Network(baseCnnArchitecture(), { seed: 1 })));
  const rng = createRng(2);
  const images = new Float32Array(n * 128 * 128);
  for (let i = 0; i < images.length; i++) images[i] = rng.next() < 0.3 ? 1 : 0;
  writeFileSync(x, writeNpy({ dtype: 'float32', shape: [n, 128, 128, 1], data: images }));
  const labelRng = createRng(3);
  writeFileSync(y, writeNpy({ dtype: 'int32', shape: [n], data: Int32Array.from({ length: n }, () => (labelRng.next() < 0.5 ? 0 : 1)) }));
  return { model, x, y };
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2);
  const arg = (name: string): string | undefined => {
    const i = args.indexOf(name);
    return i >= 0 ? args[i + 1] : undefined;
  };
  const clicks = arg('--clicks') !== undefined ? { clicks: Number(arg('--clicks')) } : {};
  const rows: DashboardBenchRow[] = [];
  if (arg('--model') !== undefined || arg('--x') !== undefined) {
    rows.push(
      ...(await benchDashboard({
        ...(arg('--model') !== undefined ? { model: resolve(arg('--model')!) } : {}),
        ...(arg('--x') !== undefined ? { x: resolve(arg('--x')!) } : {}),
        ...(arg('--y') !== undefined ? { y: resolve(arg('--y')!) } : {}),
        ...clicks,
      })),
    );
  } else {
    const which = new Set((arg('--data') ?? 'demo,base').split(','));
    if (which.has('demo')) rows.push(...(await benchDashboard(clicks)));
    if (which.has('base')) {
      const n = Number(arg('--base-n') ?? 300);
      const dir = mkdtempSync(join(os.tmpdir(), 'convscope-dashboard-'));
      try {
        const files = await writeBaseData(dir, n);
        rows.push(...(await benchDashboard({ ...files, ...clicks, label: `BaSe CNN 128x128x1, ${n} random inputs` })));
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    }
  }
  if (args.includes('--json')) console.log(JSON.stringify(rows));
  else for (const r of rows) console.log(Object.entries(r).map(([k, v]) => `${k}=${String(v)}`).join('  '));
}
