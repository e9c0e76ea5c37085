// Snapshot testing of figures (SVG or any text): compares output with test/snapshots/<dir>/<name>
// after normalising away what should not matter: decimals beyond 2, and PNG encoder bytes.
//
// - Missing snapshot: written, test passes (commit the new file).
// - Different: `<name>-changed.<ext>` is written next to it (open both to compare), test fails.
// - UPDATE_SNAPSHOTS=1: every snapshot is rewritten, tests pass.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { decode } from 'fast-png';
import { repoRoot } from './fixtures.js';

/** Root folder of all snapshots. */
export const snapshotRoot = join(repoRoot, 'test', 'snapshots');

function fnv1a(bytes: ArrayLike<number>): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < bytes.length; i++) {
    h ^= bytes[i] as number;
    h = Math.imul(h, 0x01000193);
  }
  return (h >>> 0).toString(16).padStart(8, '0');
}

/**
 * Normalises text for comparison: every number written with 2 decimals (so 10, 10.001 and
 * 10.004 compare equal; "-0.00" as "0.00"), CRLF as LF, and each embedded PNG data URI replaced by its size and a hash of its
 * decoded pixels, so a different but equivalent PNG encoding does not count as a change.
 */
export function normalizeSnapshot(text: string): string {
  return text
    .replace(/\r\n/g, '\n')
    .replace(/data:image\/png;base64,([A-Za-z0-9+/=]+)/g, (_, b64: string) => {
      try {
        const png = decode(Buffer.from(b64, 'base64'));
        return `png:${png.width}x${png.height}x${png.channels}:${fnv1a(png.data)}`;
      } catch {
        return `png:undecodable:${fnv1a(Buffer.from(b64, 'base64'))}`;
      }
    })
    .replace(/-?\d+(?:\.\d+)?(?:e[-+]?\d+)?/g, (m) => {
      const r = Number(m).toFixed(2);
      return r === '-0.00' ? '0.00' : r;
    });
}

/** Options of {@link assertSnapshot}. */
export interface SnapshotOptions {
  /** Sub-folder of test/snapshots (default 'render'). */
  readonly dir?: string;
  /** File extension without dot (default 'svg'). */
  readonly ext?: string;
}

/** Compares `actual` with the stored snapshot `name` (see the module comment for the rules). */
export function assertSnapshot(name: string, actual: string, options: SnapshotOptions = {}): void {
  const { dir = 'render', ext = 'svg' } = options;
  const folder = join(snapshotRoot, dir);
  const file = join(folder, `${name}.${ext}`);
  const changed = join(folder, `${name}-changed.${ext}`);
  mkdirSync(folder, { recursive: true });
  if (process.env['UPDATE_SNAPSHOTS'] === '1' || !existsSync(file)) {
    writeFileSync(file, actual);
    rmSync(changed, { force: true });
    return;
  }
  const expected = readFileSync(file, 'utf8');
  const a = normalizeSnapshot(actual);
  const e = normalizeSnapshot(expected);
  if (a === e) {
    rmSync(changed, { force: true });
    return;
  }
  writeFileSync(changed, actual);
  const al = a.split('\n');
  const el = e.split('\n');
  let line = 0;
  while (line < Math.max(al.length, el.length) && al[line] === el[line]) line++;
  const clip = (s: string | undefined): string => (s === undefined ? '(none)' : s.length > 300 ? `${s.slice(0, 300)}...` : s);
  assert.fail(
    `Snapshot '${dir}/${name}.${ext}' differs at line ${line + 1}.\n` +
      `  expected: ${clip(el[line])}\n  actual:   ${clip(al[line])}\n` +
      `Wrote ${changed}; compare the two, then delete the old file or run with UPDATE_SNAPSHOTS=1 if the change is intended.`,
  );
}

/** Text content of every `<text>` element of an SVG, in document order, entities decoded. */
export function svgTexts(svg: string): string[] {
  return [...svg.matchAll(/<text\b[^>]*>([^<]*)<\/text>/g)].map((m) =>
    (m[1] as string)
      .replace(/&lt;/g, '<')
      .replace(/&gt;/g, '>')
      .replace(/&quot;/g, '"')
      .replace(/&#39;/g, "'")
      .replace(/&amp;/g, '&'),
  );
}

/** One embedded raster of an SVG: the `<image>` element's geometry and its decoded pixels. */
export interface SvgRaster {
  readonly x: number;
  readonly y: number;
  readonly width: number;
  readonly height: number;
  /** Decoded PNG (fast-png): width, height, channels, data. */
  readonly png: ReturnType<typeof decode>;
  /** RGBA of pixel (px, py) of the decoded PNG. */
  pixel(px: number, py: number): number[];
}

/** Every `<image>` with a PNG data URI in an SVG, decoded, in document order. */
export function svgRasters(svg: string): SvgRaster[] {
  return [...svg.matchAll(/<image\b([^>]*)\/>/g)].flatMap((m) => {
    const attrs = m[1] as string;
    const uri = /href="data:image\/png;base64,([^"]+)"/.exec(attrs);
    if (uri === null) return [];
    const attr = (name: string): number => Number(new RegExp(`\\b${name}="([^"]+)"`).exec(attrs)?.[1] ?? NaN);
    const png = decode(Buffer.from(uri[1] as string, 'base64'));
    return [
      {
        x: attr('x'),
        y: attr('y'),
        width: attr('width'),
        height: attr('height'),
        png,
        pixel(px: number, py: number): number[] {
          const c = png.channels;
          const o = (py * png.width + px) * c;
          return Array.from(png.data.slice(o, o + c));
        },
      },
    ];
  });
}
