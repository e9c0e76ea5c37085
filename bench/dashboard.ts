// Dashboard timings in headless Chromium: (1) from starting `convscope serve` to the first
// complete view (input, method, predictions, embedding all drawn), and (2) from clicking an
// embedding point to every panel showing that input (median of several clicks). On the embedded
// demo by default; --model/--x/--y to use other files.
// Run: node --import tsx bench/dashboard.ts [--model m.h5 --x x.npy [--y y.npy]] [--clicks 5] [--json]

import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import { chromium, type Page } from 'playwright-core';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const CHROMIUM = '/usr/bin/chromium';

/** Options of {@link benchDashboard}. */
export interface DashboardBenchOptions {
  /** Model, x and (optional) y; default: demo/model.h5, demo/x.npy, demo/y.npy. */
  readonly model?: string;
  readonly x?: string;
  readonly y?: string;
  /** Clicks timed for the second measure (default 5). */
  readonly clicks?: number;
}

/** One result row; `skipped` says why nothing was measured. */
export type DashboardBenchRow = Record<string, string | number>;

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

/** Resolves when every panel shows input `index` (any input when null) and nothing is running. */
async function allPanelsReady(page: Page, index: number | null): Promise<void> {
  await page.waitForFunction(
    (idx) => {
      // No named inner functions here: the page does not have the loader's helpers.
      for (const [sel, needIndex] of [['#card-input', true], ['#card-methods', true], ['#card-data', false]] as const) {
        const el = document.querySelector(sel);
        if (el === null || el.getAttribute('data-state') !== 'ready') return false;
        if (needIndex && idx !== null && el.getAttribute('data-index') !== String(idx)) return false;
      }
      if (document.querySelector('#scatter circle[data-index]') === null || document.body.dataset['busy'] !== '0') return false;
      if (idx === null) return true;
      return document.querySelector('#scatter circle.selected')?.getAttribute('data-index') === String(idx) && document.querySelector('#card-samples')?.getAttribute('data-index') === String(idx);
    },
    index,
    { timeout: 300_000, polling: 10 },
  );
}

/** Measures the dashboard; returns rows (or one row saying why it was skipped). */
export async function benchDashboard(options: DashboardBenchOptions = {}): Promise<DashboardBenchRow[]> {
  const demo = options.model === undefined;
  const model = options.model ?? join(ROOT, 'demo', 'model.h5');
  const x = options.x ?? join(ROOT, 'demo', 'x.npy');
  const y = options.y ?? (demo ? join(ROOT, 'demo', 'y.npy') : undefined);
  if (!existsSync(model) || !existsSync(x)) return [{ bench: 'dashboard', skipped: `${demo ? 'the demo is not installed' : 'files missing'}: ${model}, ${x}` }];
  if (!existsSync(CHROMIUM)) return [{ bench: 'dashboard', skipped: `${CHROMIUM} is not installed` }];
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
    await allPanelsReady(page, null);
    const firstView = performance.now() - t0;
    // 2. click a point -> all panels updated (median of several clicks on different points).
    const points = await page.$$eval('#scatter circle[data-index]', (cs) => cs.map((c) => Number(c.getAttribute('data-index'))));
    const current = Number(await page.getAttribute('#card-input', 'data-index'));
    const targets = points.filter((p) => p !== current).filter((_, k, a) => k % Math.max(1, Math.floor(a.length / (options.clicks ?? 5))) === 0).slice(0, options.clicks ?? 5);
    const times: number[] = [];
    for (const j of targets) {
      const c0 = performance.now();
      await page.locator(`#scatter circle[data-index="${j}"]`).dispatchEvent('click');
      await allPanelsReady(page, j);
      times.push(performance.now() - c0);
    }
    times.sort((a, b) => a - b);
    const tab = await page.getAttribute('#card-methods', 'data-tab');
    const round = (v: number): number => Math.round(v);
    return [
      { bench: 'dashboard', measure: 'serve start -> address printed', ms: round(tAddress - t0), data: demo ? 'demo' : model },
      { bench: 'dashboard', measure: 'serve start -> first complete view', ms: round(firstView), data: demo ? 'demo' : model },
      { bench: 'dashboard', measure: `click point -> all panels updated (median of ${times.length}, tab ${tab})`, ms: round(times[Math.floor(times.length / 2)] ?? NaN), min: round(times[0] ?? NaN), max: round(times[times.length - 1] ?? NaN) },
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

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2);
  const arg = (name: string): string | undefined => {
    const i = args.indexOf(name);
    return i >= 0 ? args[i + 1] : undefined;
  };
  const rows = await benchDashboard({
    ...(arg('--model') !== undefined ? { model: resolve(arg('--model')!) } : {}),
    ...(arg('--x') !== undefined ? { x: resolve(arg('--x')!) } : {}),
    ...(arg('--y') !== undefined ? { y: resolve(arg('--y')!) } : {}),
    ...(arg('--clicks') !== undefined ? { clicks: Number(arg('--clicks')) } : {}),
  });
  if (args.includes('--json')) console.log(JSON.stringify(rows));
  else for (const r of rows) console.log(Object.entries(r).map(([k, v]) => `${k}=${String(v)}`).join('  '));
}
