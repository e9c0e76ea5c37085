// Occlusion sensitivity (Zeiler & Fergus 2014): slide a square of a fill value over the input
// and record the probability of the target class for each position. Batched, budgeted,
// cancellable, with partial results for progressive display.
//
// Definition (matches the goldens): for every top-left corner (y, x), y = 0, S, 2S... < H and
// x = 0, S, 2S... < W (row-major), copy the input, set rows y..y+W-1 and columns x..x+W-1
// (clipped at the border) to the fill in every channel, and record p_c. The map is
// (ceil(H/S), ceil(W/S)). `drop` = p_c(unoccluded) - p_c(occluded). For the overlay, every pixel
// gets the mean drop over the windows that cover it.
//
// The original's protocol (preset 'original'): a gray (0.5) square five times the nominal size,
// stepped by the nominal size, value |p - 0.5| / 0.5 (confidence of whichever class wins).
// Kept only so old pictures can be compared: it cannot tell a patch that flips the decision
// confidently from one that changes nothing.

import { ArgumentError, throwIfAborted } from '../errors.js';
import type { Model } from '../model/model.js';
import { sizeOf, type Tensor } from '../tensor.js';
import { batchForBudget, DEFAULT_MEMORY_BUDGET } from './budget.js';
import { checkClass, classProbability } from './classes.js';
import { inputLayout } from './inputs.js';

export type OcclusionFill = number | 'dataset-mean' | 'image-mean';

export interface OcclusionOptions {
  /** Window side in pixels. Default 8. */
  readonly window?: number;
  /** Step between windows in pixels. Default = window. */
  readonly stride?: number;
  /** Value written into the window: a number, 'image-mean' or 'dataset-mean' (needs datasetMean). Default 0. */
  readonly fill?: OcclusionFill;
  /** Mean of the whole data set, per channel or one value, for fill 'dataset-mean'. */
  readonly datasetMean?: number;
  /** Class whose probability is recorded (see methods/classes.ts). Required. */
  readonly targetClass: number;
  /** 'convscope' (default) or 'original' (the BaSe module's protocol; see module comment). */
  readonly preset?: 'convscope' | 'original';
  /** Forward passes per batch. Default: as many as fit `memoryBudget`, at most 64. */
  readonly batchSize?: number;
  /** Bytes the working set may use. Default 512 MiB. */
  readonly memoryBudget?: number;
  readonly signal?: AbortSignal;
  /** Called after each batch with positions done, total, and the map so far (NaN where not yet computed). */
  readonly onProgress?: (done: number, total: number, partial: Float32Array) => void;
}

export interface OcclusionResult {
  readonly window: number;
  readonly stride: number;
  /** The fill value actually used. */
  readonly fill: number;
  readonly fillMode: 'value' | 'dataset-mean' | 'image-mean';
  readonly preset: 'convscope' | 'original';
  readonly targetClass: number;
  /** Map rows and columns: ceil(H / stride), ceil(W / stride). */
  readonly rows: number;
  readonly cols: number;
  /** p_target for each window position (rows x cols). */
  readonly probability: Float32Array;
  /** p_target of the unoccluded input. */
  readonly baseline: number;
  /** baseline - probability (rows x cols): positive where hiding the patch lowers the class. */
  readonly drop: Float32Array;
  /** Per-pixel mean drop over the windows covering each pixel (H x W). */
  readonly overlay: Float32Array;
  readonly height: number;
  readonly width: number;
  /** Preset 'original' only: |p1 - 0.5| / 0.5 per position, what the original plotted. */
  readonly originalValue?: Float32Array;
}

/** Occlusion map of one input x (1, ...input). */
export async function occlusion(model: Model, x: Tensor, options: OcclusionOptions): Promise<OcclusionResult> {
  const { preset = 'convscope', signal, onProgress, memoryBudget = DEFAULT_MEMORY_BUDGET } = options;
  model.checkInput(x);
  if (x.shape[0] !== 1) throw new ArgumentError('BAD_ARGUMENT', `occlusion takes one input (shape (1, ...)), got ${x.shape[0]}.`);
  const targetClass = checkClass(model.head, options.targetClass);
  const layout = inputLayout(model);
  const { height: H, width: W, channels: C } = layout;
  const nominal = options.window ?? 8;
  const window = preset === 'original' ? nominal * 5 : nominal;
  const stride = options.stride ?? nominal;
  for (const [k, v] of [['window', window], ['stride', stride]] as const) {
    if (!Number.isInteger(v) || v < 1) throw new ArgumentError('BAD_ARGUMENT', `Occlusion ${k} must be a positive integer, got ${v}.`);
  }
  if (stride > Math.max(H, W)) throw new ArgumentError('BAD_ARGUMENT', `Occlusion stride ${stride} is larger than the input (${H} x ${W}).`);
  // 1. the fill value
  let fill: number;
  let fillMode: OcclusionResult['fillMode'] = 'value';
  const f = preset === 'original' ? 0.5 : (options.fill ?? 0);
  if (f === 'image-mean') {
    fillMode = 'image-mean';
    fill = x.data.reduce((s, v) => s + v, 0) / x.data.length;
  } else if (f === 'dataset-mean') {
    fillMode = 'dataset-mean';
    if (options.datasetMean === undefined) throw new ArgumentError('BAD_ARGUMENT', "fill 'dataset-mean' needs the data set's mean (datasetMean).");
    fill = options.datasetMean;
  } else if (typeof f === 'number' && Number.isFinite(f)) {
    fill = f;
  } else {
    throw new ArgumentError('BAD_ARGUMENT', `Occlusion fill must be a number, 'image-mean' or 'dataset-mean', got '${String(f)}'.`);
  }
  // 2. the positions and the baseline
  const rows = Math.ceil(H / stride);
  const cols = Math.ceil(W / stride);
  const total = rows * cols;
  const per = sizeOf(x.shape.slice(1));
  const outName = model.graph.outputs[0]!;
  const outPer = sizeOf(model.outputShape.slice(1).map((d) => d ?? 1));
  const batch = options.batchSize ?? batchForBudget(model.graph, memoryBudget, 64);
  const probability = new Float32Array(total).fill(NaN);
  const p1 = preset === 'original' ? new Float32Array(total) : undefined;
  let baseline = NaN;
  // 3. batched forward passes over occluded copies. x itself rides at the end of the first batch
  // (the baseline, without a pass of its own), and each batch is filled while the engine runs
  // the one before.
  const occluded = (start: number): Tensor => {
    const end = Math.min(total, start + batch);
    const rowsIn = end - start + (start === 0 ? 1 : 0);
    const data = new Float32Array(rowsIn * per);
    for (let pos = start; pos < end; pos++) {
      const img = data.subarray((pos - start) * per, (pos - start + 1) * per);
      img.set(x.data);
      const y0 = Math.floor(pos / cols) * stride;
      const x0 = (pos % cols) * stride;
      for (let yy = y0; yy < Math.min(H, y0 + window); yy++) {
        for (let xx = x0; xx < Math.min(W, x0 + window); xx++) {
          for (let c = 0; c < C; c++) img[layout.offset(yy, xx, c)] = fill;
        }
      }
    }
    if (start === 0) data.set(x.data.subarray(0, per), (end - start) * per);
    return { shape: [rowsIn, ...x.shape.slice(1)], data };
  };
  let next = occluded(0);
  for (let start = 0; start < total; start += batch) {
    throwIfAborted(signal);
    const end = Math.min(total, start + batch);
    const pending = model.engine.run([next], { outputs: [outName], ...(signal ? { signal } : {}) });
    if (end < total) next = occluded(end);
    const out = (await pending).get(outName)!;
    if (start === 0) baseline = classProbability(model.head, out.data.subarray((end - start) * outPer, (end - start + 1) * outPer), targetClass);
    for (let pos = start; pos < end; pos++) {
      const o = out.data.subarray((pos - start) * outPer, (pos - start + 1) * outPer);
      probability[pos] = classProbability(model.head, o, targetClass);
      if (p1 !== undefined) p1[pos] = Math.abs(classProbability(model.head, o, model.head.units === 1 ? 1 : targetClass) - 0.5) / 0.5;
    }
    onProgress?.(end, total, probability);
  }
  // 4. drop and per-pixel overlay
  const drop = probability.map((p) => baseline - p);
  const sum = new Float64Array(H * W);
  const cnt = new Uint32Array(H * W);
  for (let pos = 0; pos < total; pos++) {
    const y0 = Math.floor(pos / cols) * stride;
    const x0 = (pos % cols) * stride;
    for (let yy = y0; yy < Math.min(H, y0 + window); yy++) {
      for (let xx = x0; xx < Math.min(W, x0 + window); xx++) {
        sum[yy * W + xx]! += drop[pos]!;
        cnt[yy * W + xx]!++;
      }
    }
  }
  const overlay = new Float32Array(H * W);
  for (let i = 0; i < H * W; i++) overlay[i] = cnt[i]! > 0 ? sum[i]! / cnt[i]! : 0;
  return {
    window, stride, fill, fillMode, preset, targetClass, rows, cols, probability, baseline, drop, overlay, height: H, width: W,
    ...(p1 !== undefined ? { originalValue: p1 } : {}),
  };
}
