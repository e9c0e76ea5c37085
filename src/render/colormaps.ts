// Colour maps as 256-entry lookup tables, built the way matplotlib builds its own (a colour at
// t in [0, 1] is entry floor(t * 256), clamped), and `colorize` from values to RGBA pixels.
// Pure data; no DOM.

import { ArgumentError } from '../errors.js';

/** Names of the colour maps, spelt as in matplotlib so figures read the same as the original. */
export type ColormapName = 'gray' | 'hot' | 'jet' | 'viridis' | 'RdBu_r' | 'Blues';

/** All colour map names, for option validation and listings. */
export const COLORMAP_NAMES: readonly ColormapName[] = ['gray', 'hot', 'jet', 'viridis', 'RdBu_r', 'Blues'];

/** Number of entries of every lookup table (matplotlib's default N). */
export const LUT_SIZE = 256;

// matplotlib's segment data (matplotlib/_cm.py): per channel, [x, value] break points between
// which the channel is linear. matplotlib's rows are (x, y0, y1); all used here have y0 = y1.
type Segments = readonly (readonly [number, number])[];
const HOT: readonly [Segments, Segments, Segments] = [
  [
    [0, 0.0416],
    [0.365079, 1],
    [1, 1],
  ],
  [
    [0, 0],
    [0.365079, 0],
    [0.746032, 1],
    [1, 1],
  ],
  [
    [0, 0],
    [0.746032, 0],
    [1, 1],
  ],
];
const JET: readonly [Segments, Segments, Segments] = [
  [
    [0, 0],
    [0.35, 0],
    [0.66, 1],
    [0.89, 1],
    [1, 0.5],
  ],
  [
    [0, 0],
    [0.125, 0],
    [0.375, 1],
    [0.64, 1],
    [0.91, 0],
    [1, 0],
  ],
  [
    [0, 0.5],
    [0.11, 1],
    [0.34, 1],
    [0.65, 0],
    [1, 0],
  ],
];

// ColorBrewer RdBu (11 classes, red to blue), which matplotlib's 'RdBu' interpolates linearly
// between equally spaced stops; 'RdBu_r' is it reversed (blue = low, red = high).
const RDBU = ['67001f', 'b2182b', 'd6604d', 'f4a582', 'fddbc7', 'f7f7f7', 'd1e5f0', '92c5de', '4393c3', '2166ac', '053061'];
// ColorBrewer Blues (9 classes, light to dark), as matplotlib's 'Blues'.
const BLUES = ['f7fbff', 'deebf7', 'c6dbef', '9ecae1', '6baed6', '4292c6', '2171b5', '08519c', '08306b'];

// matplotlib's viridis (_cm_listed.py; by Stéfan van der Walt and Nathaniel Smith, CC0), its 256
// float entries rounded to 8 bits (the same table d3-scale-chromatic ships). Entry i differs
// from matplotlib's float value by at most 0.5/255 per channel.
const VIRIDIS_HEX =
  '44015444025645045745055946075a46085c460a5d460b5e470d60470e61471063471164471365481467481668481769' +
  '48186a481a6c481b6d481c6e481d6f481f70482071482173482374482475482576482677482878482979472a7a472c7a' +
  '472d7b472e7c472f7d46307e46327e46337f463480453581453781453882443983443a83443b84433d84433e85423f85' +
  '4240864241864142874144874045884046883f47883f48893e49893e4a893e4c8a3d4d8a3d4e8a3c4f8a3c508b3b518b' +
  '3b528b3a538b3a548c39558c39568c38588c38598c375a8c375b8d365c8d365d8d355e8d355f8d34608d34618d33628d' +
  '33638d32648e32658e31668e31678e31688e30698e306a8e2f6b8e2f6c8e2e6d8e2e6e8e2e6f8e2d708e2d718e2c718e' +
  '2c728e2c738e2b748e2b758e2a768e2a778e2a788e29798e297a8e297b8e287c8e287d8e277e8e277f8e27808e26818e' +
  '26828e26828e25838e25848e25858e24868e24878e23888e23898e238a8d228b8d228c8d228d8d218e8d218f8d21908d' +
  '21918c20928c20928c20938c1f948c1f958b1f968b1f978b1f988b1f998a1f9a8a1e9b8a1e9c891e9d891f9e891f9f88' +
  '1fa0881fa1881fa1871fa28720a38620a48621a58521a68522a78522a88423a98324aa8325ab8225ac8226ad8127ad81' +
  '28ae8029af7f2ab07f2cb17e2db27d2eb37c2fb47c31b57b32b67a34b67935b77937b87838b9773aba763bbb753dbc74' +
  '3fbc7340bd7242be7144bf7046c06f48c16e4ac16d4cc26c4ec36b50c46a52c56954c56856c66758c7655ac8645cc863' +
  '5ec96260ca6063cb5f65cb5e67cc5c69cd5b6ccd5a6ece5870cf5773d05675d05477d1537ad1517cd2507fd34e81d34d' +
  '84d44b86d54989d5488bd6468ed64590d74393d74195d84098d83e9bd93c9dd93ba0da39a2da37a5db36a8db34aadc32' +
  'addc30b0dd2fb2dd2db5de2bb8de29bade28bddf26c0df25c2df23c5e021c8e020cae11fcde11dd0e11cd2e21bd5e21a' +
  'd8e219dae319dde318dfe318e2e418e5e419e7e419eae51aece51befe51cf1e51df4e61ef6e620f8e621fbe723fde725';

function interpolateSegments(segments: Segments, x: number): number {
  for (let i = 1; i < segments.length; i++) {
    const [x1, y1] = segments[i] as readonly [number, number];
    if (x <= x1) {
      const [x0, y0] = segments[i - 1] as readonly [number, number];
      return x1 === x0 ? y1 : y0 + ((x - x0) / (x1 - x0)) * (y1 - y0);
    }
  }
  return (segments[segments.length - 1] as readonly [number, number])[1];
}

function hexToRgb(hex: string): [number, number, number] {
  return [parseInt(hex.slice(0, 2), 16) / 255, parseInt(hex.slice(2, 4), 16) / 255, parseInt(hex.slice(4, 6), 16) / 255];
}

/** Linear interpolation between equally spaced colour stops (matplotlib's from_list). */
function fromList(stops: readonly string[], x: number): [number, number, number] {
  const colors = stops.map(hexToRgb);
  const pos = x * (colors.length - 1);
  const i = Math.min(colors.length - 2, Math.floor(pos));
  const f = pos - i;
  const a = colors[i] as [number, number, number];
  const b = colors[i + 1] as [number, number, number];
  return [a[0] + f * (b[0] - a[0]), a[1] + f * (b[1] - a[1]), a[2] + f * (b[2] - a[2])];
}

/** Float colour (0..1 per channel) of LUT entry i of a map, as matplotlib's `_lut[i]`. */
function entry(name: ColormapName, i: number): [number, number, number] {
  const x = i / (LUT_SIZE - 1);
  switch (name) {
    case 'gray':
      return [x, x, x];
    case 'hot':
      return [interpolateSegments(HOT[0], x), interpolateSegments(HOT[1], x), interpolateSegments(HOT[2], x)];
    case 'jet':
      return [interpolateSegments(JET[0], x), interpolateSegments(JET[1], x), interpolateSegments(JET[2], x)];
    case 'viridis':
      return hexToRgb(VIRIDIS_HEX.slice(i * 6, i * 6 + 6));
    case 'RdBu_r':
      return fromList([...RDBU].reverse(), x);
    case 'Blues':
      return fromList(BLUES, x);
  }
}

const floatCache = new Map<ColormapName, Float64Array>();
const byteCache = new Map<ColormapName, Uint8Array>();

/** Throws ArgumentError unless `name` is a known colour map. */
export function checkColormap(name: string, option = 'colormap'): ColormapName {
  if (!(COLORMAP_NAMES as readonly string[]).includes(name)) {
    throw new ArgumentError('BAD_ARGUMENT', `Unknown colour map '${name}' for option '${option}'.`, {
      hint: `Use one of: ${COLORMAP_NAMES.join(', ')}.`,
      details: { option, value: name },
    });
  }
  return name as ColormapName;
}

/** The lookup table of a map as floats: LUT_SIZE x 3 (r, g, b in 0..1). */
export function colormapTable(name: ColormapName): Float64Array {
  checkColormap(name);
  let lut = floatCache.get(name);
  if (lut === undefined) {
    lut = new Float64Array(LUT_SIZE * 3);
    for (let i = 0; i < LUT_SIZE; i++) lut.set(entry(name, i).map((c) => Math.min(1, Math.max(0, c))), i * 3);
    floatCache.set(name, lut);
  }
  return lut;
}

/**
 * The lookup table of a map as bytes: LUT_SIZE x 3. Each channel is round(v * 255); matplotlib's
 * `bytes=True` truncates instead, so entries may differ from it by one level.
 */
export function colormapBytes(name: ColormapName): Uint8Array {
  let lut = byteCache.get(name);
  if (lut === undefined) {
    const f = colormapTable(name);
    lut = new Uint8Array(f.length);
    for (let i = 0; i < f.length; i++) lut[i] = Math.round((f[i] as number) * 255);
    byteCache.set(name, lut);
  }
  return lut;
}

/** LUT index of a normalised value t, as matplotlib: floor(t * N), clamped to [0, N - 1]. */
export function lutIndex(t: number): number {
  if (!(t > 0)) return 0;
  return Math.min(LUT_SIZE - 1, Math.floor(t * LUT_SIZE));
}

/** Colour of a map at t in [0, 1] (clamped) as floats (0..1), like matplotlib's `cmap(t)[:3]`. */
export function colormapColor(name: ColormapName, t: number): [number, number, number] {
  const lut = colormapTable(name);
  const i = lutIndex(t) * 3;
  return [lut[i] as number, lut[i + 1] as number, lut[i + 2] as number];
}

/** Colour of a map at t in [0, 1] as a CSS hex string "#rrggbb". */
export function colormapHex(name: ColormapName, t: number): string {
  const lut = colormapBytes(name);
  const i = lutIndex(t) * 3;
  return `#${[lut[i], lut[i + 1], lut[i + 2]].map((c) => (c as number).toString(16).padStart(2, '0')).join('')}`;
}

/** Options of {@link colorize}. */
export interface ColorizeOptions {
  /** Value mapped to the first colour (default: the smallest finite value). */
  readonly min?: number;
  /** Value mapped to the last colour (default: the largest finite value). */
  readonly max?: number;
  /** Colour map (default 'viridis'). */
  readonly colormap?: ColormapName;
}

/** Smallest and largest finite values; [0, 0] when there are none. */
export function finiteRange(values: ArrayLike<number>): [number, number] {
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < values.length; i++) {
    const v = values[i] as number;
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  return lo <= hi ? [lo, hi] : [0, 0];
}

/**
 * Maps values to RGBA pixels (4 bytes per value, alpha 255) through a colour map, with
 * t = (v - min) / (max - min) clamped to [0, 1] and matplotlib's LUT indexing. Non-finite values
 * (NaN, masked) become transparent. When min = max every finite value gets the first colour,
 * as matplotlib's Normalize does.
 */
export function colorize(values: ArrayLike<number>, options: ColorizeOptions = {}): Uint8ClampedArray {
  const colormap = checkColormap(options.colormap ?? 'viridis');
  const [dataMin, dataMax] = options.min === undefined || options.max === undefined ? finiteRange(values) : [0, 0];
  const min = options.min ?? dataMin;
  const max = options.max ?? dataMax;
  if (!Number.isFinite(min) || !Number.isFinite(max) || min > max) {
    throw new ArgumentError('BAD_ARGUMENT', `Colour scale needs finite min <= max; got min ${min}, max ${max}.`, {
      hint: 'Pass min and max with min <= max, or leave them out to use the data range.',
      details: { min, max },
    });
  }
  const lut = colormapBytes(colormap);
  const out = new Uint8ClampedArray(values.length * 4);
  const span = max - min;
  for (let i = 0; i < values.length; i++) {
    const v = values[i] as number;
    if (!Number.isFinite(v)) continue; // transparent
    const k = lutIndex(span > 0 ? (v - min) / span : 0) * 3;
    const o = i * 4;
    out[o] = lut[k] as number;
    out[o + 1] = lut[k + 1] as number;
    out[o + 2] = lut[k + 2] as number;
    out[o + 3] = 255;
  }
  return out;
}

/**
 * matplotlib's 'tab10' (the classic Tableau 10), the default colour cycle of the original's
 * scatter plots: class k is drawn in TABLEAU10[k % 10].
 */
export const TABLEAU10: readonly string[] = [
  '#1f77b4',
  '#ff7f0e',
  '#2ca02c',
  '#d62728',
  '#9467bd',
  '#8c564b',
  '#e377c2',
  '#7f7f7f',
  '#bcbd22',
  '#17becf',
];

/** Categorical colour of class k (cycles through TABLEAU10). */
export function categoryColor(k: number): string {
  const n = TABLEAU10.length;
  return TABLEAU10[((k % n) + n) % n] as string;
}

/** Relative luminance (0..1) of a "#rrggbb" colour, for choosing black or white text on it. */
export function luminance(hex: string): number {
  const [r, g, b] = hexToRgb(hex.replace('#', '')).map((c) => (c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4)) as [
    number,
    number,
    number,
  ];
  return 0.2126 * r + 0.7152 * g + 0.0722 * b;
}
