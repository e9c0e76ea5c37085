// The dashboard server over plain HTTP: what it serves, what it refuses (foreign Host and Origin,
// unknown routes, other methods, malformed requests, oversized uploads), streamed runs that match
// the library and can be cancelled, exports with the CLI's provenance, saving only into the
// chosen folder, opening files from the page, and a single-sigmoid model.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { join } from 'node:path';
import { createServer, type DashboardServer } from '../src/server/server.js';
import { occlusion } from '../src/methods/occlusion.js';
import { gradCam } from '../src/methods/gradcam.js';
import { embed } from '../src/methods/embed/index.js';
import { readNpy } from '../src/io/npy.js';
import { readPngProvenance, readSvgProvenance } from '../src/render/provenance.js';
import { sha256Hex } from '../src/methods/provenance.js';
import { existsSync } from 'node:fs';
import { haveFixtures, repoRoot } from './fixtures.js';
import { runCli } from './cli-harness.js';
import { BINARY_MODEL, BINARY_X, MNIST_MODEL, MNIST_X, makeLabels, openData, request, runLines, runView, tempDir, writeLabels } from './dashboard-helpers.js';

const skip = haveFixtures ? false : 'shared fixtures not found';

describe('dashboard server (mnist fixture, 256 inputs, labels)', { skip }, () => {
  let server: DashboardServer;
  let port: number;
  let labels: Int32Array;
  let dir: string;
  let yPath: string;

  before(async () => {
    dir = tempDir();
    labels = await makeLabels(MNIST_MODEL, MNIST_X);
    yPath = writeLabels(dir, labels);
    const { data, provenance } = await openData(MNIST_MODEL, MNIST_X, yPath, labels);
    server = await createServer({ data, provenance, maxUploadBytes: 64 * 1024, outDir: dir });
    port = server.port;
  });
  after(async () => {
    await server?.close();
  });

  test('serves the page on loopback only, with a strict content security policy', async () => {
    assert.equal((server.server.address() as { address: string }).address, '127.0.0.1');
    assert.equal(server.url, `http://127.0.0.1:${port}/`);
    const a = await request(port, '/');
    assert.equal(a.status, 200);
    assert.match(String(a.headers['content-type']), /^text\/html/);
    assert.match(a.body.toString(), /<script type="module" src="\/app.js"><\/script>/);
    const csp = String(a.headers['content-security-policy']);
    assert.match(csp, /script-src 'self'/);
    assert.match(csp, /frame-ancestors 'none'/);
    assert.equal(a.headers['x-content-type-options'], 'nosniff');
    for (const path of ['/app.js', '/style.css', '/favicon.svg']) assert.equal((await request(port, path)).status, 200, path);
    assert.equal((await request(port, '/', { headers: { Host: `localhost:${port}` } })).status, 200);
  });

  test('refuses a foreign Host header (DNS rebinding), a foreign Origin and cross-site API calls with 403', async () => {
    for (const path of ['/', '/api/info', '/api/run/dataset']) {
      const a = await request(port, path, { headers: { Host: `evil.example:${port}` } });
      assert.equal(a.status, 403, path);
      assert.equal(a.json<{ error: { code: string } }>().error.code, 'FORBIDDEN_HOST');
    }
    assert.equal((await request(port, '/', { headers: { Host: `127.0.0.1:${port + 1}` } })).status, 403);
    const post = await request(port, '/api/stop?job=1', { method: 'POST', headers: { Origin: 'http://evil.example' } });
    assert.equal(post.status, 403);
    assert.equal(post.json<{ error: { code: string } }>().error.code, 'FORBIDDEN_ORIGIN');
    assert.equal((await request(port, '/api/info', { headers: { 'Sec-Fetch-Site': 'cross-site' } })).status, 403);
    assert.equal((await request(port, '/api/info', { headers: { 'Sec-Fetch-Site': 'same-origin', Origin: `http://127.0.0.1:${port}` } })).status, 200);
  });

  test('unknown routes and path tricks are 404; methods other than GET and POST are 405', async () => {
    for (const path of ['/../package.json', '/%2e%2e/package.json', '/web/app.ts', '/dist/app.js', '/app.js/../../package.json', '/index.htm', '/api/nope', '/api/run/nope', '/api/run/../info', '/api/export/nope.png', '/api/input/9.jpg']) {
      const a = await request(port, path);
      assert.equal(a.status, 404, path);
    }
    for (const method of ['PUT', 'DELETE', 'PATCH', 'OPTIONS']) {
      const a = await request(port, '/api/info', { method });
      assert.equal(a.status, 405, method);
      assert.equal(a.headers['allow'], 'GET, POST');
    }
    assert.equal((await request(port, '/api/info', { method: 'POST' })).status, 405);
    assert.equal((await request(port, '/api/open')).status, 405);
  });

  test('malformed API requests are 400 with the error name, code and message', async () => {
    const cases: [string, RegExp][] = [
      ['/api/run/occlusion?i=abc', /'i' must be an integer/],
      ['/api/run/occlusion?i=256', /'i' must be an integer from 0 to 255/],
      ['/api/run/occlusion', /needs 'i'/],
      ['/api/run/occlusion?i=1&bogus=2', /Unknown parameter 'bogus'/],
      ['/api/run/occlusion?i=1&i=2', /given twice/],
      ['/api/run/occlusion?i=1&class=10', /'class' must be an integer from 0 to 9/],
      ['/api/run/gradcam?i=0&layer=nope', /No layer named 'nope'/],
      ['/api/run/kernels?layer=dense_1', /not a convolution/],
      ['/api/run/embed?method=pca&perplexity=5', /perplexity does not apply to method 'pca'/],
      ['/api/select?class=99', /Class 99 does not exist/],
      ['/api/export/occlusion.gif?i=0', /Unknown export format 'gif'/],
      ['/api/info?x=1', /Unknown parameter 'x'/],
    ];
    for (const [path, message] of cases) {
      const a = await request(port, path);
      assert.equal(a.status, 400, path);
      const e = a.json<{ error: { name: string; code: string; message: string } }>().error;
      assert.equal(e.name, 'ArgumentError', path);
      assert.equal(e.code, 'BAD_ARGUMENT', path);
      assert.match(e.message, message, path);
    }
  });

  test('picking by class and seed gives the library choice (the CLI uses the same call)', async () => {
    const data = server.session().data;
    for (const [cls, seed] of [[3, 7], [8, 0], [1, 123]] as const) {
      const got = (await request(port, `/api/select?class=${cls}&seed=${seed}`)).json<{ selection: { index: number; probabilities: number[] } }>().selection;
      const want = await data.selectInput({ class: cls, seed });
      assert.equal(got.index, want.index);
      assert.deepEqual(got.probabilities, want.probabilities);
    }
  });

  test('occlusion streams row by row and its numbers match the library (tolerance 1e-5)', async () => {
    const lines = await runLines(port, '/api/run/occlusion?i=5&window=4');
    assert.equal(lines[0]!['type'], 'start');
    const progress = lines.filter((l) => l['type'] === 'progress');
    assert.ok(progress.length >= 2, `${progress.length} progress lines`);
    assert.ok(progress.every((p) => typeof p['heat'] === 'string' && String(p['heat']).startsWith('data:image/png;base64,')));
    assert.deepEqual(
      progress.map((p) => p['done']),
      [...progress.map((p) => p['done'] as number)].sort((a, b) => a - b),
    );
    const view = lines[lines.length - 1]!['view'] as { baseline: number; targetClass: number; rows: number; cols: number; worst: { row: number; col: number; drop: number } };
    const data = server.session().data;
    const want = await occlusion(data.model, data.input(5), { targetClass: labels[5]!, window: 4 });
    assert.equal(view.targetClass, labels[5]);
    assert.equal(view.rows, want.rows);
    assert.ok(Math.abs(view.baseline - want.baseline) < 1e-5);
    let best = 0;
    for (let k = 1; k < want.drop.length; k++) if (want.drop[k]! > want.drop[best]!) best = k;
    assert.ok(Math.abs(view.worst.drop - want.drop[best]!) < 1e-5);
    const again = await runLines(port, '/api/run/occlusion?i=5&window=4');
    assert.equal(again[again.length - 1]!['cached'], true);
  });

  test('occlusion fill modes and UMAP', async () => {
    const mean = (await request(port, '/api/export/occlusion.json?i=1&window=7&fill=image-mean')).json<{ fill: number; provenance: { options: { fillMode: string } } }>();
    const x = server.session().data.input(1).data;
    assert.ok(Math.abs(mean.fill - x.reduce((a, b) => a + b, 0) / x.length) < 1e-6);
    assert.equal(mean.provenance.options.fillMode, 'image-mean');
    const ds = (await request(port, '/api/export/occlusion.json?i=1&window=7&fill=dataset-mean')).json<{ fillMode: string }>();
    assert.equal(ds.fillMode, 'dataset-mean');
    const v = (await request(port, '/api/export/occlusion.json?i=1&window=7&fill=0.25')).json<{ fill: number }>();
    assert.equal(v.fill, 0.25);
    assert.equal((await request(port, '/api/run/occlusion?i=1&fill=grey')).status, 400);
    const u = await runView<{ n: number; method: string; svg: string }>(port, '/api/run/embed?method=umap&n=64&neighbors=8&color=correct');
    assert.equal(u.method, 'umap');
    assert.equal((u.svg.match(/<circle [^>]*data-index=/g) ?? []).length, 64);
    assert.match(u.svg, />wrong</);
  });

  test('closing a running request cancels the work on the server', async () => {
    // Class averages of occlusion maps with a 1 px window, 64 inputs per class: ~10^5 forward
    // passes, still running when the request closes however fast the machine.
    const req = httpRequest({ host: '127.0.0.1', port, path: '/api/run/classavg?method=occlusion&n=64&window=1', headers: { Host: `127.0.0.1:${port}` } });
    const firstProgress = new Promise<void>((resolve, reject) => {
      req.on('response', (res) => {
        res.on('data', (chunk: Buffer) => {
          if (chunk.toString().includes('"progress"')) resolve();
        });
      });
      req.on('error', () => undefined);
      setTimeout(() => reject(new Error('no progress within 20 s')), 20_000);
    });
    req.end();
    await firstProgress;
    assert.equal(server.activeJobs(), 1);
    req.destroy();
    const t0 = Date.now();
    while (server.activeJobs() > 0 && Date.now() - t0 < 3000) await new Promise((r) => setTimeout(r, 20));
    assert.equal(server.activeJobs(), 0, 'the job ended within 3 s of the request closing');
  });

  test("exports carry the CLI's provenance (PNG, SVG, JSON) and the numbers (.npy)", async () => {
    const q = 'i=5&window=4';
    const sha = await sha256Hex(readFileSync(MNIST_MODEL));
    const png = await request(port, `/api/export/occlusion.png?${q}`);
    assert.equal(png.status, 200);
    assert.equal(png.headers['content-type'], 'image/png');
    assert.match(String(png.headers['content-disposition']), /attachment; filename="occlusion-input5-class\d-w4-s4\.png"/);
    const p = readPngProvenance<{ method: string; model: { sha256: string }; options: Record<string, unknown>; data: { file: string } }>(new Uint8Array(png.body))!;
    assert.equal(p.method, 'occlusion');
    assert.equal(p.model.sha256, sha);
    assert.equal(p.data.file, MNIST_X);
    assert.deepEqual(p.options, { index: 5, class: labels[5], window: 4, stride: 4, fill: 0, fillMode: 'value', preset: 'convscope' });
    const svg = await request(port, `/api/export/occlusion.svg?${q}`);
    assert.deepEqual(readSvgProvenance(svg.body.toString()), p);
    const json = (await request(port, `/api/export/occlusion.json?${q}`)).json<{ provenance: unknown; probability: number[][]; baseline: number; command: string; input: { index: number } }>();
    assert.deepEqual(json.provenance, p);
    assert.equal(json.command, 'occlusion');
    assert.equal(json.input.index, 5);
    const npy = readNpy(new Uint8Array((await request(port, `/api/export/occlusion.npy?${q}`)).body));
    assert.deepEqual(npy.shape, [7, 7]);
    assert.deepEqual(Array.from(npy.data as Float32Array), json.probability.flat());
    const k = (await request(port, '/api/export/kernels.json?layer=conv2d_1&filter=2')).json<{ provenance: { options: unknown }; filters: number[] }>();
    assert.deepEqual(k.provenance.options, { layer: 'conv2d_1', filter: 3, layerIndex: null, layerName: 'conv2d_1' });
    assert.deepEqual(k.filters, [2]);
  });

  test('saving writes only into the chosen folder, never over a file', async () => {
    const before = new Set(readdirSync(dir));
    const a = await request(port, '/api/save/gradcam.png?i=2', { method: 'POST' });
    assert.equal(a.status, 200);
    const b = await request(port, '/api/save/gradcam.png?i=2', { method: 'POST' });
    const files = [a.json<{ file: string }>().file, b.json<{ file: string }>().file];
    assert.notEqual(files[0], files[1]);
    for (const f of files) assert.equal(join(dir, f.split('/').pop()!), f);
    const added = readdirSync(dir).filter((f) => !before.has(f));
    assert.deepEqual(added.sort(), files.map((f) => f.split('/').pop()!).sort());
  });

  test('opening files from the page: the CLI errors, 413 over the limit, then the new labels', async () => {
    const open = (query: string, body: Uint8Array, type = 'application/octet-stream') => request(port, `/api/open?${query}`, { method: 'POST', headers: { 'Content-Type': type }, body });
    const big = new Uint8Array(70 * 1024);
    const tooBig = await open(`f=x:${big.length}:x.npy`, big);
    assert.equal(tooBig.status, 413);
    assert.equal(tooBig.json<{ error: { code: string } }>().error.code, 'LIMIT_EXCEEDED');
    const garbage = new TextEncoder().encode('this is not a numpy file at all');
    const bad = await open(`f=x:${garbage.length}:bad.npy`, garbage);
    assert.equal(bad.status, 422);
    const e = bad.json<{ error: { name: string; code: string; message: string } }>().error;
    let cliMessage = '';
    try {
      readNpy(garbage, { fileName: 'bad.npy' });
    } catch (err) {
      cliMessage = (err as Error).message;
    }
    assert.equal(e.name, 'FileFormatError');
    assert.equal(e.code, 'NPY_BAD_HEADER');
    assert.equal(e.message, cliMessage);
    assert.equal((await open(`f=x:${garbage.length}:bad.npy`, garbage, 'text/plain')).status, 400);
    assert.equal((await open(`f=x:3:bad.npy`, garbage)).status, 400);
    assert.equal((await open(`f=weights:3:w.h5`, garbage.subarray(0, 3))).status, 400);
    // Labels of the wrong length: LABEL_MISMATCH, session unchanged.
    const short = readFileSync(writeLabels(dir, labels.subarray(0, 10), 'short.npy'));
    const mismatch = await open(`f=y:${short.length}:short.npy`, short);
    assert.equal(mismatch.status, 400);
    assert.equal(mismatch.json<{ error: { code: string } }>().error.code, 'LABEL_MISMATCH');
    assert.equal(server.session().generation, 1);
    // Good labels (all shifted by one): a new session with them.
    const shifted = Int32Array.from(labels, (v) => (v + 1) % 10);
    const y2 = readFileSync(writeLabels(dir, shifted, 'y2.npy'));
    const ok = await open(`f=y:${y2.length}:y2.npy&classes=${'abcdefghij'.split('').join(',')}`, y2);
    assert.equal(ok.status, 200, ok.body.toString());
    const info = ok.json<{ generation: number; classNames: string[]; data: { labels: string } }>();
    assert.equal(info.generation, 2);
    assert.equal(info.data.labels, 'y2.npy');
    assert.deepEqual(info.classNames, 'abcdefghij'.split(''));
    assert.deepEqual(Array.from(server.session().data.labels!), Array.from(shifted));
    const prov = (await request(port, '/api/export/dataset.json')).json<{ provenance: { labels: { file: string; sha256: string } } }>().provenance;
    assert.deepEqual(prov.labels, { file: 'y2.npy', sha256: await sha256Hex(y2) });
  });

  test('t-SNE streams frames, equals the library when run to the end, and stops early on request', async () => {
    const q = 'method=tsne&n=64&seed=1&iterations=300';
    const lines = await runLines(port, `/api/run/embed?${q}`);
    const frames = lines.filter((l) => l['stage'] === 'optimize' && typeof l['svg'] === 'string');
    assert.ok(frames.length >= 1, `${frames.length} frames`);
    const got = (await request(port, `/api/export/embed.json?${q}`)).json<{ coordinates: number[][]; indices: number[]; trustworthiness: number }>();
    const data = server.session().data;
    const want = await embed(data.model, data.x, { method: 'tsne', n: 64, seed: 1, nIterations: 300, labels: data.labels });
    assert.deepEqual(got.indices, Array.from(want.indices));
    const flat = got.coordinates.flat();
    let worst = 0;
    for (let k = 0; k < flat.length; k++) worst = Math.max(worst, Math.abs(flat[k]! - want.coordinates[k]!));
    assert.ok(worst < 1e-4, `largest coordinate difference ${worst}`);
    assert.ok(Math.abs(got.trustworthiness - want.trustworthiness!) < 1e-9);

    // Stop: a long run, stopped after its first frame, returns what it has.
    const answer = await new Promise<Record<string, unknown>>((resolve, reject) => {
      const req = httpRequest({ host: '127.0.0.1', port, path: '/api/run/embed?method=tsne&n=128&iterations=100000', headers: { Host: `127.0.0.1:${port}` } }, (res) => {
        let buffer = '';
        let stopped = false;
        res.on('data', (c: Buffer) => {
          buffer += c.toString();
          const lines2 = buffer.split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as Record<string, unknown>);
          const start = lines2.find((l) => l['type'] === 'start');
          if (!stopped && start !== undefined && lines2.some((l) => l['stage'] === 'optimize')) {
            stopped = true;
            void request(port, `/api/stop?job=${String(start['job'])}`, { method: 'POST' });
          }
        });
        res.on('end', () => resolve(buffer.split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as Record<string, unknown>).pop()!));
      });
      req.on('error', reject);
      req.end();
    });
    const view = answer['view'] as { stopped?: boolean; iterations: number };
    assert.equal(view.stopped, true);
    assert.ok(view.iterations < 20000);
  });
});

describe('dashboard server (single sigmoid unit, no labels)', { skip }, () => {
  let server: DashboardServer;
  let port: number;
  before(async () => {
    const { data, provenance } = await openData(BINARY_MODEL, BINARY_X, null, null);
    server = await createServer({ data, provenance });
    port = server.port;
  });
  after(async () => {
    await server?.close();
  });

  test('two classes; views that need labels say so, the rest work', async () => {
    const info = (await request(port, '/api/info')).json<{ classNames: string[]; model: { head: { kind: string } }; data: { hasLabels: boolean; image: { height: number; width: number } } }>();
    assert.deepEqual(info.classNames, ['0', '1']);
    assert.equal(info.model.head.kind, 'sigmoid');
    assert.equal(info.data.hasLabels, false);
    assert.deepEqual(info.data.image, { height: 256, width: 418, channels: 1 });
    const d = await runView<{ accuracy: number | null; confusionSvg: string | null; predicted: number[] }>(port, '/api/run/dataset');
    assert.equal(d.accuracy, null);
    assert.equal(d.confusionSvg, null);
    assert.equal(d.predicted.length, 4);
    const ca = await request(port, '/api/run/classavg');
    assert.equal(ca.status, 400);
    assert.match(ca.json<{ error: { message: string } }>().error.message, /need labels/);
    assert.equal((await request(port, '/api/select?class=1&seed=0')).status, 400);
    // Grad-CAM of class 0 explains -logit: its score is the negative of class 1's.
    const data = server.session().data;
    const g1 = await runView<{ score: number; targetClass: number }>(port, '/api/run/gradcam?i=1&class=1');
    const g0 = await runView<{ score: number }>(port, '/api/run/gradcam?i=1&class=0');
    const want = await gradCam(data.model, data.input(1), { targetClass: 1 });
    assert.ok(Math.abs(g1.score - want.score) < 1e-4);
    assert.ok(Math.abs(g0.score + g1.score) < 1e-4);
    // Without labels the default target is the predicted class.
    const pred = (await data.predictOne(2)).predictedClass;
    const occ = await runView<{ targetClass: number; baseline: number }>(port, '/api/run/occlusion?i=2&window=64');
    assert.equal(occ.targetClass, pred);
    const emb = await runView<{ n: number; svg: string }>(port, '/api/run/embed?method=pca');
    assert.equal(emb.n, 4);
    assert.equal((emb.svg.match(/<circle [^>]*data-index=/g) ?? []).length, 4);
  });
});

describe('convscope serve: errors before it listens', { skip }, () => {
  test('--demo without the demo files says what is missing (exit 3)', { skip: existsSync(join(repoRoot, 'demo', 'model.h5')) ? 'the demo is installed' : false }, async () => {
    const r = await runCli(['serve', '--demo']);
    assert.equal(r.code, 3);
    assert.match(r.stderr, /FileFormatError \[FILE_NOT_FOUND\]: The embedded demo is not installed: .*demo\/model\.h5/);
    assert.equal(r.stdout, '');
  });

  test('bad arguments and files are refused with the CLI errors', async () => {
    const missing = await runCli(['serve', MNIST_MODEL, '--x', join(repoRoot, 'no-such-x.npy')]);
    assert.equal(missing.code, 3);
    assert.match(missing.stderr, /FILE_NOT_FOUND/);
    const noX = await runCli(['serve', MNIST_MODEL]);
    assert.equal(noX.code, 2);
    assert.match(noX.stderr, /needs --x/);
    const port = await runCli(['serve', MNIST_MODEL, '--x', MNIST_X, '--port', '70000']);
    assert.equal(port.code, 2);
    assert.match(port.stderr, /Port must be an integer from 0 to 65535, got 70000/);
    const both = await runCli(['serve', MNIST_MODEL, '--demo']);
    assert.equal(both.code, 2);
    assert.match(both.stderr, /--demo opens the embedded demo/);
  });
});
