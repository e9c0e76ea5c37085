// Node-only: writes a rendered figure to disk as PNG or SVG (chosen by the file extension),
// atomically, never replacing a file unasked, carrying its provenance along.

import { extname } from 'node:path';
import { ArgumentError } from '../errors.js';
import { embedPngProvenance, embedSvgProvenance, readSvgProvenance } from '../render/provenance.js';
import { writeFileAtomic } from './files.js';
import { svgToPng } from './png.js';

/** Figure file formats, by extension. */
export type FigureFormat = 'png' | 'svg';

/** Options of {@link writeFigure}. */
export interface WriteFigureOptions {
  /** Replace an existing file (default false: an existing file is an error, code FILE_EXISTS). */
  readonly overwrite?: boolean;
  /** PNG pixels per SVG px (default 2, for print; ignored for SVG). */
  readonly scale?: number;
  /**
   * Provenance record to embed (SVG <metadata>, PNG tEXt 'convscope'; any JSON object, normally
   * methods/provenance.ts's). Default: whatever provenance the SVG already carries, which is
   * then also copied into a PNG.
   */
  readonly provenance?: object;
}

/** The format a path asks for: '.png' or '.svg' (any case); anything else is an ArgumentError. */
export function figureFormat(path: string): FigureFormat {
  const ext = extname(path).toLowerCase();
  if (ext === '.png') return 'png';
  if (ext === '.svg') return 'svg';
  throw new ArgumentError('BAD_ARGUMENT', `Cannot tell the figure format of '${path}' (extension '${ext}').`, {
    hint: 'Name the output file with .png or .svg.',
    details: { file: path, extension: ext },
  });
}

/**
 * Writes an SVG figure to `path`: as SVG text for '.svg', rendered to PNG (at `scale`, DejaVu
 * fonts) for '.png'. The write is atomic (temporary file, then rename) and refuses to replace
 * an existing file unless `overwrite` is set. Returns the format written.
 */
export async function writeFigure(svg: string, path: string, options: WriteFigureOptions = {}): Promise<FigureFormat> {
  const { overwrite = false, scale = 2 } = options;
  const format = figureFormat(path);
  const provenance = options.provenance ?? readSvgProvenance(svg);
  const doc = options.provenance !== undefined ? embedSvgProvenance(svg, options.provenance) : svg;
  if (format === 'svg') {
    await writeFileAtomic(path, doc, { overwrite });
    return format;
  }
  let png = svgToPng(doc, { scale });
  if (provenance !== undefined) png = embedPngProvenance(png, provenance);
  await writeFileAtomic(path, png, { overwrite });
  return format;
}
