// Class-average maps: the mean and spread of an attribution map (occlusion drop, Grad-CAM,
// saliency) over many inputs, per true class and per correct/incorrect prediction, with row
// and column profiles. For haplotype images, columns are SNP positions (target SNP at the
// centre) and rows are sorted chromosomes, so the profiles say where the evidence sits.

import { ArgumentError, throwIfAborted } from '../errors.js';
import { createRng } from '../random.js';
import { checkClass } from './classes.js';
import type { Dataset } from './dataset.js';
import { gradCam } from './gradcam.js';
import { saliency } from './gradients.js';
import { inputLayout } from './inputs.js';
import { occlusion } from './occlusion.js';

export type AverageMethod = 'occlusion' | 'gradcam' | 'saliency';

export interface ClassAverageOptions {
  readonly method: AverageMethod;
  /** Inputs per true class (seeded draw without replacement). Default 32. */
  readonly nPerClass?: number;
  readonly seed?: number;
  /** Target of each map: 'true' class (default) or a fixed class index. */
  readonly target?: 'true' | number;
  /** Occlusion window/stride (default 8/8) and fill (default 0); Grad-CAM layer. */
  readonly window?: number;
  readonly stride?: number;
  readonly fill?: number;
  readonly layer?: string;
  readonly signal?: AbortSignal;
  readonly onProgress?: (done: number, total: number) => void;
}

/** Mean and standard deviation of a group of maps, with profiles. */
export interface MapGroup {
  readonly label: string;
  readonly trueClass: number;
  /** null = all inputs of the class; true/false = only correctly/incorrectly predicted ones. */
  readonly correct: boolean | null;
  readonly n: number;
  readonly indices: number[];
  readonly mean: Float32Array;
  readonly std: Float32Array;
  /** Mean over columns for each row (height), and its standard deviation across inputs. */
  readonly rowProfile: Float32Array;
  readonly rowProfileStd: Float32Array;
  /** Mean over rows for each column (width), and its standard deviation across inputs. */
  readonly colProfile: Float32Array;
  readonly colProfileStd: Float32Array;
}

export interface ClassAverageResult {
  readonly method: AverageMethod;
  /** What one map holds, in words. */
  readonly quantity: string;
  readonly height: number;
  readonly width: number;
  readonly seed: number;
  readonly groups: MapGroup[];
}

/** Per-class (and per correctness) average attribution maps at input resolution. */
export async function classAverage(data: Dataset, options: ClassAverageOptions): Promise<ClassAverageResult> {
  const { method, nPerClass = 32, seed = 0, target = 'true', signal, onProgress } = options;
  if (data.labels === null) throw new ArgumentError('BAD_ARGUMENT', 'Class-average maps need labels (y); none were given.');
  if (method !== 'occlusion' && method !== 'gradcam' && method !== 'saliency') {
    throw new ArgumentError('BAD_ARGUMENT', `Class-average method must be occlusion, gradcam or saliency, got '${String(method)}'.`);
  }
  if (!Number.isInteger(nPerClass) || nPerClass < 1) throw new ArgumentError('BAD_ARGUMENT', `nPerClass must be a positive integer, got ${nPerClass}.`);
  if (target !== 'true') checkClass(data.model.head, target);
  const layout = inputLayout(data.model);
  const { height: H, width: W } = layout;
  const rng = createRng(seed);
  const chosen: number[] = [];
  data.classNames.forEach((_, c) => {
    const pool = data.indicesOfClass(c);
    for (let i = pool.length - 1; i > 0; i--) {
      const j = rng.int(i + 1);
      [pool[i], pool[j]] = [pool[j]!, pool[i]!];
    }
    chosen.push(...pool.slice(0, nPerClass));
  });
  const maps = new Map<number, Float32Array>();
  const correct = new Map<number, boolean>();
  let done = 0;
  for (const idx of chosen) {
    throwIfAborted(signal);
    const x = data.input(idx);
    const pred = await data.predictOne(idx);
    const t = target === 'true' ? data.labels[idx]! : target;
    correct.set(idx, pred.predictedClass === data.labels[idx]);
    let m: Float32Array;
    if (method === 'occlusion') {
      m = (await occlusion(data.model, x, { targetClass: t, window: options.window ?? 8, stride: options.stride ?? options.window ?? 8, fill: options.fill ?? 0, ...(signal ? { signal } : {}) })).overlay;
    } else if (method === 'gradcam') {
      m = (await gradCam(data.model, x, { targetClass: t, ...(options.layer !== undefined ? { layer: options.layer } : {}), ...(signal ? { signal } : {}) })).overlay;
    } else {
      const s = await saliency(data.model, x, { targetClass: t, ...(signal ? { signal } : {}) });
      m = new Float32Array(H * W);
      for (let y = 0; y < H; y++) for (let xx = 0; xx < W; xx++) {
        let v = 0;
        for (let c = 0; c < layout.channels; c++) v += s.attribution[layout.offset(y, xx, c)]!;
        m[y * W + xx] = v;
      }
    }
    maps.set(idx, m);
    onProgress?.(++done, chosen.length);
  }
  const groups: MapGroup[] = [];
  data.classNames.forEach((name, c) => {
    const ofClass = chosen.filter((i) => data.labels![i] === c);
    for (const corr of [null, true, false] as const) {
      const idx = corr === null ? ofClass : ofClass.filter((i) => correct.get(i) === corr);
      if (idx.length === 0) continue;
      const label = corr === null ? name : `${name}, ${corr ? 'correct' : 'incorrect'}`;
      groups.push(summarise(label, c, corr, idx, idx.map((i) => maps.get(i)!), H, W));
    }
  });
  const quantity =
    method === 'occlusion'
      ? 'per-pixel mean drop of the target-class probability when occluded'
      : method === 'gradcam'
        ? 'Grad-CAM map upsampled to the input'
        : 'saliency d score / d input, summed over channels (signed)';
  return { method, quantity, height: H, width: W, seed, groups };
}

function summarise(label: string, trueClass: number, correct: boolean | null, indices: number[], maps: Float32Array[], H: number, W: number): MapGroup {
  const n = maps.length;
  const mean = new Float32Array(H * W);
  const std = new Float32Array(H * W);
  for (let p = 0; p < H * W; p++) {
    let s = 0;
    let s2 = 0;
    for (const m of maps) {
      s += m[p]!;
      s2 += m[p]! * m[p]!;
    }
    mean[p] = s / n;
    std[p] = n > 1 ? Math.sqrt(Math.max(0, (s2 - (s * s) / n) / (n - 1))) : 0;
  }
  const profile = (len: number, value: (m: Float32Array, i: number) => number) => {
    const mu = new Float32Array(len);
    const sd = new Float32Array(len);
    for (let i = 0; i < len; i++) {
      const vals = maps.map((m) => value(m, i));
      const avg = vals.reduce((a, b) => a + b, 0) / n;
      mu[i] = avg;
      sd[i] = n > 1 ? Math.sqrt(vals.reduce((a, b) => a + (b - avg) ** 2, 0) / (n - 1)) : 0;
    }
    return [mu, sd] as const;
  };
  const [rowProfile, rowProfileStd] = profile(H, (m, y) => {
    let s = 0;
    for (let x = 0; x < W; x++) s += m[y * W + x]!;
    return s / W;
  });
  const [colProfile, colProfileStd] = profile(W, (m, x) => {
    let s = 0;
    for (let y = 0; y < H; y++) s += m[y * W + x]!;
    return s / H;
  });
  return { label, trueClass, correct, n, indices, mean, std, rowProfile, rowProfileStd, colProfile, colProfileStd };
}
