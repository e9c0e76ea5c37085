// Writes haplotype matrices as ms-format text (Hudson 2002), the lingua franca of simulators,
// so that our simulations can be read by other tools. Isomorphic: returns text; callers write it.

import { ArgumentError } from '../errors.js';
import type { HaplotypeMatrix } from './ms.js';

export interface MsWriteOptions {
  /**
   * First line. Default `convscope <nSamples> <nReplicates>`. Keep `program nsam nreps` first
   * and, when the region length matters, `-r rho nsites` in it: readers take both from there.
   */
  readonly command?: string;
  /** Seed line after the command line. Default: none (an empty line is written). */
  readonly seeds?: string;
  /** Decimals of the positions (fractions of the region). Default 6 (ms itself writes 4). */
  readonly positionDecimals?: number;
}

/** ms-format text for `replicates`, one string per piece (header, then each replicate). */
export function* msChunks(replicates: readonly HaplotypeMatrix[], options: MsWriteOptions = {}): Generator<string> {
  const decimals = options.positionDecimals ?? 6;
  if (!Number.isInteger(decimals) || decimals < 1 || decimals > 15) {
    throw new ArgumentError('BAD_ARGUMENT', `positionDecimals must be an integer in 1..15, got ${decimals}.`);
  }
  const nSamples = replicates[0]?.nSamples ?? 0;
  const command = options.command ?? `convscope ${nSamples} ${replicates.length}`;
  if (command.includes('\n')) throw new ArgumentError('BAD_ARGUMENT', 'The ms command line must be a single line.');
  yield `${command}\n${options.seeds ?? ''}\n`;
  for (const rep of replicates) {
    const { nSamples: n, nSites: s, positions, haplotypes } = rep;
    if (positions.length !== s || haplotypes.length !== n * s) {
      throw new ArgumentError('SHAPE_MISMATCH', `A replicate claims ${n} x ${s} but holds ${positions.length} positions and ${haplotypes.length} alleles.`);
    }
    const parts: string[] = [`\n//\nsegsites: ${s}\n`];
    if (s > 0) {
      const pos: string[] = new Array<string>(s);
      for (let j = 0; j < s; j++) pos[j] = positions[j]!.toFixed(decimals);
      parts.push(`positions: ${pos.join(' ')}\n`);
      const codes = new Uint8Array(s);
      const decoder = new TextDecoder();
      for (let i = 0; i < n; i++) {
        const row = haplotypes.subarray(i * s, (i + 1) * s);
        for (let j = 0; j < s; j++) {
          const a = row[j]!;
          if (a > 1) throw new ArgumentError('BAD_ARGUMENT', `Allele ${a} at row ${i}, site ${j}: ms format holds only 0 and 1.`);
          codes[j] = 48 + a;
        }
        parts.push(`${decoder.decode(codes)}\n`);
      }
    }
    yield parts.join('');
  }
}

/** The whole ms-format text for `replicates`. */
export function writeMs(replicates: readonly HaplotypeMatrix[], options: MsWriteOptions = {}): string {
  return [...msChunks(replicates, options)].join('');
}
