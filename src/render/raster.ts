// Raster helpers for figures: RGBA pixels -> PNG bytes (fast-png, pure JS) -> data URI ->
// an SVG <image> drawn with nearest-neighbour scaling; resampling of value grids and alpha
// compositing of a heat map over a gray image. Isomorphic: no Buffer, no canvas.

import { encode } from 'fast-png';
import { ArgumentError } from '../errors.js';
import { num } from './svg.js';

/** An RGBA image: 4 bytes per pixel, row-major, top row first. */
export interface RgbaImage {
  readonly width: number;
  readonly height: number;
  readonly data: Uint8ClampedArray;
}

function checkSize(what: string, length: number, height: number, width: number, channels: number): void {
  if (!Number.isInteger(height) || !Number.isInteger(width) || height < 1 || width < 1) {
    throw new ArgumentError('BAD_ARGUMENT', `${what}: height and width must be positive integers; got ${height} x ${width}.`, {
      details: { height, width },
    });
  }
  if (length !== height * width * channels) {
    throw new ArgumentError(
      'SHAPE_MISMATCH',
      `${what}: ${height} x ${width}${channels > 1 ? ` x ${channels}` : ''} needs ${height * width * channels} values, got ${length}.`,
      { hint: 'Pass the values of one 2-D map in row-major order with its height and width.', details: { height, width, length } },
    );
  }
}

/** Options of {@link encodePng}. */
export interface EncodePngOptions {
  /** Latin-1 tEXt chunks to include, keyword -> text (default none). */
  readonly text?: Readonly<Record<string, string>>;
}

/** Encodes an RGBA image as an 8-bit RGBA PNG. Deterministic: same pixels, same bytes. */
export function encodePng(image: RgbaImage, options: EncodePngOptions = {}): Uint8Array {
  checkSize('encodePng', image.data.length, image.height, image.width, 4);
  return encode({
    width: image.width,
    height: image.height,
    data: image.data,
    channels: 4,
    depth: 8,
    ...(options.text !== undefined ? { text: { ...options.text } } : {}),
  });
}

const BASE64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

/** Standard base64 (with padding) of bytes; works the same in Node and browsers. */
export function base64(bytes: Uint8Array): string {
  const parts: string[] = [];
  let chunk = '';
  for (let i = 0; i < bytes.length; i += 3) {
    const a = bytes[i] as number;
    const b = i + 1 < bytes.length ? (bytes[i + 1] as number) : 0;
    const c = i + 2 < bytes.length ? (bytes[i + 2] as number) : 0;
    const n = (a << 16) | (b << 8) | c;
    chunk += BASE64[(n >> 18) & 63] as string;
    chunk += BASE64[(n >> 12) & 63] as string;
    chunk += i + 1 < bytes.length ? (BASE64[(n >> 6) & 63] as string) : '=';
    chunk += i + 2 < bytes.length ? (BASE64[n & 63] as string) : '=';
    if (chunk.length >= 8192) {
      parts.push(chunk);
      chunk = '';
    }
  }
  parts.push(chunk);
  return parts.join('');
}

/** A `data:image/png;base64,...` URI for PNG bytes. */
export function pngDataUri(png: Uint8Array): string {
  return `data:image/png;base64,${base64(png)}`;
}

/** Repeats every pixel `factor` times in each direction (nearest-neighbour upscaling). */
export function upscaleNearest(image: RgbaImage, factor: number): RgbaImage {
  if (!Number.isInteger(factor) || factor < 1) {
    throw new ArgumentError('BAD_ARGUMENT', `upscaleNearest: factor must be a positive integer; got ${factor}.`);
  }
  checkSize('upscaleNearest', image.data.length, image.height, image.width, 4);
  if (factor === 1) return image;
  const { width, height, data } = image;
  const w = width * factor;
  const out = new Uint8ClampedArray(w * height * factor * 4);
  // View pixels as 32-bit words; copy first if the bytes are not 4-byte aligned.
  const aligned = data.byteOffset % 4 === 0 ? data : new Uint8ClampedArray(data);
  const src = new Uint32Array(aligned.buffer, aligned.byteOffset, width * height);
  const dst = new Uint32Array(out.buffer);
  for (let y = 0; y < height; y++) {
    const row = y * factor * w;
    for (let x = 0; x < width; x++) {
      const p = src[y * width + x] as number;
      const o = row + x * factor;
      for (let k = 0; k < factor; k++) dst[o + k] = p;
    }
    for (let r = 1; r < factor; r++) dst.copyWithin(row + r * w, row, row + w);
  }
  return { width: w, height: height * factor, data: out };
}

/** How a value grid is resampled to another size. */
export type Resample = 'nearest' | 'bilinear';

/**
 * Resamples a row-major grid of values (height x width) to (toHeight x toWidth), with pixel
 * centres aligned (half-pixel convention, like OpenCV's resize and tf.image.resize). Nearest
 * picks the source pixel whose area contains the target centre, so an 16x16 map drawn on a
 * 128x128 image keeps sharp 8x8 blocks; bilinear blends the four nearest centres (edge pixels
 * are clamped). A NaN among the blended values gives NaN.
 */
export function resizeGrid(
  values: ArrayLike<number>,
  height: number,
  width: number,
  toHeight: number,
  toWidth: number,
  method: Resample = 'nearest',
): Float32Array {
  checkSize('resizeGrid', values.length, height, width, 1);
  checkSize('resizeGrid target', toHeight * toWidth, toHeight, toWidth, 1);
  const out = new Float32Array(toHeight * toWidth);
  const sy = height / toHeight;
  const sx = width / toWidth;
  if (method === 'nearest') {
    for (let y = 0; y < toHeight; y++) {
      const iy = Math.min(height - 1, Math.floor((y + 0.5) * sy));
      for (let x = 0; x < toWidth; x++) {
        const ix = Math.min(width - 1, Math.floor((x + 0.5) * sx));
        out[y * toWidth + x] = values[iy * width + ix] as number;
      }
    }
    return out;
  }
  if (method !== 'bilinear') {
    throw new ArgumentError('BAD_ARGUMENT', `Unknown resampling '${String(method)}'.`, { hint: "Use 'nearest' or 'bilinear'." });
  }
  for (let y = 0; y < toHeight; y++) {
    const fy = Math.min(height - 1, Math.max(0, (y + 0.5) * sy - 0.5));
    const y0 = Math.floor(fy);
    const y1 = Math.min(height - 1, y0 + 1);
    const wy = fy - y0;
    for (let x = 0; x < toWidth; x++) {
      const fx = Math.min(width - 1, Math.max(0, (x + 0.5) * sx - 0.5));
      const x0 = Math.floor(fx);
      const x1 = Math.min(width - 1, x0 + 1);
      const wx = fx - x0;
      const a = values[y0 * width + x0] as number;
      const b = values[y0 * width + x1] as number;
      const c = values[y1 * width + x0] as number;
      const d = values[y1 * width + x1] as number;
      out[y * toWidth + x] = (1 - wy) * ((1 - wx) * a + wx * b) + wy * ((1 - wx) * c + wx * d);
    }
  }
  return out;
}

/**
 * Composites `heat` over `base` (both RGBA, same size): out = base * (1 - a) + heat * a with
 * a = alpha * heatAlpha / 255, so transparent (masked) heat pixels leave the base visible. The
 * result keeps the base's alpha. `alpha` is the heat map's opacity in [0, 1] (the original
 * used 0.4).
 */
export function overlay(base: RgbaImage, heat: RgbaImage, alpha: number): RgbaImage {
  if (base.width !== heat.width || base.height !== heat.height) {
    throw new ArgumentError(
      'SHAPE_MISMATCH',
      `overlay: the heat map is ${heat.height} x ${heat.width} but the base image is ${base.height} x ${base.width}.`,
      { hint: 'Resample the heat map to the base size first (resizeGrid).' },
    );
  }
  if (!(alpha >= 0 && alpha <= 1)) {
    throw new ArgumentError('BAD_ARGUMENT', `overlay: alpha must be in [0, 1]; got ${alpha}.`, { details: { alpha } });
  }
  const out = new Uint8ClampedArray(base.data.length);
  for (let i = 0; i < out.length; i += 4) {
    const a = (alpha * (heat.data[i + 3] as number)) / 255;
    out[i] = (base.data[i] as number) * (1 - a) + (heat.data[i] as number) * a;
    out[i + 1] = (base.data[i + 1] as number) * (1 - a) + (heat.data[i + 1] as number) * a;
    out[i + 2] = (base.data[i + 2] as number) * (1 - a) + (heat.data[i + 2] as number) * a;
    out[i + 3] = base.data[i + 3] as number;
  }
  return { width: base.width, height: base.height, data: out };
}

/** Largest side, in pixels, that {@link svgImage} upscales a raster to before embedding it. */
export const MAX_EMBED_SIDE = 1024;

/** Options of {@link svgImage}. */
export interface SvgImageOptions {
  /** Left edge in px. */
  readonly x: number;
  /** Top edge in px. */
  readonly y: number;
  /** Drawn width in px. */
  readonly width: number;
  /** Drawn height in px. */
  readonly height: number;
  /**
   * Upscale the pixels (nearest neighbour, integer factor) until they cover the drawn size
   * before embedding, capped at MAX_EMBED_SIDE px (default true). Renderers that ignore
   * `image-rendering` (some PDF converters) then cannot blur small maps such as 3x3 kernels.
   */
  readonly preUpscale?: boolean;
  /** Extra attributes, already formatted (default none). */
  readonly extra?: string;
}

/**
 * An SVG `<image>` showing `image` with hard pixel edges: `style="image-rendering:pixelated"`
 * for browsers and the `image-rendering="optimizeSpeed"` attribute for resvg (src/node/png.ts
 * maps the style to the attribute's value, since resvg lets the style win and does not know
 * 'pixelated').
 */
export function svgImage(image: RgbaImage, options: SvgImageOptions): string {
  const { x, y, width, height, preUpscale = true, extra = '' } = options;
  let img = image;
  if (preUpscale) {
    const need = Math.ceil(Math.max(width / image.width, height / image.height));
    const cap = Math.floor(MAX_EMBED_SIDE / Math.max(image.width, image.height));
    const factor = Math.max(1, Math.min(need, cap));
    img = upscaleNearest(image, factor);
  }
  const uri = pngDataUri(encodePng(img));
  return (
    `<image x="${num(x)}" y="${num(y)}" width="${num(width)}" height="${num(height)}" preserveAspectRatio="none" ` +
    `image-rendering="optimizeSpeed" style="image-rendering:pixelated"${extra !== '' ? ` ${extra}` : ''} xlink:href="${uri}"/>`
  );
}
