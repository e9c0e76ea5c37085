// The render layer's public face: figure primitives (results -> standalone SVG strings) and the
// helpers method figures compose them from. Isomorphic: no engine, no DOM, no fs.

export { renderHeatmap, defaultRange, type HeatmapOptions, type HeatmapBase } from './heatmap.js';
export { renderImageGrid, type ImageGridOptions, type GridPanel, type GridScale } from './grid.js';
export {
  renderScatter,
  renderLineChart,
  renderBarChart,
  renderConfusionMatrix,
  type ScatterOptions,
  type LineChartOptions,
  type LineSeries,
  type BarChartOptions,
  type ConfusionMatrixOptions,
  type PlotSize,
} from './charts.js';
export {
  colorize,
  colormapColor,
  colormapHex,
  colormapTable,
  colormapBytes,
  categoryColor,
  checkColormap,
  finiteRange,
  COLORMAP_NAMES,
  TABLEAU10,
  LUT_SIZE,
  type ColormapName,
  type ColorizeOptions,
} from './colormaps.js';
export {
  encodePng,
  pngDataUri,
  base64,
  upscaleNearest,
  resizeGrid,
  overlay,
  svgImage,
  type RgbaImage,
  type Resample,
  type EncodePngOptions,
  type SvgImageOptions,
} from './raster.js';
export {
  embedSvgProvenance,
  readSvgProvenance,
  embedPngProvenance,
  readPngProvenance,
  readPngText,
  setPngText,
  stableJson,
  crc32,
  PROVENANCE_KEY,
  type Provenance,
  type ProvenanceRecord,
} from './provenance.js';
export {
  renderAxes,
  renderLegend,
  renderColorbar,
  colorbarWidth,
  legendSize,
  xAxisHeight,
  yAxisWidth,
  type AxisSpec,
  type LegendEntry,
  type ColorbarOptions,
  type PlotFrame,
} from './axes.js';
export { linearScale, niceTicks, niceDomain, niceStep, formatTicks, formatValue, type LinearScale } from './scale.js';
export {
  svgDocument,
  svgText,
  titleBlock,
  titleCenter,
  textWidth,
  escapeXml,
  num,
  FONT_FAMILY,
  FONT_SIZE,
  INK,
  type DocumentOptions,
  type TextOptions,
} from './svg.js';
export { composeFigure, panelOf, wrapText, type Panel, type ComposeOptions } from './compose.js';
// Method figures: one per method result (src/render/figures.ts, figures-maps.ts).
export {
  renderInputFigure,
  renderKernelsFigure,
  renderActivationsFigure,
  renderDeadFiltersFigure,
  renderEmbeddingFigure,
  renderConfusionFigure,
  renderOcclusionFigure,
  renderGradCamFigure,
  renderAttributionFigure,
  renderClassAverageFigure,
  type KernelsFigureOptions,
  type ActivationsFigureOptions,
  type EmbeddingFigureOptions,
  type OcclusionFigureOptions,
  type AttributionFigureResult,
  type ClassAverageFigureOptions,
  type Verdict,
  type FigureOptions,
  type InputFigureOptions,
} from './figures.js';
export type { GradCamFigureOptions, AttributionFigureOptions } from './figures-maps.js';
