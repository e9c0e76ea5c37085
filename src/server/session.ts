// What the dashboard has open (Node-only): one model with its data, the provenance of every
// output made from them, cached predictions and results, and opening new files picked in the
// page from their bytes (the same checks and errors as the CLI).

import { basename } from 'node:path';
import { ArgumentError } from '../errors.js';
import { Dataset, type Prediction } from '../methods/dataset.js';
import { inputImage, type InputImage } from '../methods/inputs.js';
import { sha256Hex, type Provenance } from '../methods/provenance.js';
import { openModel, type InputFile } from '../model/open.js';
import { readNpy, toFloat32, toLabels } from '../io/npy.js';
import { nodeEngineFactory, type EngineChoice } from '../node/open.js';
import { VERSION } from '../version.js';

/** Provenance shared by every output of a session: tool, version, files and their SHA-256, engine. */
export type ProvenanceBase = Omit<Provenance, 'method' | 'options' | 'seed'>;

/** Results kept per session (most recently used first out). */
const RESULT_CACHE_SIZE = 24;

/** A model, its data and their provenance, with caches. Replaced as a whole when files are opened. */
export class Session {
  /** Increases with every session the server opens, so the page can tell stale answers. */
  readonly generation: number;
  readonly data: Dataset;
  readonly base: ProvenanceBase;
  private predictionsPromise: Promise<Prediction[]> | undefined;
  private readonly images = new Map<number, InputImage>();
  private readonly results = new Map<string, unknown>();

  constructor(generation: number, data: Dataset, base: ProvenanceBase) {
    this.generation = generation;
    this.data = data;
    this.base = base;
  }

  /** Provenance of one output, as the CLI writes it. */
  provenance(method: string, options: Record<string, unknown>, seed: number | null): Provenance {
    return { ...this.base, method, options, seed };
  }

  /** Predictions for every input (computed once). A failed or cancelled run is not kept. */
  predictions(onProgress?: (done: number, total: number) => void): Promise<Prediction[]> {
    if (this.predictionsPromise === undefined) {
      const p = this.data.predictions(onProgress !== undefined ? { onProgress } : {});
      this.predictionsPromise = p;
      p.catch(() => {
        if (this.predictionsPromise === p) this.predictionsPromise = undefined;
      });
    }
    return this.predictionsPromise;
  }

  /** Input i as an image (cached). */
  image(index: number): InputImage {
    let img = this.images.get(index);
    if (img === undefined) {
      img = inputImage(this.data.model, this.data.input(index));
      if (this.images.size >= 256) this.images.delete(this.images.keys().next().value!);
      this.images.set(index, img);
    }
    return img;
  }

  /** A cached result, or undefined. */
  cached<T>(key: string): T | undefined {
    const v = this.results.get(key);
    if (v !== undefined) {
      this.results.delete(key);
      this.results.set(key, v);
    }
    return v as T | undefined;
  }

  /** Keeps a result under `key`, dropping the least recently used beyond the cache size. */
  remember(key: string, value: unknown): void {
    this.results.delete(key);
    this.results.set(key, value);
    while (this.results.size > RESULT_CACHE_SIZE) this.results.delete(this.results.keys().next().value!);
  }

  async dispose(): Promise<void> {
    await this.data.model.dispose();
  }
}

/** One file sent by the page: its role, name (for messages and provenance) and bytes. */
export interface Upload {
  readonly role: 'model' | 'x' | 'y';
  readonly name: string;
  readonly bytes: Uint8Array;
}

/** Options of {@link openUploads}. */
export interface OpenUploadsOptions {
  /** Class names in class order; default: the current ones when the model stays, else the class numbers. */
  readonly classNames?: readonly string[];
  /** Which engine runs a newly opened model (default 'auto'). */
  readonly engine?: EngineChoice;
  /** onnxruntime threads (default 2). */
  readonly threads?: number;
}

/** The file name of an upload without any folder part (names come from the browser). */
export function uploadName(name: string): string {
  const base = basename(name.replace(/\\/g, '/'));
  return base.length > 0 ? base.slice(0, 200) : 'upload';
}

/**
 * Opens files picked in the page on top of the current session: a new model keeps the current x
 * and labels, new x drops labels unless y comes with it, new y replaces the labels. Checks are
 * the CLI's (the model must read, x must fit it, y must match x). Returns the new Dataset and
 * provenance base; the caller swaps sessions and disposes the old model when the model changed.
 */
export async function openUploads(current: Session, uploads: readonly Upload[], options: OpenUploadsOptions = {}): Promise<{ data: Dataset; base: ProvenanceBase }> {
  const models = uploads.filter((u) => u.role === 'model');
  const xs = uploads.filter((u) => u.role === 'x');
  const ys = uploads.filter((u) => u.role === 'y');
  if (uploads.length === 0) throw new ArgumentError('BAD_ARGUMENT', 'No file was sent: pick a model, an x array or a y array to open.');
  if (xs.length > 1 || ys.length > 1) throw new ArgumentError('BAD_ARGUMENT', 'Open one x array and at most one y array at a time.');
  const cur = current.data;
  const base = current.base;
  // 1. Model: one full-model file, or an architecture JSON with its weights / shards.
  let model = cur.model;
  let modelRecord = base.model;
  if (models.length > 0) {
    const files: InputFile[] = models.map((u) => ({ name: uploadName(u.name), bytes: u.bytes }));
    model = await openModel(files, { engine: nodeEngineFactory(options.engine ?? 'auto', options.threads ?? 2) });
    modelRecord = { file: files[0]!.name, sha256: await sha256Hex(files[0]!.bytes), format: model.format };
  }
  try {
    // 2. x, and 3. y.
    let x = cur.x;
    let dataRecord = base.data;
    if (xs.length === 1) {
      const u = xs[0]!;
      const arr = readNpy(u.bytes, { fileName: uploadName(u.name) });
      x = { shape: arr.shape, data: toFloat32(arr) };
      dataRecord = { file: uploadName(u.name), sha256: await sha256Hex(u.bytes) };
    }
    let labels = xs.length === 1 ? null : cur.labels;
    let labelRecord = xs.length === 1 ? null : base.labels;
    if (ys.length === 1) {
      const u = ys[0]!;
      labels = toLabels(readNpy(u.bytes, { fileName: uploadName(u.name) }));
      labelRecord = { file: uploadName(u.name), sha256: await sha256Hex(u.bytes) };
    }
    const classNames = options.classNames ?? (model === cur.model ? cur.classNames : undefined);
    const data = new Dataset(model, x, { labels, ...(classNames !== undefined ? { classNames } : {}) });
    return {
      data,
      base: { tool: 'convscope', version: VERSION, model: modelRecord, data: dataRecord, labels: labelRecord, engine: model.engine.name },
    };
  } catch (err) {
    if (model !== cur.model) await model.dispose();
    throw err;
  }
}
