// Grad-CAM (Selvaraju et al. 2017) at any layer with a spatial output: alpha_k = spatial mean
// of d score / d A_k; cam = ReLU(sum_k alpha_k A_k) at the layer's resolution, plus an
// overlay upsampled bilinearly to the input. The score is the class logit (methods/classes.ts),
// taken on a separate logit graph: the loaded model is never modified (defect 7).

import type { Model } from '../model/model.js';
import type { Tensor } from '../tensor.js';
import { checkClass, scoreSeed } from './classes.js';
import { defaultGradCamLayer, resolveSpatial, spatialLayout, toPlanes } from './layers.js';
import { inputLayout } from './inputs.js';
import { resizeBilinear } from './resize.js';

export interface GradCamOptions {
  /** Layer name. Default: the last convolution or activation layer with a 2-D spatial output. */
  readonly layer?: string;
  /** Class whose score is explained. Required. */
  readonly targetClass: number;
  readonly signal?: AbortSignal;
}

export interface GradCamResult {
  readonly layer: string;
  readonly targetClass: number;
  /** Score (logit) of the class for this input. */
  readonly score: number;
  /** Layer resolution. */
  readonly height: number;
  readonly width: number;
  /** Raw map (height x width): not normalised, not upsampled. */
  readonly map: Float32Array;
  /** alpha_k per channel. */
  readonly weights: Float32Array;
  /** The map resized to the input (bilinear, align-corners false, as TensorFlow's resize). */
  readonly overlay: Float32Array;
  readonly inputHeight: number;
  readonly inputWidth: number;
}

/** Grad-CAM of one input x (1, ...input). */
export async function gradCam(model: Model, x: Tensor, options: GradCamOptions): Promise<GradCamResult> {
  model.checkInput(x);
  const c = checkClass(model.head, options.targetClass);
  const node = options.layer === undefined ? defaultGradCamLayer(model.graph) : resolveSpatial(model.graph, options.layer);
  const layout = spatialLayout(model.graph, node)!;
  const res = await model.gradients([x], {
    score: { node: model.head.logitNode, seed: scoreSeed(model.head, c) },
    wrt: [node.name],
    ...(options.signal ? { signal: options.signal } : {}),
  });
  const A = toPlanes(res.values.get(node.name)!.data, layout);
  const G = toPlanes(res.gradients.get(node.name)!.data, layout);
  const hw = layout.height * layout.width;
  const weights = new Float32Array(layout.channels);
  for (let k = 0; k < layout.channels; k++) {
    let s = 0;
    for (let p = 0; p < hw; p++) s += G[k * hw + p]!;
    weights[k] = s / hw;
  }
  const map = new Float32Array(hw);
  for (let p = 0; p < hw; p++) {
    let s = 0;
    for (let k = 0; k < layout.channels; k++) s += weights[k]! * A[k * hw + p]!;
    map[p] = s > 0 ? s : 0;
  }
  const inp = inputLayout(model);
  return {
    layer: node.name,
    targetClass: c,
    score: res.scores[0]!,
    height: layout.height,
    width: layout.width,
    map,
    weights,
    overlay: resizeBilinear(map, layout.height, layout.width, inp.height, inp.width),
    inputHeight: inp.height,
    inputWidth: inp.width,
  };
}
