// convscope's isomorphic public API (Node and browser): open a Keras model from bytes, ask
// typed questions, get plain data back. Node-only additions (paths, figures) are in node.ts.

export { VERSION } from './version.js';
export * from './errors.js';
export type { Tensor } from './tensor.js';
export { tensor, sizeOf } from './tensor.js';
export type { Graph, Node, Op, Shape, Activation, DataFormat } from './model/ir.js';
export type { KerasArtifacts, KerasFormat, NamedWeight } from './io/keras/artifacts.js';
export type { Engine, RunOptions, GradientOptions, GradientResult, ScoreSpec } from './engine/engine.js';
export { openModel, referenceEngineFactory, type InputFile, type OpenModelOptions } from './model/open.js';
export { Model, type ModelSummary, type LayerSummary, type PredictOptions, type EngineFactory } from './model/model.js';
export type { HeadInfo } from './model/logits.js';
export { readNpy, writeNpy, toFloat32, toLabels } from './io/npy.js';
export { readNpz } from './io/npz.js';
export { readKeras } from './io/keras/read.js';
export { translateKeras } from './model/translate.js';
export { createReferenceEngine } from './engine/ref/engine.js';
