// Node-only: SVG figure -> PNG bytes with @resvg/resvg-js, using the DejaVu fonts the figures are
// laid out for when installed (else the system fonts). Embedded raster images are kept.

import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { ResvgRenderOptions } from '@resvg/resvg-js';
import { ArgumentError } from '../errors.js';

type ResvgModule = typeof import('@resvg/resvg-js');
let resvgModule: ResvgModule | undefined;

/**
 * resvg's native library, loaded on the first PNG rather than at start-up: its loader costs
 * ~16 ms (libc detection and dlopen), which every CLI command paid, figure or not.
 */
function loadResvg(): ResvgModule {
  resvgModule ??= createRequire(import.meta.url)('@resvg/resvg-js') as ResvgModule;
  return resvgModule;
}

/** Folder of the DejaVu fonts on Debian/Ubuntu (fonts-dejavu-core). */
export const DEJAVU_DIR = '/usr/share/fonts/truetype/dejavu';

/** Options of {@link svgToPng}. */
export interface SvgToPngOptions {
  /** Pixels per SVG px (default 2: a 500 px wide figure becomes 1000 px, ~190 dpi at 13 cm). */
  readonly scale?: number;
  /** Background colour behind the figure, any CSS colour (default 'white'). */
  readonly background?: string;
  /** Font folders to load instead of the default choice (default: DejaVu if present, else system fonts). */
  readonly fontDirs?: readonly string[];
}

/** Font settings: DejaVu only when installed (fast, and identical on every machine), else system fonts. */
export function fontOptions(fontDirs?: readonly string[]): NonNullable<ResvgRenderOptions['font']> {
  const dirs = fontDirs ?? (existsSync(DEJAVU_DIR) ? [DEJAVU_DIR] : []);
  if (dirs.length > 0) {
    return { loadSystemFonts: false, fontDirs: [...dirs], defaultFontFamily: 'DejaVu Sans', sansSerifFamily: 'DejaVu Sans' };
  }
  return { loadSystemFonts: true };
}

/**
 * Prepares figure SVG for resvg: resvg lets a `style` win over the `image-rendering` attribute
 * and does not know the CSS value 'pixelated', so pixelated images would be smoothed. Mapping
 * it to 'optimizeSpeed' (resvg's nearest-neighbour) keeps kernels and maps crisp.
 */
export function prepareForResvg(svg: string): string {
  return svg.replace(/image-rendering:\s*pixelated/g, 'image-rendering:optimizeSpeed');
}

/** Renders an SVG document to PNG bytes (8-bit RGBA) at `scale` pixels per SVG px. */
export function svgToPng(svg: string, options: SvgToPngOptions = {}): Uint8Array {
  const { scale = 2, background = 'white', fontDirs } = options;
  if (!(scale > 0 && scale <= 16)) {
    throw new ArgumentError('BAD_ARGUMENT', `PNG scale must be in (0, 16]; got ${scale}.`, {
      hint: 'Use 1 for screen, 2 (default) or 3 for print.',
      details: { scale },
    });
  }
  const { Resvg } = loadResvg();
  let rendered;
  try {
    const resvg = new Resvg(prepareForResvg(svg), {
      fitTo: { mode: 'zoom', value: scale },
      background,
      font: fontOptions(fontDirs),
      logLevel: 'off',
    });
    rendered = resvg.render();
  } catch (cause) {
    throw new ArgumentError('BAD_ARGUMENT', `Cannot render the figure to PNG: ${String(cause)}.`, {
      cause,
      hint: 'The SVG is malformed; save it as .svg to inspect it.',
    });
  }
  const png = rendered.asPng();
  return new Uint8Array(png.buffer, png.byteOffset, png.byteLength);
}
