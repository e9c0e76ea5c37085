// Class labels from simulation file names, BaSe's convention: `<CLASS>_<TIME>_<N>.txt` for
// selection and `<CLASS>_<N>.txt` for neutral files (e.g. `OD_20_1.txt`, `NE_7.txt`). Isomorphic.

import { ArgumentError } from '../errors.js';

/**
 * Parses a label map such as `NE=0,IS=1,OD=1,FD=1` (class name = integer label; several classes
 * may share a label).
 */
export function parseLabelSpec(spec: string, option = '--label-from-name'): Map<string, number> {
  const out = new Map<string, number>();
  const parts = spec.split(',').map((p) => p.trim()).filter((p) => p !== '');
  if (parts.length === 0) throw new ArgumentError('BAD_ARGUMENT', `${option} is empty.`, { hint: "Write it as 'NE=0,IS=1,OD=1,FD=1'." });
  for (const part of parts) {
    const m = /^([^=\s]+)\s*=\s*(\d+)$/.exec(part);
    if (m === null) {
      throw new ArgumentError('BAD_ARGUMENT', `${option}: '${part}' is not CLASS=LABEL.`, { hint: "Write it as 'NE=0,IS=1,OD=1,FD=1' (labels are integers >= 0)." });
    }
    const name = m[1]!;
    if (out.has(name)) throw new ArgumentError('BAD_ARGUMENT', `${option}: class '${name}' is listed twice.`);
    out.set(name, Number(m[2]));
  }
  return out;
}

/**
 * The class token of a file name: the base name without folders, without `.gz` and one more
 * extension, up to the first `_` (`sims/OD_20_1.txt` -> `OD`, `NE.ms.gz` -> `NE`).
 */
export function classFromFileName(path: string): string {
  let base = path.split(/[\\/]/).pop() ?? path;
  if (base.toLowerCase().endsWith('.gz')) base = base.slice(0, -3);
  const dot = base.lastIndexOf('.');
  if (dot > 0) base = base.slice(0, dot);
  const us = base.indexOf('_');
  return us > 0 ? base.slice(0, us) : base;
}
