// Raster pieces the page layers itself (Node-only use of the isomorphic render helpers): an input
// as a gray PNG, a map through a colour map as a PNG (NaN transparent), and a colour map's stops
// for the page's colour bars. The page draws these; it computes nothing.

import type { InputImage } from '../methods/inputs.js';
import { colorize, colormapHex, type ColormapName } from '../render/colormaps.js';
import { encodePng, pngDataUri } from '../render/raster.js';

/** A colour scale as the page draws it: CSS colours from min to max. */
export interface ColorScale {
  readonly colormap: ColormapName;
  readonly min: number;
  readonly max: number;
  /** 11 evenly spaced colours, first = min. */
  readonly stops: string[];
}

/** The colour scale of a map drawn with `colormap` over [min, max]. */
export function colorScale(colormap: ColormapName, min: number, max: number): ColorScale {
  return { colormap, min, max, stops: Array.from({ length: 11 }, (_, i) => colormapHex(colormap, i / 10)) };
}

/** PNG bytes of a (height x width) map through a colour map; non-finite values are transparent. */
export function mapPng(values: ArrayLike<number>, height: number, width: number, scale: Pick<ColorScale, 'colormap' | 'min' | 'max'>): Uint8Array {
  return encodePng({ width, height, data: colorize(values, { colormap: scale.colormap, min: scale.min, max: scale.max }) });
}

/** A map as a PNG data URI (see {@link mapPng}). */
export function mapUri(values: ArrayLike<number>, height: number, width: number, scale: Pick<ColorScale, 'colormap' | 'min' | 'max'>): string {
  return pngDataUri(mapPng(values, height, width, scale));
}

/** PNG bytes of an input in gray, black at image.min and white at image.max. */
export function inputPng(image: InputImage): Uint8Array {
  return mapPng(image.gray, image.height, image.width, { colormap: 'gray', min: image.min, max: image.max });
}

/** An input as a gray PNG data URI. */
export function inputUri(image: InputImage): string {
  return pngDataUri(inputPng(image));
}

/** Smallest and largest finite values (NaN, NaN when there are none). */
export function finiteMinMax(values: ArrayLike<number>): [number, number] {
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < values.length; i++) {
    const v = values[i] as number;
    if (!Number.isFinite(v)) continue;
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  return lo <= hi ? [lo, hi] : [NaN, NaN];
}

/** Symmetric range [-m, m] of the finite values, [-1, 1] when all are 0 or none is finite. */
export function symmetric(values: ArrayLike<number>): [number, number] {
  const [lo, hi] = finiteMinMax(values);
  const m = Math.max(Math.abs(lo), Math.abs(hi));
  return Number.isFinite(m) && m > 0 ? [-m, m] : [-1, 1];
}
