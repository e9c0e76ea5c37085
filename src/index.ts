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
export { modelFromGraph } from './model/open.js';
export { baseCnnGraph } from './model/presets.js';
export { createRng, type Rng } from './random.js';

// Methods: plain-data results, one function per method.
export { Dataset, confusion, type DatasetOptions, type Prediction, type InputSelection, type SelectOptions, type ConfusionResult } from './methods/dataset.js';
export { classCount, classProbabilities, predictedClass, scoreSeed, resolveClassNames, describeHead, BASE_TESTS } from './methods/classes.js';
export { kernels, type KernelsOptions, type KernelsResult } from './methods/kernels.js';
export { activations, deadFilters, type ActivationsOptions, type ActivationsResult, type DeadFiltersOptions, type DeadFiltersResult } from './methods/activations.js';
export { occlusion, type OcclusionOptions, type OcclusionResult, type OcclusionFill } from './methods/occlusion.js';
export { gradCam, type GradCamOptions, type GradCamResult } from './methods/gradcam.js';
export { saliency, smoothGrad, integratedGradients, type AttributionResult, type SaliencyOptions, type SmoothGradOptions, type SmoothGradResult, type IntegratedGradientsOptions, type IntegratedGradientsResult } from './methods/gradients.js';
export { classAverage, type ClassAverageOptions, type ClassAverageResult, type MapGroup, type AverageMethod } from './methods/class-average.js';
export * from './methods/embed/index.js';
export { sha256Hex, type Provenance } from './methods/provenance.js';
export { inputImage, type InputImage } from './methods/inputs.js';

// Figures (results -> SVG strings).
export * as render from './render/index.js';

// Population genetics: ms files, BaSe images, demo simulations.
export * as popgen from './popgen/index.js';
