// Shared by the dashboard tests: the fixture model and inputs, labels made from the model's own
// predictions (every ninth one shifted, so some are wrong), a provenance base as the CLI builds
// it, and plain HTTP requests with any Host header.

import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeNpy } from '../src/io/npy.js';
import { Dataset } from '../src/methods/dataset.js';
import { sha256Hex } from '../src/methods/provenance.js';
import { readTensorFile } from '../src/node/arrays.js';
import { openPath } from '../src/node/open.js';
import type { ProvenanceBase } from '../src/server/session.js';
import { VERSION } from '../src/version.js';
import { fixture } from './fixtures.js';

export const MNIST_MODEL = fixture('keras/keras2.3-mnist-functional/mnist_cnn.h5');
export const MNIST_X = fixture('goldens/keras2.3-mnist-functional/methods/pca256_inputs.npy');
export const BINARY_MODEL = fixture('keras/tfkeras2.3-genomatnn-nea-ceu/Nea_to_CEU_af-0.25_2918410235.hdf5');
export const BINARY_X = fixture('goldens/tfkeras2.3-genomatnn-nea-ceu/inputs.npy');

/** A fresh temporary folder. */
export function tempDir(prefix = 'convscope-dash-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** Labels for x: the model's predicted class, shifted by 3 for every ninth input (so ~11% are wrong). */
export async function makeLabels(modelPath: string, xPath: string): Promise<Int32Array> {
  const model = await openPath(modelPath);
  try {
    const x = await readTensorFile(xPath);
    const y = await model.predict(x);
    const n = x.shape[0]!;
    const k = y.shape[1]!;
    const labels = new Int32Array(n);
    for (let i = 0; i < n; i++) {
      let best = 0;
      for (let c = 1; c < k; c++) if (y.data[i * k + c]! > y.data[i * k + best]!) best = c;
      labels[i] = i % 9 === 4 ? (best + 3) % k : best;
    }
    return labels;
  } finally {
    await model.dispose();
  }
}

/** Writes labels as int32 .npy into `dir`, returns the path. */
export function writeLabels(dir: string, labels: Int32Array, name = 'y.npy'): string {
  const path = join(dir, name);
  writeFileSync(path, writeNpy({ dtype: 'int32', shape: [labels.length], data: labels }));
  return path;
}

/** Opens model + x (+ labels) as the CLI does, with the CLI's provenance base. */
export async function openData(modelPath: string, xPath: string, yPath: string | null, labels: Int32Array | null): Promise<{ data: Dataset; provenance: ProvenanceBase }> {
  const model = await openPath(modelPath);
  const x = await readTensorFile(xPath);
  const data = new Dataset(model, x, { labels });
  const provenance: ProvenanceBase = {
    tool: 'convscope',
    version: VERSION,
    model: { file: modelPath, sha256: await sha256Hex(readFileSync(modelPath)), format: model.format },
    data: { file: xPath, sha256: await sha256Hex(readFileSync(xPath)) },
    labels: yPath !== null ? { file: yPath, sha256: await sha256Hex(readFileSync(yPath)) } : null,
    engine: model.engine.name,
  };
  return { data, provenance };
}

/** An HTTP answer. */
export interface Answer {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: Buffer;
  json<T = Record<string, unknown>>(): T;
}

/** A plain HTTP request to 127.0.0.1:port (any Host header, any method, raw path). */
export function request(port: number, path: string, options: { method?: string; headers?: Record<string, string>; body?: Uint8Array | string } = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port, path, method: options.method ?? 'GET', headers: { Host: `127.0.0.1:${port}`, ...options.headers } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const body = Buffer.concat(chunks);
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body, json: <T>() => JSON.parse(body.toString('utf8')) as T });
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    if (options.body !== undefined) req.write(options.body);
    req.end();
  });
}

/** The lines of an NDJSON method run. */
export async function runLines(port: number, path: string): Promise<Record<string, unknown>[]> {
  const a = await request(port, path);
  if (a.status !== 200) throw new Error(`${path}: ${a.status} ${a.body.toString()}`);
  return a.body
    .toString('utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

/** The result view of a method run (throws on an error line). */
export async function runView<T = Record<string, unknown>>(port: number, path: string): Promise<T> {
  const lines = await runLines(port, path);
  const last = lines[lines.length - 1]!;
  if (last['type'] !== 'result') throw new Error(`${path}: ${JSON.stringify(last)}`);
  return last['view'] as T;
}
