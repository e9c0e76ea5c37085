// The dashboard server under hostile requests: path traversal in every spelling, requests for
// files it never opened, oversized uploads, foreign Host headers, malformed API requests, and
// bad-input corpus files uploaded through /api/open. Each is refused with the right status and a
// typed JSON error, nothing is written, and the server keeps serving the open session.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { createServer, type DashboardServer } from '../../src/server/server.js';
import { Dataset } from '../../src/methods/dataset.js';
import { readNpy } from '../../src/io/npy.js';
import { openModel, referenceEngineFactory } from '../../src/model/open.js';
import type { ProvenanceBase } from '../../src/server/session.js';
import { VERSION } from '../../src/version.js';
import { haveFixtures } from '../fixtures.js';
import { request, tempDir } from '../dashboard-helpers.js';
import { HANDMADE_DIR } from '../corpus/handmade.js';
import { source, truncate } from '../corpus/generate.js';

const skip = haveFixtures ? false : 'shared fixtures not found';
const MAX_UPLOAD = 256 * 1024;

interface ErrorJson {
  error: { name: string; code: string; message: string };
}

/** Sends raw bytes as one HTTP request and returns the status line (for request targets node's client will not send). */
function raw(port: number, text: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => socket.end(text));
    let got = '';
    socket.on('data', (d: Buffer) => (got += d.toString('latin1')));
    socket.on('end', () => resolve(got.split('\r\n')[0] ?? ''));
    socket.on('error', reject);
  });
}

describe('dashboard server under hostile requests', { skip }, () => {
  let server: DashboardServer;
  let port: number;
  let outDir: string;

  before(async () => {
    outDir = tempDir('convscope-hostile-');
    const model = await openModel([{ name: 'cnn_batch_norm.h5', bytes: source('batchnormH5') }], { engine: referenceEngineFactory });
    const a = readNpy(source('bnInput'));
    const data = new Dataset(model, { shape: a.shape, data: Float32Array.from(a.data as Float64Array) });
    const provenance: ProvenanceBase = {
      tool: 'convscope',
      version: VERSION,
      model: { file: 'cnn_batch_norm.h5', sha256: '0'.repeat(64), format: model.format },
      data: { file: 'keras_input.npy', sha256: '0'.repeat(64) },
      labels: null,
      engine: model.engine.name,
    };
    server = await createServer({ data, provenance, maxUploadBytes: MAX_UPLOAD, outDir, engine: 'reference' });
    port = server.port;
  });
  after(async () => {
    await server?.close();
  });

  const open = (files: { role: string; name: string; bytes: Uint8Array }[], headers: Record<string, string> = {}) =>
    request(port, `/api/open?${files.map((f) => `f=${encodeURIComponent(`${f.role}:${f.bytes.length}:${f.name}`)}`).join('&')}`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/octet-stream', ...headers },
      body: Buffer.concat(files.map((f) => Buffer.from(f.bytes))),
    });

  test('path traversal in every spelling, and files it never opened, are 404 (or 400) with nothing leaked', async () => {
    const paths = [
      '/../../../../etc/passwd',
      '/%2e%2e/%2e%2e/etc/passwd',
      '/%2E%2E%2Fpackage.json',
      '/..%2f..%2fpackage.json',
      '/..%5c..%5cpackage.json',
      '/....//....//etc/passwd',
      '/%252e%252e/package.json',
      '//etc/passwd',
      '/\\..\\package.json',
      '/app.js%00.png',
      '/etc/passwd',
      '/package.json',
      '/src/server/server.ts',
      '/node_modules/h5wasm/package.json',
      '/keras_input.npy',
      '/cnn_batch_norm.h5',
      '/api/input/../../package.json',
      '/api/export/../../../etc/passwd',
      '/api/file?path=/etc/passwd',
      '/api/open?f=model:1:/etc/passwd',
    ];
    for (const path of paths) {
      const a = await request(port, path);
      assert.ok(a.status === 404 || a.status === 400 || a.status === 405, `${path}: ${a.status}`);
      assert.doesNotMatch(a.body.toString('latin1'), /root:x:0|"name": "convscope"|"h5wasm"|createServer/, `${path} leaked a file`);
      assert.match(String(a.headers['content-type']), /application\/json/, path);
    }
    // Request targets node's client will not send: absolute-form and asterisk-form.
    assert.match(await raw(port, `GET http://evil.example/../../etc/passwd HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nConnection: close\r\n\r\n`), / (400|403|404) /);
    assert.match(await raw(port, `GET /../../etc/passwd HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nConnection: close\r\n\r\n`), / (400|404) /);
  });

  test('foreign or missing Host headers are 403 on every route', async () => {
    for (const host of ['evil.example', `evil.example:${port}`, `127.0.0.1.evil.example:${port}`, `localhost:${port + 1}`, `127.0.0.1:${port}@evil.example`, `127.0.0.1:${port}.`]) {
      for (const path of ['/', '/api/info', '/api/open']) {
        const a = await request(port, path, { method: path === '/api/open' ? 'POST' : 'GET', headers: { Host: host } });
        assert.equal(a.status, 403, `Host '${host}' ${path}`);
        assert.equal(a.json<ErrorJson>().error.code, 'FORBIDDEN_HOST');
      }
    }
    // No Host at all (HTTP/1.0), and an empty one: node's client always sends one, so raw.
    assert.match(await raw(port, 'GET /api/info HTTP/1.0\r\n\r\n'), / 403 /);
    assert.match(await raw(port, 'GET / HTTP/1.1\r\nHost: \r\nConnection: close\r\n\r\n'), / (400|403) /);
  });

  test('oversized uploads are 413 before the body is read, whatever the declared length says', async () => {
    const big = new Uint8Array(MAX_UPLOAD + 1);
    const a = await open([{ role: 'model', name: 'big.h5', bytes: big }]);
    assert.equal(a.status, 413);
    assert.equal(a.json<ErrorJson>().error.code, 'LIMIT_EXCEEDED');
    assert.match(a.json<ErrorJson>().error.message, /over the dashboard's limit of 262144 bytes.*--max-upload-bytes/);
    // Declared small, sent large: the stream is cut at the limit.
    const lying = await raw(port, `POST /api/open?f=model:10:x.h5 HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nContent-Type: application/octet-stream\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n${(MAX_UPLOAD + 10).toString(16)}\r\n${'A'.repeat(MAX_UPLOAD + 10)}\r\n0\r\n\r\n`);
    assert.match(lying, / 413 /);
  });

  test('malformed API requests are 400/404/405 with a typed JSON error', async () => {
    const cases: [string, string, number, RegExp?][] = [
      ['GET', '/api/select?index=abc', 400],
      ['GET', '/api/select?index=99999', 400],
      ['GET', '/api/select?index=-1', 400],
      ['GET', '/api/select?nonsense=1', 400],
      ['GET', '/api/info?x=1', 400],
      ['GET', '/api/input/99999.png', 400],
      ['GET', '/api/run/nosuchmethod', 404],
      ['GET', '/api/run/occlusion?i=0&patch=-3', 400],
      ['GET', '/api/run/occlusion?i=0&patch=1e400', 400],
      ['GET', '/api/run/occlusion?i=0&i=1', 400],
      ['GET', '/api/run/activations?i=0&layer=no_such_layer', 400],
      ['GET', '/api/export/occlusion.exe', 400, /Unknown export format 'exe'/],
      ['POST', '/api/stop?job=abc', 400],
      ['POST', '/api/stop', 400],
      ['GET', '/api/open', 405],
      ['POST', '/api/open?f=model:3:x.h5', 400, /application\/octet-stream/],
      ['POST', '/api/info', 405],
      ['DELETE', '/api/info', 405],
    ];
    for (const [method, path, status, message] of cases) {
      const a = await request(port, path, { method });
      assert.equal(a.status, status, `${method} ${path}: ${a.body.toString()}`);
      const body = a.json<ErrorJson>();
      assert.ok(body.error.code.length > 0 && body.error.message.length > 0, `${method} ${path}`);
      assert.doesNotMatch(body.error.message, /^\s+at /m);
      if (message !== undefined) assert.match(body.error.message, message);
    }
    const declared = await open([{ role: 'model', name: 'a.h5', bytes: new Uint8Array(10) }], {});
    assert.equal(declared.status, 422, 'ten zero bytes are no model');
    const mismatch = await request(port, '/api/open?f=model:99:a.h5', { method: 'POST', headers: { 'Content-Type': 'application/octet-stream' }, body: new Uint8Array(5) });
    assert.equal(mismatch.status, 400);
    assert.match(mismatch.json<ErrorJson>().error.message, /declare 99 bytes but 5 were sent/);
    const badSpec = await request(port, '/api/open?f=weights:5:a.h5', { method: 'POST', headers: { 'Content-Type': 'application/octet-stream' }, body: new Uint8Array(5) });
    assert.equal(badSpec.status, 400);
  });

  test('corpus files uploaded through /api/open get typed errors with the right status; the session is kept', async () => {
    const hm = (name: string): Uint8Array => new Uint8Array(readFileSync(join(HANDMADE_DIR, name)));
    const before = (await request(port, '/api/info')).json<{ generation: number }>().generation;
    const cases: [string, { role: string; name: string; bytes: Uint8Array }[], number, string][] = [
      ['truncated .h5', [{ role: 'model', name: 'cut.h5', bytes: truncate(source('batchnormH5'), 5000) }], 422, 'FILE_TRUNCATED'],
      ['Lambda model', [{ role: 'model', name: 'json-lambda-hostile.json', bytes: hm('json-lambda-hostile.json') }, { role: 'model', name: 'w.h5', bytes: source('batchnormH5') }], 422, 'KERAS_LAMBDA'],
      ['zip bomb', [{ role: 'model', name: 'bomb.keras', bytes: hm('keras-zip-bomb-declared.keras') }], 413, 'ZIP_BOMB'],
      ['zip traversal', [{ role: 'model', name: '../../evil.keras', bytes: hm('keras-zip-traversal.keras') }], 422, 'ZIP_UNSAFE_PATH'],
      ['pickled x', [{ role: 'x', name: 'x.npy', bytes: hm('npy-object-hostile-pickle.npy') }], 422, 'NPY_PICKLE'],
      ['python in a header', [{ role: 'x', name: 'x.npy', bytes: hm('npy-header-python-code.npy') }], 422, 'NPY_BAD_HEADER'],
      ['absurd x shape', [{ role: 'x', name: 'x.npy', bytes: hm('npy-dims-near-2-53.npy') }], 413, 'LIMIT_EXCEEDED'],
      ['x of the wrong shape', [{ role: 'x', name: 'x.npy', bytes: hm('npy-more-elements-than-bytes.npy') }], 422, 'FILE_TRUNCATED'],
      ['HTML page as model', [{ role: 'model', name: 'm.h5', bytes: hm('html-page.h5') }], 422, 'FILE_UNRECOGNISED'],
    ];
    for (const [what, files, status, code] of cases) {
      const a = await open(files);
      assert.equal(a.status, status, `${what}: ${a.body.toString()}`);
      assert.equal(a.json<ErrorJson>().error.code, code, what);
    }
    const info = await request(port, '/api/info');
    assert.equal(info.status, 200);
    assert.equal(info.json<{ generation: number }>().generation, before, 'failed opens leave the session as it was');
    assert.deepEqual(readdirSync(outDir), [], 'nothing was written');
  });

  test('after all that, the server still serves the page, the API and a method run', async () => {
    assert.equal((await request(port, '/')).status, 200);
    assert.equal((await request(port, '/api/info')).status, 200);
    const sel = await request(port, '/api/select?index=2');
    assert.equal(sel.status, 200, sel.body.toString());
    const png = await request(port, '/api/input/2.png');
    assert.equal(png.status, 200);
    assert.equal(png.headers['content-type'], 'image/png');
    const lines = (await request(port, '/api/run/kernels')).body.toString('utf8').trim().split('\n').map((l) => JSON.parse(l) as { type: string });
    assert.equal(lines[lines.length - 1]!.type, 'result', JSON.stringify(lines[lines.length - 1]));
  });
});
