// Reader for ms-format simulation output (Hudson's ms, msms, discoal, scrm, SLiM's outputMS):
// bytes or text in (gzip detected by its magic number), haplotype matrices out. Isomorphic:
// no file system here; src/node/ms-files.ts opens paths and walks folders.
//
// The format, as these programs write it: an optional command line and seed line, then for
// each replicate a line starting with `//` (trees, `time:` or `prob:` lines may follow), a line
// `segsites: S`, a line `positions: p1 ... pS` (fractions of the region, ascending), and one
// row of S characters `0`/`1` per sampled chromosome (0 = ancestral, 1 = derived).

import { Gunzip } from 'fflate';
import { FileFormatError } from '../errors.js';

/** A sample of chromosomes typed at segregating sites. */
export interface HaplotypeMatrix {
  /** Chromosomes (rows). */
  readonly nSamples: number;
  /** Segregating sites (columns). */
  readonly nSites: number;
  /** Site positions as written: fractions of the region in [0, 1] for all the programs above. */
  readonly positions: Float64Array;
  /** nSamples x nSites, row-major: 1 = derived allele, 0 = ancestral. */
  readonly haplotypes: Uint8Array;
}

/** One replicate of an ms-format file. */
export interface MsReplicate extends HaplotypeMatrix {
  /** 0-based replicate number within the file. */
  readonly index: number;
  /** 1-based line of the replicate's `//` line (in the decompressed text for gzip files). */
  readonly line: number;
  /** Lines between `//` and `segsites:` (trees, `time:`, `prob:`), verbatim. */
  readonly extra: readonly string[];
}

/** What the header of an ms-format file says (null where it says nothing). */
export interface MsHeader {
  /** File name used in messages. */
  readonly fileName: string;
  /** The first line when it is a command line (SLiM's output has none). */
  readonly command: string | null;
  /** Program name from the command line: its first word without folders (`ms`, `discoal`...). */
  readonly program: string | null;
  /** The seed line that ms, msms, discoal and scrm print after the command line. */
  readonly seeds: string | null;
  /** Sample size (chromosomes) named by the command line. */
  readonly nSamples: number | null;
  /** Replicates named by the command line. */
  readonly nReplicates: number | null;
  /**
   * Region length in sites (bp) named by the command line: discoal's third argument, or the
   * `nsites` of `-r rho nsites` (ms, msms, scrm). Null when the command line does not say.
   */
  readonly regionLength: number | null;
}

/** A whole ms-format file. */
export interface MsFile extends MsHeader {
  readonly replicates: MsReplicate[];
}

export interface MsReadOptions {
  /** Name used in error messages. Default `'<ms input>'`. */
  readonly fileName?: string;
  /**
   * Fail when the command line names more replicates than the file holds (the usual sign of a
   * truncated file). Default true.
   */
  readonly checkReplicateCount?: boolean;
  /** Stop after this many replicates (the rest of the file is not parsed). Default: all. */
  readonly maxReplicates?: number;
}

const DEFAULT_NAME = '<ms input>';
/** How many lines may precede the first `//` before the input is judged not ms-format. */
const MAX_HEADER_LINES = 200;
/** Longest line accepted (a haplotype row of 64 Mi sites). */
const MAX_LINE_CHARS = 1 << 26;
/** Largest haplotype matrix (cells) allocated from the command line's sample size before rows arrive. */
const MAX_PREALLOCATED_CELLS = 1 << 26;
/** Text is fed to the parser in pieces of this many bytes, so huge files never become one string. */
const CHUNK_BYTES = 1 << 22;

/** True when `bytes` start with the gzip magic number. */
export function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
}

/** Cheap sniff: could these bytes (or text) be ms-format output? Looks at the first few lines. */
export function looksLikeMs(input: Uint8Array | string): boolean {
  if (typeof input !== 'string' && isGzip(input)) return true; // decide after decompression
  const head = typeof input === 'string' ? input.slice(0, 65536) : new TextDecoder().decode(input.subarray(0, 65536));
  return /(^|\n)\/\/[^\n]*\n(\[[^\n]*\n|\([^\n]*\n|time:[^\n]*\n|prob:[^\n]*\n)*segsites:\s*\d+/.test(head);
}

/** Parses a command line into the header fields it determines. */
export function parseMsCommand(command: string): Pick<MsHeader, 'program' | 'nSamples' | 'nReplicates' | 'regionLength'> {
  const tokens = command.trim().split(/\s+/);
  const first = tokens[0] ?? '';
  const program = first.split(/[\\/]/).pop() ?? first;
  const int = (s: string | undefined): number | null => (s !== undefined && /^\d+$/.test(s) ? Number(s) : null);
  let nSamples = int(tokens[1]);
  let nReplicates = int(tokens[2]);
  const ms = tokens.indexOf('-ms');
  if ((nSamples === null || nReplicates === null) && ms >= 0) {
    // msms accepts `-ms nsam nreps` anywhere on its command line.
    nSamples = int(tokens[ms + 1]);
    nReplicates = int(tokens[ms + 2]);
  }
  let regionLength: number | null = null;
  if (/^discoal/i.test(program)) regionLength = int(tokens[3]);
  if (regionLength === null) {
    const r = tokens.indexOf('-r');
    if (r >= 0) regionLength = int(tokens[r + 2]);
  }
  return { program: program === '' ? null : program, nSamples, nReplicates, regionLength };
}

type State = 'header' | 'afterSlash' | 'positions' | 'rows' | 'between';

/**
 * Incremental ms-format parser: push text in pieces of any size, get each replicate through a
 * callback as soon as its last row is read. `readMs` and `scanMs` are built on it.
 */
export class MsParser {
  private readonly fileName: string;
  private readonly onReplicate: (rep: MsReplicate) => boolean | void;
  private readonly checkCount: boolean;
  private readonly maxReplicates: number;
  private pending = '';
  private lineNo = 0;
  private state: State = 'header';
  private command: string | null = null;
  private seeds: string | null = null;
  private parsed: ReturnType<typeof parseMsCommand> = { program: null, nSamples: null, nReplicates: null, regionLength: null };
  private count = 0;
  private stopped = false;
  // the replicate being read
  private repLine = 0;
  private extra: string[] = [];
  private sites = 0;
  private positions = new Float64Array(0);
  private rows: Uint8Array[] = [];
  private rowsKnown: Uint8Array | null = null;
  private rowCount = 0;
  private lastSamples: number | null = null;

  constructor(onReplicate: (rep: MsReplicate) => boolean | void, options: MsReadOptions = {}) {
    this.fileName = options.fileName ?? DEFAULT_NAME;
    this.onReplicate = onReplicate;
    this.checkCount = options.checkReplicateCount !== false;
    this.maxReplicates = options.maxReplicates ?? Infinity;
  }

  /** True once `maxReplicates` were read or the callback returned false. */
  get done(): boolean {
    return this.stopped;
  }

  /** Feeds the next piece of text. */
  push(text: string): void {
    if (this.stopped) return;
    let start = 0;
    const data = this.pending + text;
    for (;;) {
      const nl = data.indexOf('\n', start);
      if (nl < 0) break;
      this.line(data.slice(start, nl));
      start = nl + 1;
      if (this.stopped) return;
    }
    this.pending = data.slice(start);
    if (this.pending.length > MAX_LINE_CHARS) {
      throw new FileFormatError('MS_PARSE', `${this.fileName}:${this.lineNo + 1}: a line longer than ${MAX_LINE_CHARS} characters; this is not ms-format text.`, {
        hint: 'ms-format files are text with one haplotype per line.',
        details: { file: this.fileName, line: this.lineNo + 1 },
      });
    }
  }

  /** Ends the input: checks completeness and returns the header. */
  end(): MsHeader {
    if (!this.stopped && this.pending !== '') {
      const last = this.pending;
      this.pending = '';
      this.line(last);
    }
    const header = this.header();
    if (this.stopped) return header;
    const where = `${this.fileName}:${this.lineNo}`;
    switch (this.state) {
      case 'header':
        throw new FileFormatError('FILE_UNRECOGNISED', `${this.fileName}: no '//' line found, so this is not ms-format simulation output (ms, msms, discoal, scrm, SLiM).`, {
          hint: 'Check that the file is the simulator output itself, not a log or another format.',
          details: { file: this.fileName },
        });
      case 'afterSlash':
        throw this.truncated(`${where}: the file ends after '//' (line ${this.repLine}) before its 'segsites:' line.`);
      case 'positions':
        throw this.truncated(`${where}: the file ends before the 'positions:' line of the replicate starting at line ${this.repLine}.`);
      case 'rows': {
        const expected = this.expectedSamples();
        if (expected !== null || this.rowCount === 0) {
          throw this.truncated(
            `${where}: the file ends after ${this.rowCount} of ${expected ?? 'the'} haplotype rows of the replicate starting at line ${this.repLine}.`,
          );
        }
        this.emit();
        break;
      }
      default:
        break;
    }
    if (this.checkCount && header.nReplicates !== null && this.count < header.nReplicates && this.count < this.maxReplicates) {
      throw this.truncated(`${this.fileName}: the command line asks for ${header.nReplicates} replicates but the file holds ${this.count}.`);
    }
    return header;
  }

  /** The header as read so far. */
  header(): MsHeader {
    return { fileName: this.fileName, command: this.command, seeds: this.seeds, ...this.parsed };
  }

  private truncated(message: string): FileFormatError {
    return new FileFormatError('FILE_TRUNCATED', message, {
      hint: 'The file looks cut short (an interrupted run or copy); rerun the simulation or pass the complete file.',
      details: { file: this.fileName, line: this.lineNo },
    });
  }

  private bad(message: string, hint?: string): FileFormatError {
    return new FileFormatError('MS_PARSE', `${this.fileName}:${this.lineNo}: ${message}`, {
      hint: hint ?? 'ms format: //, segsites: S, positions: p1..pS, then one row of S 0/1 characters per chromosome.',
      details: { file: this.fileName, line: this.lineNo },
    });
  }

  private expectedSamples(): number | null {
    return this.parsed.nSamples;
  }

  private line(raw: string): void {
    this.lineNo++;
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    switch (this.state) {
      case 'header':
        return this.headerLine(line);
      case 'afterSlash':
        return this.afterSlashLine(line);
      case 'positions':
        return this.positionsLine(line);
      case 'rows':
        return this.rowLine(line);
      case 'between':
        return this.betweenLine(line);
    }
  }

  private headerLine(line: string): void {
    if (line.startsWith('//')) return this.startReplicate();
    if (this.lineNo === 1) {
      if (line.trim() !== '') {
        this.command = line.trim();
        this.parsed = parseMsCommand(this.command);
      }
      return;
    }
    if (this.seeds === null && this.command !== null && /^\s*\d+(\s+\d+)*\s*$/.test(line)) {
      this.seeds = line.trim();
      return;
    }
    if (this.lineNo > MAX_HEADER_LINES) {
      throw new FileFormatError('FILE_UNRECOGNISED', `${this.fileName}: no '//' line in the first ${MAX_HEADER_LINES} lines, so this is not ms-format simulation output.`, {
        hint: 'Pass ms, msms, discoal, scrm or SLiM ms-format output.',
        details: { file: this.fileName },
      });
    }
  }

  private startReplicate(): void {
    this.state = 'afterSlash';
    this.repLine = this.lineNo;
    this.extra = [];
  }

  private afterSlashLine(line: string): void {
    const t = line.trim();
    if (t.startsWith('segsites:')) {
      const v = t.slice('segsites:'.length).trim();
      if (!/^\d+$/.test(v)) throw this.bad(`'segsites:' needs a whole number, got '${v}'.`);
      this.sites = Number(v);
      this.state = 'positions';
      if (this.sites === 0) {
        this.positions = new Float64Array(0);
        this.state = 'rows';
        this.rowCount = 0;
        this.rows = [];
        this.rowsKnown = null;
        // No rows follow zero sites; the replicate is complete.
        this.emit();
      }
      return;
    }
    if (t === '' || t.startsWith('[') || t.startsWith('(') || t.startsWith('time:') || t.startsWith('prob:')) {
      if (t !== '') this.extra.push(t);
      return;
    }
    throw this.bad(`expected 'segsites: S' after the '//' of line ${this.repLine}, got '${clip(t)}'.`);
  }

  private positionsLine(line: string): void {
    const t = line.trim();
    if (!t.startsWith('positions:')) throw this.bad(`expected 'positions:' after 'segsites: ${this.sites}', got '${clip(t)}'.`);
    const parts = t.slice('positions:'.length).trim().split(/\s+/).filter((s) => s !== '');
    if (parts.length !== this.sites) {
      throw this.bad(`'positions:' lists ${parts.length} positions but 'segsites:' says ${this.sites}.`);
    }
    const pos = new Float64Array(this.sites);
    for (let i = 0; i < parts.length; i++) {
      const v = Number(parts[i]);
      if (!Number.isFinite(v) || parts[i]!.trim() === '') throw this.bad(`position ${i + 1} is not a number: '${clip(parts[i]!)}'.`);
      pos[i] = v;
    }
    this.positions = pos;
    this.state = 'rows';
    this.rowCount = 0;
    this.rows = [];
    const n = this.expectedSamples();
    // Preallocate only what a plausible file holds: the command line is just text, and a huge
    // (or hostile) sample size must not allocate before any row is read (found by fuzzing).
    this.rowsKnown = n !== null && n * this.sites <= MAX_PREALLOCATED_CELLS ? new Uint8Array(n * this.sites) : null;
  }

  private rowLine(line: string): void {
    const t = line.trimEnd();
    const n = this.expectedSamples();
    if (n === null && (t === '' || t.startsWith('//'))) {
      // Sample size unknown (no command line): a blank line or the next '//' ends the rows.
      if (this.rowCount === 0) throw this.bad(`no haplotype rows after the 'positions:' line.`);
      this.emit();
      if (t.startsWith('//')) this.startReplicate();
      return;
    }
    if (t.length !== this.sites) {
      if (t === '' || t.startsWith('//')) {
        throw this.bad(`the replicate starting at line ${this.repLine} has ${this.rowCount} haplotype rows, but the command line says ${n} chromosomes.`);
      }
      throw this.bad(`haplotype row ${this.rowCount + 1} has ${t.length} characters, but 'segsites:' says ${this.sites}.`);
    }
    let row: Uint8Array;
    if (this.rowsKnown !== null) row = this.rowsKnown.subarray(this.rowCount * this.sites, (this.rowCount + 1) * this.sites);
    else {
      row = new Uint8Array(this.sites);
      this.rows.push(row);
    }
    for (let j = 0; j < t.length; j++) {
      const c = t.charCodeAt(j);
      if (c === 48) continue;
      if (c === 49) row[j] = 1;
      else throw this.bad(`haplotype row ${this.rowCount + 1}, column ${j + 1}: '${t[j]}' is not 0 or 1.`, 'Only biallelic 0/1 (ancestral/derived) rows are supported.');
    }
    this.rowCount++;
    if (n !== null && this.rowCount === n) this.emit();
  }

  private betweenLine(line: string): void {
    const t = line.trim();
    if (t === '') return;
    if (t.startsWith('//')) return this.startReplicate();
    // Some programs print an empty 'positions:' line after 'segsites: 0'.
    if (this.sites === 0 && t === 'positions:') return;
    throw this.bad(`unexpected line after the last haplotype row of the replicate starting at line ${this.repLine}: '${clip(t)}'.`);
  }

  private emit(): void {
    let nSamples: number;
    let haplotypes: Uint8Array;
    if (this.rowsKnown !== null) {
      nSamples = this.rowCount;
      haplotypes = this.rowsKnown;
    } else if (this.sites === 0) {
      nSamples = this.expectedSamples() ?? this.lastSamples ?? 0;
      haplotypes = new Uint8Array(0);
    } else {
      nSamples = this.rowCount;
      haplotypes = new Uint8Array(nSamples * this.sites);
      this.rows.forEach((r, i) => haplotypes.set(r, i * this.sites));
    }
    this.lastSamples = nSamples;
    const rep: MsReplicate = {
      index: this.count,
      line: this.repLine,
      extra: this.extra,
      nSamples,
      nSites: this.sites,
      positions: this.positions,
      haplotypes,
    };
    this.count++;
    this.state = 'between';
    this.rows = [];
    this.rowsKnown = null;
    const more = this.onReplicate(rep);
    if (more === false || this.count >= this.maxReplicates) this.stopped = true;
  }
}

function clip(s: string): string {
  return s.length > 40 ? `${s.slice(0, 40)}...` : s;
}

/**
 * Feeds `input` (text, plain bytes or gzip bytes) to `parser` in pieces, decompressing gzip
 * (single- or multi-member) as a stream.
 */
function feed(input: Uint8Array | string, parser: MsParser, fileName: string): void {
  if (typeof input === 'string') {
    for (let i = 0; i < input.length && !parser.done; i += CHUNK_BYTES) parser.push(input.slice(i, i + CHUNK_BYTES));
    return;
  }
  const decoder = new TextDecoder('utf-8');
  if (!isGzip(input)) {
    for (let i = 0; i < input.length && !parser.done; i += CHUNK_BYTES) {
      parser.push(decoder.decode(input.subarray(i, i + CHUNK_BYTES), { stream: true }));
    }
    if (!parser.done) parser.push(decoder.decode());
    return;
  }
  let produced = 0;
  // Errors of the parser (or of a replicate callback) pass through fflate's push; keep them
  // apart from genuine gzip failures.
  let downstream: { error: unknown } | null = null;
  const gz = new Gunzip((chunk, final) => {
    produced += chunk.length;
    if (parser.done) return;
    try {
      parser.push(decoder.decode(chunk, { stream: !final }));
    } catch (error) {
      downstream = { error };
      throw error;
    }
  });
  try {
    for (let i = 0; i < input.length && !parser.done; i += CHUNK_BYTES) {
      const end = Math.min(input.length, i + CHUNK_BYTES);
      gz.push(input.subarray(i, end), end === input.length);
    }
  } catch (cause) {
    if (downstream !== null) throw (downstream as { error: unknown }).error;
    throw new FileFormatError('FILE_TRUNCATED', `${fileName}: the gzip data is cut short or damaged (${cause instanceof Error ? cause.message : String(cause)}).`, {
      cause,
      hint: 'Check the download or copy; `gzip -t` tests the file.',
      details: { file: fileName },
    });
  }
  if (produced === 0 && !parser.done) {
    throw new FileFormatError('FILE_TRUNCATED', `${fileName}: the gzip data holds no content (cut short after its header?).`, { details: { file: fileName } });
  }
}

/**
 * Reads a whole ms-format file into memory.
 *
 * @param input text, or bytes (plain or gzip)
 * @throws FileFormatError `MS_PARSE` (file:line and what was expected), `FILE_TRUNCATED`,
 *   `FILE_UNRECOGNISED`
 */
export function readMs(input: Uint8Array | string, options: MsReadOptions = {}): MsFile {
  const replicates: MsReplicate[] = [];
  const header = scanMs(input, (rep) => {
    replicates.push(rep);
  }, options);
  return { ...header, replicates };
}

/**
 * Streams the replicates of an ms-format file to `onReplicate` (return false to stop), without
 * keeping them: for files with many replicates. Returns the header.
 */
export function scanMs(input: Uint8Array | string, onReplicate: (rep: MsReplicate, header: MsHeader) => boolean | void, options: MsReadOptions = {}): MsHeader {
  const fileName = options.fileName ?? DEFAULT_NAME;
  const parser: MsParser = new MsParser((rep) => onReplicate(rep, parser.header()), options);
  feed(input, parser, fileName);
  return parser.end();
}
