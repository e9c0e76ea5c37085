// Node-only entry: everything in index.ts plus opening by path, the ONNX Runtime engine and
// file output (atomic, never overwriting unasked).

export * from './index.js';
export { openPath, nodeEngineFactory, type OpenPathOptions, type EngineChoice } from './node/open.js';
export { readTensorFile, writeTensorFile } from './node/arrays.js';
export { readFileLimited, writeFileAtomic } from './node/files.js';
export { writeFigure } from './node/figure.js';
export { svgToPng } from './node/png.js';
export { nodeEmbedBackend, onnxEmbedBackend, type EmbedBackendChoice, type NodeEmbedBackendOptions } from './node/embed-backend.js';
export { createParallelTsneGradient, type ParallelTsneOptions } from './node/tsne-parallel.js';
