// Linear scales, "nice" tick steps (1, 2, 5 x 10^k, as d3-array's ticks and matplotlib's
// MaxNLocator pick them) and tick label formatting. Pure numbers in, numbers and strings out.

/** A linear map from a data domain onto a pixel range. */
export interface LinearScale {
  (value: number): number;
  readonly domain: readonly [number, number];
  readonly range: readonly [number, number];
}

/** Makes a linear scale; a zero-width domain maps everything to the middle of the range. */
export function linearScale(domain: readonly [number, number], range: readonly [number, number]): LinearScale {
  const [d0, d1] = domain;
  const [r0, r1] = range;
  const span = d1 - d0;
  const f = (v: number): number => (span === 0 ? (r0 + r1) / 2 : r0 + ((v - d0) / span) * (r1 - r0));
  return Object.assign(f, { domain: [d0, d1] as const, range: [r0, r1] as const });
}

/**
 * A nice step (1, 2 or 5 times a power of ten) giving about `count` intervals over `span`.
 * Same thresholds as d3-array's tickIncrement: the step is the nice number nearest the raw one
 * on a log scale.
 */
export function niceStep(span: number, count: number): number {
  if (!(span > 0) || !Number.isFinite(span)) return 1;
  const raw = span / Math.max(1, count);
  const power = Math.floor(Math.log10(raw));
  const base = 10 ** power;
  const error = raw / base;
  const factor = error >= Math.sqrt(50) ? 10 : error >= Math.sqrt(10) ? 5 : error >= Math.sqrt(2) ? 2 : 1;
  return factor * base;
}

/** Rounds away floating-point dust from a multiple of `step` (0.30000000000000004 -> 0.3). */
function clean(value: number, step: number): number {
  const decimals = Math.max(0, -Math.floor(Math.log10(step)) + 1);
  return Number(value.toFixed(Math.min(20, decimals)));
}

/**
 * Tick values: the multiples of a nice step that lie in [min, max] (inclusive), about `count`
 * of them (default 5). Equal ends give one tick.
 */
export function niceTicks(min: number, max: number, count = 5): number[] {
  if (!Number.isFinite(min) || !Number.isFinite(max)) return [];
  if (min === max) return [min];
  const lo = Math.min(min, max);
  const hi = Math.max(min, max);
  const step = niceStep(hi - lo, count);
  const first = Math.ceil(lo / step - 1e-9);
  const last = Math.floor(hi / step + 1e-9);
  const ticks: number[] = [];
  for (let i = first; i <= last; i++) ticks.push(clean(i * step, step));
  return ticks;
}

/**
 * Extends [min, max] outwards to multiples of the nice step, so axes start and end on a tick.
 * A zero-width domain is widened by 1 on each side (or 10% of its magnitude), like matplotlib.
 */
export function niceDomain(min: number, max: number, count = 5): [number, number] {
  let lo = Math.min(min, max);
  let hi = Math.max(min, max);
  if (lo === hi) {
    const pad = lo === 0 ? 1 : Math.abs(lo) * 0.1;
    lo -= pad;
    hi += pad;
  }
  // Two passes: snapping can change the span enough to change the step (as in d3's nice()).
  for (let pass = 0; pass < 2; pass++) {
    const step = niceStep(hi - lo, count);
    lo = clean(Math.floor(lo / step + 1e-9) * step, step);
    hi = clean(Math.ceil(hi / step - 1e-9) * step, step);
  }
  return [lo, hi];
}

/**
 * [min, max] widened by `fraction` of its span on each side (default 0.05, matplotlib's axes
 * margins); a zero-width range is widened as in {@link niceDomain}.
 */
export function paddedDomain(min: number, max: number, fraction = 0.05): [number, number] {
  const lo = Math.min(min, max);
  const hi = Math.max(min, max);
  if (lo === hi) return niceDomain(lo, hi);
  const pad = (hi - lo) * fraction;
  return [lo - pad, hi + pad];
}

/** The Unicode minus sign, used in tick labels as matplotlib does. */
export const MINUS = '\u2212';

/**
 * Formats tick values with one shared number of decimals (enough for the step between them).
 * Very large or very small magnitudes use exponent notation ("2e−5"). Negative numbers use the
 * typographic minus.
 */
export function formatTicks(values: readonly number[]): string[] {
  if (values.length === 0) return [];
  const gaps = values.slice(1).map((v, i) => Math.abs(v - (values[i] as number))).filter((d) => d > 0);
  const first = Math.abs(values[0] as number);
  const step = gaps.length > 0 ? Math.min(...gaps) : first > 0 ? first : 1;
  const magnitude = Math.max(...values.map((v) => Math.abs(v)));
  if (magnitude >= 1e6 || (magnitude > 0 && magnitude < 1e-3) || step < 1e-4 * magnitude) {
    return values.map((v) => formatExponent(v));
  }
  // Enough decimals for the step, and for every value to print exactly (0.25 needs 2).
  let decimals = Math.max(0, Math.ceil(-Math.log10(step) - 1e-9));
  while (decimals < 6 && values.some((v) => Math.abs(v - Number(v.toFixed(decimals))) > 1e-9 * Math.max(1, Math.abs(v)))) decimals++;
  return values.map((v) => formatFixed(v, Math.min(decimals, 6)));
}

/** Formats one number for a label: up to `decimals` decimals, typographic minus. */
export function formatFixed(value: number, decimals: number): string {
  const s = value.toFixed(decimals);
  const zero = Number(s) === 0;
  return zero ? s.replace('-', '') : s.replace('-', MINUS);
}

function formatExponent(value: number): string {
  if (value === 0) return '0';
  const [mant, exp] = value.toExponential(2).split('e') as [string, string];
  const m = mant.replace(/\.?0+$/, '');
  const e = exp.replace('+', '');
  return `${m}e${e}`.replace(/-/g, MINUS);
}

/** Formats a single number compactly for cell annotations: integers as is, else 3 significant digits. */
export function formatValue(value: number): string {
  if (Number.isInteger(value) && Math.abs(value) < 1e9) return formatFixed(value, 0);
  const abs = Math.abs(value);
  if (abs !== 0 && (abs >= 1e6 || abs < 1e-3)) return formatExponent(value);
  const decimals = abs >= 100 ? 1 : abs >= 1 ? 2 : 3;
  return formatFixed(value, decimals).replace(/(\.\d*?)0+$/, '$1').replace(/\.$/, '');
}
