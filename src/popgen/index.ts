// Population genetics, isomorphic: read ms-format simulations, BaSe's haplotype-image
// preprocessing, and demo-grade simulations (coalescent, structured coalescent, Wright-Fisher).

export { readMs, scanMs, MsParser, isGzip, looksLikeMs, parseMsCommand } from './ms.js';
export type { HaplotypeMatrix, MsFile, MsHeader, MsReplicate, MsReadOptions } from './ms.js';
export { writeMs, msChunks, type MsWriteOptions } from './ms-write.js';
export {
  haplotypeImage,
  recentre,
  findTargetSite,
  sortRows,
  orderByFrequency,
  orderBySimilarity,
  matrixToImage,
  toRegion,
  ROW_SORTS,
  ROW_GROUPS,
} from './preprocess.js';
export type { HaplotypeImage, ImageOptions, RecentreOptions, RegionMatrix, RowGroup, RowSort } from './preprocess.js';
export { resizeImage, INTERPOLATIONS, type Interpolation, type Quantize, type ResizeOptions } from './resize.js';
export { parseLabelSpec, classFromFileName } from './names.js';
export { simulateCoalescent, type CoalescentOptions, type CoalescentResult, type SelectedSite } from './coalescent.js';
export { wrightFisherTrajectory, type Trajectory, type TrajectoryOptions, type TrajectoryStop } from './trajectory.js';
export { simulateDemo, demoImages, demoImageOptions, demoMsGroups, DEMO_CLASSES, DEMO_TOKENS } from './demo.js';
export type { DemoOptions, DemoReplicate, DemoResult, DemoModel, Range } from './demo.js';
export {
  harmonic,
  expectedSegregatingSites,
  derivedCounts,
  siteFrequencySpectrum,
  segregatingSites,
  nucleotideDiversity,
  tajimasD,
} from './stats.js';
export { binomial, poisson, exponential, hypergeometric, logFactorial } from './distributions.js';
