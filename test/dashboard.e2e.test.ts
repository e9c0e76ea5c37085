// End to end: `convscope serve` on the mnist fixture (256 inputs, labels made here), driven in
// Debian's headless Chromium with playwright-core. Picks by class and seed and compares with the
// CLI, opens every method and checks what is drawn against the library's numbers, selects from
// the embedding and checks that every panel follows, opens a bad file, and checks the address
// contract (loopback only, foreign Host refused). Screenshots go to test/screenshots/.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { connect } from 'node:net';
import { networkInterfaces } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { decode } from 'fast-png';
import { haveFixtures, repoRoot } from './fixtures.js';
import { MNIST_MODEL, MNIST_X, makeLabels, openData, request, tempDir, writeLabels } from './dashboard-helpers.js';
import { runCli } from './cli-harness.js';
import type { Dataset } from '../src/methods/dataset.js';
import { kernels } from '../src/methods/kernels.js';
import { activations } from '../src/methods/activations.js';
import { occlusion } from '../src/methods/occlusion.js';
import { gradCam } from '../src/methods/gradcam.js';
import { integratedGradients, saliency } from '../src/methods/gradients.js';
import { confusion } from '../src/methods/dataset.js';
import { renderKernelsFigure } from '../src/render/figures.js';
import { colorize } from '../src/render/colormaps.js';
import { formatError } from '../src/cli/exit.js';
import { readNpy } from '../src/io/npy.js';

const CHROMIUM = '/usr/bin/chromium';
const SHOTS = join(repoRoot, 'test', 'screenshots');
/** Element screenshots: the sticky top bar would cover the element. */
const STATIC_BAR = '.topbar { position: static !important; }';
const skip = !haveFixtures ? 'shared fixtures not found' : !existsSync(CHROMIUM) ? `${CHROMIUM} not installed` : false;

/** Starts `convscope serve` in a child process and resolves with the address it prints. */
function serve(args: string[]): Promise<{ child: ChildProcess; url: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(repoRoot, 'bin', 'convscope.js'), 'serve', ...args], { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    const timer = setTimeout(() => reject(new Error(`serve printed no address within 60 s: ${out} ${err}`)), 60_000);
    child.stdout!.on('data', (c: Buffer) => {
      out += c.toString();
      const m = /convscope dashboard: (http:\/\/\S+)/.exec(out);
      if (m !== null) {
        clearTimeout(timer);
        resolve({ child, url: m[1]! });
      }
    });
    child.stderr!.on('data', (c: Buffer) => (err += c.toString()));
    child.on('exit', (code) => reject(new Error(`serve exited with ${code}: ${err}`)));
  });
}

/** Waits until a panel is ready and shows input `index` (when given). */
async function ready(page: Page, selector: string, index?: number): Promise<void> {
  await page.waitForFunction(
    ([sel, idx]) => {
      const el = document.querySelector(sel as string);
      return el !== null && el.getAttribute('data-state') === 'ready' && (idx === null || el.getAttribute('data-index') === String(idx));
    },
    [selector, index ?? null] as const,
    { timeout: 60_000 },
  );
}

/** Pixels of a PNG data URI. */
function pngPixels(uri: string): { width: number; height: number; data: Uint8Array } {
  const img = decode(Buffer.from(uri.replace(/^data:image\/png;base64,/, ''), 'base64'));
  return { width: img.width, height: img.height, data: img.data as Uint8Array };
}

/** Share of pixels whose colour differs by more than `tol` in a channel from the expected colours. */
function mismatch(got: Uint8Array, want: Uint8ClampedArray, tol = 8): number {
  let bad = 0;
  for (let p = 0; p < want.length / 4; p++) {
    for (let c = 0; c < 3; c++) {
      if (Math.abs(got[4 * p + c]! - want[4 * p + c]!) > tol) {
        bad++;
        break;
      }
    }
  }
  return bad / (want.length / 4);
}

function symmetric(values: Float32Array): [number, number] {
  let m = 0;
  for (const v of values) m = Math.max(m, Math.abs(v));
  return m > 0 ? [-m, m] : [-1, 1];
}

describe('dashboard in headless Chromium', { skip, timeout: 180_000 }, () => {
  let child: ChildProcess;
  let url: string;
  let port: number;
  let browser: Browser;
  let page: Page;
  let data: Dataset;
  let labels: Int32Array;
  let yPath: string;
  const shot = (name: string): Promise<Buffer> => page.screenshot({ path: join(SHOTS, `${name}.png`) });

  before(async () => {
    mkdirSync(SHOTS, { recursive: true });
    const dir = tempDir();
    labels = await makeLabels(MNIST_MODEL, MNIST_X);
    yPath = writeLabels(dir, labels);
    ({ child, url } = await serve([MNIST_MODEL, '--x', MNIST_X, '--y', yPath, '--port', '0']));
    port = Number(new URL(url).port);
    ({ data } = await openData(MNIST_MODEL, MNIST_X, yPath, labels));
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
    // Generous: the machine may be busy with other work.
    page.setDefaultTimeout(60_000);
    page.on('pageerror', (e) => assert.fail(`page error: ${e.message}`));
  });

  after(async () => {
    await browser?.close();
    if (child !== undefined && child.exitCode === null) {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
    }
    await data?.model.dispose();
  });

  test('serve prints http://127.0.0.1:P/, listens on loopback only and refuses a foreign Host', async () => {
    assert.match(url, /^http:\/\/127\.0\.0\.1:\d+\/$/);
    assert.equal((await request(port, '/')).status, 200);
    const foreign = await request(port, '/', { headers: { Host: `attacker.example:${port}` } });
    assert.ok(foreign.status >= 400 && foreign.status < 500, `status ${foreign.status}`);
    const others = ['127.0.0.2', ...Object.values(networkInterfaces()).flatMap((l) => (l ?? []).filter((a) => a.family === 'IPv4' && !a.internal).map((a) => a.address))];
    for (const host of others) {
      const refused = await new Promise<boolean>((resolve) => {
        const s = connect({ host, port }, () => {
          s.destroy();
          resolve(false);
        });
        s.on('error', () => resolve(true));
      });
      assert.ok(refused, `reachable on ${host}`);
    }
  });

  test('first view: the input, its prediction, accuracy and confusion matrix', async () => {
    const t0 = Date.now();
    await page.goto(url);
    await ready(page, '#card-input', 0);
    await ready(page, '#card-data');
    await page.waitForSelector('#scatter circle[data-index]');
    await page.waitForFunction(() => document.body.dataset['busy'] === '0');
    const elapsed = Date.now() - t0;
    assert.ok(elapsed < 30_000, `first complete view took ${elapsed} ms`);
    const c = await confusion(data);
    const acc = Number(await page.getAttribute('#accuracy', 'data-accuracy'));
    assert.ok(Math.abs(acc - c.accuracy) < 1e-12);
    assert.equal(await page.locator('.confusion-svg rect[data-true]').count(), 100);
    assert.equal(await page.textContent('#verdict-index'), '0');
    await shot('overview');
    await page.screenshot({ path: join(SHOTS, 'overview-full.png'), fullPage: true });
  });

  test('picking by class and seed shows the input and prediction the CLI gives', async () => {
    const cli = await runCli(['select', MNIST_MODEL, '--x', MNIST_X, '--y', yPath, '--pick-class', '3', '--seed', '7', '--json', '-']);
    assert.equal(cli.code, 0, cli.stderr);
    const want = JSON.parse(cli.stdout) as { input: { index: number; trueClass: number; predictedClass: number; probabilities: number[] } };
    await page.selectOption('#pick-class', '3');
    await page.fill('#pick-seed', '7');
    await page.click('#pick-form button[type="submit"]');
    await ready(page, '#card-input', want.input.index);
    assert.equal(await page.getAttribute('#verdict', 'data-true'), String(want.input.trueClass));
    assert.equal(await page.getAttribute('#verdict', 'data-predicted'), String(want.input.predictedClass));
    const shown = await page.$$eval('#probs li', (lis) => lis.map((li) => [Number(li.getAttribute('data-class')), Number(li.getAttribute('data-p'))]));
    assert.equal(shown.length, 10);
    for (const [c, p] of shown) assert.ok(Math.abs(p! - want.input.probabilities[c!]!) < 1e-6, `class ${c}`);
    assert.match(page.url(), new RegExp(`[#&]i=${want.input.index}(&|$)`));
    assert.match(page.url(), /pc=3/);
  });

  test('each method draws what the library computes', async () => {
    const i = Number(await page.getAttribute('#card-input', 'data-index'));
    const x = data.input(i);
    const t = labels[i]!;

    // Kernels: the figure is the library's figure, byte for byte.
    await page.click('#tab-kernels');
    await ready(page, '#pane-kernels');
    const src = (await page.getAttribute('#pane-kernels .figure img', 'src'))!;
    const svg = decodeURIComponent(src.replace(/^data:image\/svg\+xml;charset=utf-8,/, ''));
    assert.equal(svg, renderKernelsFigure(kernels(data.model.graph, { layer: 'conv2d_1' })));
    await shot('kernels');

    // Activations: every map, on the library's range; a click enlarges one.
    await page.click('#tab-activations');
    await ready(page, '#pane-activations', i);
    const act = await activations(data.model, x, {});
    assert.equal(await page.locator('#pane-activations .map').count(), act.channels.length);
    assert.ok(Math.abs(Number(await page.getAttribute('#pane-activations .readout', 'data-max')) - act.max) < 1e-5);
    await shot('activations');
    await page.click('#pane-activations .map[data-channel="2"]');
    await page.waitForSelector('#zoom-dialog .zoom-body img');
    await shot('activation-zoom');
    await page.click('#zoom-dialog form button');

    // Occlusion: streamed, the final map coloured from the library's numbers, cancellable.
    await page.click('#tab-occlusion');
    await page.fill('[name="o.window"]', '4');
    await page.press('[name="o.window"]', 'Enter');
    await page.waitForFunction(() => document.querySelector('#pane-occlusion .readout')?.getAttribute('data-worst-drop') !== null && document.querySelector('#pane-occlusion')?.getAttribute('data-state') === 'ready');
    const occ = await occlusion(data.model, x, { targetClass: t, window: 4 });
    const read = async (k: string): Promise<number> => Number(await page.getAttribute('#pane-occlusion .readout', k));
    assert.ok(Math.abs((await read('data-baseline')) - occ.baseline) < 1e-5);
    let best = 0;
    for (let k = 1; k < occ.drop.length; k++) if (occ.drop[k]! > occ.drop[best]!) best = k;
    assert.ok(Math.abs((await read('data-worst-drop')) - occ.drop[best]!) < 1e-5);
    const heat = pngPixels((await page.getAttribute('#pane-occlusion img.heat', 'src'))!);
    assert.deepEqual([heat.width, heat.height], [28, 28]);
    const [lo, hi] = symmetric(occ.overlay);
    assert.ok(mismatch(heat.data, colorize(occ.overlay, { colormap: 'RdBu_r', min: lo, max: hi })) < 0.01);
    await page.fill('#pane-occlusion input[type="range"]', '0.3');
    assert.equal(await page.$eval('#pane-occlusion img.heat', (el) => (el as HTMLElement).style.opacity), '0.3');
    await shot('occlusion');
    // A long run (1 px window) fills in progressively; Cancel stops it. The page's network is
    // throttled (DevTools emulation, 1 KB/s: each partial map is a few KB) so the first partial
    // map shows before the run's end and the run is still streaming when Cancel is clicked,
    // however fast the machine computes it (the server side of cancelling is tested in
    // test/server.test.ts).
    const cdp = await page.context().newCDPSession(page);
    await cdp.send('Network.enable');
    await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 0, downloadThroughput: 1024, uploadThroughput: -1 });
    await page.evaluate(() => {
      const w = window as unknown as { heatUpdates: number };
      w.heatUpdates = 0;
      new MutationObserver(() => w.heatUpdates++).observe(document.querySelector('#pane-occlusion img.heat')!, { attributes: true, attributeFilter: ['src'] });
    });
    await page.fill('[name="o.window"]', '1');
    await page.press('[name="o.window"]', 'Enter');
    await page.waitForFunction(() => (window as unknown as { heatUpdates: number }).heatUpdates >= 1, null, { timeout: 20_000 });
    const partial = (await page.textContent('#pane-occlusion .progress-text'))!;
    assert.match(partial, /\b\d{1,2}%$/, `a partial map is shown before the end (${partial})`);
    await page.click('#pane-occlusion .cancel');
    await page.waitForFunction(() => document.body.dataset['busy'] === '0');
    assert.equal(await page.getAttribute('#pane-occlusion', 'data-state'), 'cancelled');
    await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: -1 });
    await cdp.detach();
    await page.fill('[name="o.window"]', '4');
    await page.press('[name="o.window"]', 'Enter');
    await ready(page, '#pane-occlusion', i);

    // Grad-CAM: score and map from the library.
    await page.click('#tab-gradcam');
    await ready(page, '#pane-gradcam', i);
    const gc = await gradCam(data.model, x, { targetClass: t });
    assert.ok(Math.abs(Number(await page.getAttribute('#pane-gradcam .readout', 'data-score')) - gc.score) < 1e-4);
    const gheat = pngPixels((await page.getAttribute('#pane-gradcam img.heat', 'src'))!);
    let top = 0;
    for (const v of gc.map) top = Math.max(top, v);
    assert.ok(mismatch(gheat.data, colorize(gc.overlay, { colormap: 'jet', min: 0, max: top > 0 ? top : 1 })) < 0.01);
    await shot('gradcam');

    // Gradients: saliency, then Integrated Gradients with its completeness error.
    await page.click('#tab-gradients');
    await ready(page, '#pane-gradients', i);
    const sal = await saliency(data.model, x, { targetClass: t });
    assert.ok(Math.abs(Number(await page.getAttribute('#pane-gradients .readout', 'data-score')) - sal.score) < 1e-4);
    await page.selectOption('[name="s.method"]', 'ig');
    await page.fill('[name="s.steps"]', '16');
    await page.press('[name="s.steps"]', 'Enter');
    await page.waitForFunction(() => document.querySelector('#pane-gradients .readout')?.hasAttribute('data-completeness') === true && document.querySelector('#pane-gradients')?.getAttribute('data-state') === 'ready');
    const ig = await integratedGradients(data.model, x, { targetClass: t, steps: 16 });
    assert.ok(Math.abs(Number(await page.getAttribute('#pane-gradients .readout', 'data-completeness')) - ig.completenessError) < 1e-3);
    await shot('gradients');
    // The export links carry the state.
    const href = (await page.getAttribute('#exp-methods a[href*=".npy"]', 'href'))!;
    const npy = readNpy(new Uint8Array((await request(port, href)).body));
    assert.deepEqual(npy.shape, [28, 28, 1]);
  });

  test('clicking an embedding point selects that input in every panel; hover and brushing work', async () => {
    const before = Number(await page.getAttribute('#card-input', 'data-index'));
    const j = before === 42 ? 43 : 42;
    await page.locator('#card-embed').scrollIntoViewIfNeeded();
    const point = page.locator(`#scatter circle[data-index="${j}"]`);
    await point.hover({ force: true });
    await page.waitForSelector('#tooltip:not([hidden])');
    assert.match((await page.textContent('#tooltip'))!, new RegExp(`Input ${j}`));
    await point.click({ force: true });
    await ready(page, '#card-input', j);
    await ready(page, '#card-methods', j);
    await ready(page, '#pane-gradients', j);
    await page.waitForFunction((idx) => document.querySelector('#scatter circle.selected')?.getAttribute('data-index') === String(idx), j);
    assert.equal(await page.getAttribute('#card-embed', 'data-index'), String(j));
    assert.equal(await page.getAttribute('#card-samples', 'data-index'), String(j));
    assert.equal(await page.getAttribute(`#thumbs .thumb[data-index="${j}"]`, 'aria-selected'), 'true');
    assert.equal(await page.locator('#thumbs .thumb[aria-selected="true"]').count(), 1);
    assert.match(page.url(), new RegExp(`[#&]i=${j}(&|$)`));
    // Brushing a region lists its inputs.
    const box = (await page.locator('#scatter svg').boundingBox())!;
    await page.mouse.move(box.x + box.width * 0.15, box.y + box.height * 0.2);
    await page.mouse.down();
    await page.mouse.move(box.x + box.width * 0.6, box.y + box.height * 0.85, { steps: 5 });
    await page.mouse.up();
    await page.waitForSelector('#brushed:not([hidden])');
    assert.ok((await page.locator('#brushed .chip').count()) > 0);
    await page.locator('#card-embed').screenshot({ path: join(SHOTS, 'embedding.png'), style: STATIC_BAR });
  });

  test('t-SNE animates while it optimises and stops on request', async () => {
    await page.selectOption('[name="e.method"]', 'tsne');
    await page.fill('[name="e.n"]', '200');
    // 100,000 iterations: still optimising when Stop is clicked, however fast the machine.
    await page.fill('[name="e.iterations"]', '100000');
    await page.evaluate(() => {
      const w = window as unknown as { frames: number };
      w.frames = 0;
      new MutationObserver(() => w.frames++).observe(document.querySelector('#scatter')!, { childList: true });
    });
    await page.click('#embed-form button[type="submit"]');
    await page.waitForFunction(() => (window as unknown as { frames: number }).frames >= 3, null, { timeout: 30_000 });
    await page.click('#embed-stop');
    await ready(page, '#card-embed');
    assert.match((await page.textContent('#card-embed .readout'))!, /stopped after \d+ iterations/);
    await page.fill('[name="e.iterations"]', '');
    assert.equal(await page.locator('#scatter circle[data-index]').count(), 200);
    await page.locator('#card-embed').screenshot({ path: join(SHOTS, 'tsne.png'), style: STATIC_BAR });
  });

  test('class-average maps per class and per correct/wrong prediction', async () => {
    await page.selectOption('[name="c.method"]', 'saliency');
    await page.fill('[name="c.n"]', '3');
    await page.click('#classavg-form button[type="submit"]');
    await ready(page, '#card-classavg');
    await page.waitForSelector('#classavg-figure img');
    assert.ok((await page.locator('#classavg-group option').count()) >= 10);
    await page.locator('#card-classavg').screenshot({ path: join(SHOTS, 'class-average.png'), style: STATIC_BAR });
  });

  test('keyboard: arrows move the selection and the tabs', async () => {
    await page.locator('#card-samples').scrollIntoViewIfNeeded();
    await page.click(`#thumbs .thumb[data-index="10"]`);
    await ready(page, '#card-input', 10);
    await page.locator('body').focus();
    await page.evaluate(() => (document.activeElement as HTMLElement | null)?.blur());
    await page.keyboard.press('ArrowRight');
    await ready(page, '#card-input', 11);
    await page.focus('#tab-gradients');
    await page.keyboard.press('ArrowLeft');
    assert.equal(await page.getAttribute('#tab-gradcam', 'aria-selected'), 'true');
    await page.locator('#card-data').screenshot({ path: join(SHOTS, 'data.png'), style: STATIC_BAR });
  });

  test('a bookmarked URL reproduces the view', async () => {
    const p2 = await browser.newPage({ viewport: { width: 1366, height: 768 } });
    await p2.goto(`${url}#i=17&tab=gradcam&g.class=2&e.method=pca`);
    await ready(p2, '#pane-gradcam', 17);
    assert.equal(await p2.getAttribute('#pane-gradcam .readout', 'data-target-class'), '2');
    assert.equal(await p2.getAttribute('#card-methods', 'data-tab'), 'gradcam');
    await p2.screenshot({ path: join(SHOTS, 'laptop-1366.png') });
    await p2.close();
  });

  test('opening a bad file shows the same error as the CLI', async () => {
    const garbage = Buffer.from('definitely not a numpy array');
    let expected = '';
    try {
      readNpy(new Uint8Array(garbage), { fileName: 'bad.npy' });
    } catch (err) {
      expected = formatError(err, false).trim();
    }
    assert.match(expected, /^FileFormatError \[NPY_BAD_HEADER\]: /);
    await page.click('#open-button');
    await page.setInputFiles('#open-input', { name: 'bad.npy', mimeType: 'application/octet-stream', buffer: garbage });
    assert.equal(await page.inputValue('#open-list select'), 'x');
    await page.click('#open-submit');
    await page.waitForSelector('#open-error:not([hidden])');
    assert.equal((await page.textContent('#open-error'))!.trim(), expected);
    await shot('open-error');
    await page.click('#open-cancel');
    assert.equal(await page.getAttribute('body', 'data-generation'), '1');
  });
});
