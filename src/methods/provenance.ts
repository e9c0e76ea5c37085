// What made an output: model and data SHA-256, the method and its options, the seed and the
// convscope version. Recorded in every JSON output and embedded in every figure.

import { VERSION } from '../version.js';

export interface Provenance {
  readonly tool: 'convscope';
  readonly version: string;
  readonly method: string;
  readonly model: { readonly file: string; readonly sha256: string; readonly format: string };
  readonly data: { readonly file: string; readonly sha256: string } | null;
  readonly labels: { readonly file: string; readonly sha256: string } | null;
  readonly options: Record<string, unknown>;
  readonly seed: number | null;
  readonly engine: string;
  readonly createdAt?: string;
}

/** SHA-256 of bytes as lowercase hex (Web Crypto: Node 20 and browsers). */
export async function sha256Hex(bytes: Uint8Array): Promise<string> {
  // SharedArrayBuffer-backed views are not accepted by digest(); ours never are.
  const digest = await globalThis.crypto.subtle.digest('SHA-256', bytes as Uint8Array<ArrayBuffer>);
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, '0')).join('');
}

/** Converts a result object into JSON-ready data: typed arrays become plain arrays, NaN becomes null. */
export function toJsonable(value: unknown): unknown {
  if (value === null || value === undefined) return value ?? null;
  if (typeof value === 'number') return Number.isFinite(value) ? value : null;
  if (ArrayBuffer.isView(value) && !(value instanceof DataView)) {
    return Array.from(value as unknown as ArrayLike<number>, (v) => (Number.isFinite(v) ? v : null));
  }
  if (Array.isArray(value)) return value.map(toJsonable);
  if (typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
      if (typeof v === 'function') continue;
      out[k] = toJsonable(v);
    }
    return out;
  }
  return value;
}

/** Reshapes a flat array into nested rows: (rows x cols) -> number[][]. */
export function nest(data: ArrayLike<number>, shape: readonly number[]): unknown {
  if (shape.length <= 1) return Array.from(data, (v) => (Number.isFinite(v) ? v : null));
  const [first, ...rest] = shape;
  const step = rest.reduce((a, b) => a * b, 1);
  return Array.from({ length: first! }, (_, i) => nest(Array.prototype.slice.call(data, i * step, (i + 1) * step) as number[], rest));
}

export { VERSION };
