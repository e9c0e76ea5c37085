// A small, strict argument parser for the CLI: declared flags only, typed values, and an
// ArgumentError naming the flag for anything unknown or malformed. No global state.

import { ArgumentError } from '../errors.js';

export type FlagKind = 'string' | 'number' | 'integer' | 'boolean' | 'list';

export interface FlagSpec {
  readonly kind: FlagKind;
  /** One-letter alias without the dash, e.g. 'o'. */
  readonly alias?: string;
  readonly description: string;
  /** For 'list': how many values follow the flag (default 1; repeated flags append). */
  readonly arity?: number;
}

export type FlagSpecs = Readonly<Record<string, FlagSpec>>;

export interface ParsedArgs {
  readonly positionals: string[];
  readonly flags: Map<string, string | number | boolean | string[]>;
}

/** Parses argv against specs. `--flag=value` and `--flag value` are both accepted. */
export function parseArgs(argv: readonly string[], specs: FlagSpecs, command: string): ParsedArgs {
  const positionals: string[] = [];
  const flags = new Map<string, string | number | boolean | string[]>();
  const byAlias = new Map<string, string>();
  for (const [name, spec] of Object.entries(specs)) if (spec.alias !== undefined) byAlias.set(spec.alias, name);
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--') {
      positionals.push(...argv.slice(i + 1));
      break;
    }
    if (!arg.startsWith('-') || arg === '-' || /^-\d/.test(arg)) {
      positionals.push(arg);
      continue;
    }
    let name: string;
    let inline: string | undefined;
    if (arg.startsWith('--')) {
      const eq = arg.indexOf('=');
      name = eq >= 0 ? arg.slice(2, eq) : arg.slice(2);
      inline = eq >= 0 ? arg.slice(eq + 1) : undefined;
    } else {
      const full = byAlias.get(arg.slice(1));
      if (full === undefined) throw unknownFlag(arg, specs, command);
      name = full;
    }
    const spec = specs[name];
    if (spec === undefined) throw unknownFlag(arg, specs, command);
    if (spec.kind === 'boolean') {
      if (inline !== undefined && inline !== 'true' && inline !== 'false') {
        throw new ArgumentError('BAD_ARGUMENT', `--${name} takes no value (got '${inline}').`);
      }
      flags.set(name, inline !== 'false');
      continue;
    }
    const arity = spec.kind === 'list' ? (spec.arity ?? 1) : 1;
    const values: string[] = [];
    if (inline !== undefined) values.push(inline);
    while (values.length < arity) {
      const next = argv[i + 1];
      if (next === undefined || (next.startsWith('--') && next.length > 2)) {
        throw new ArgumentError('BAD_ARGUMENT', `--${name} needs ${arity === 1 ? 'a value' : `${arity} values`}.`, {
          hint: `Usage: ${spec.description}`,
        });
      }
      values.push(next);
      i++;
    }
    if (spec.kind === 'list') {
      const prev = flags.get(name);
      flags.set(name, [...(Array.isArray(prev) ? prev : []), ...values]);
    } else if (spec.kind === 'string') {
      flags.set(name, values[0]!);
    } else {
      const v = Number(values[0]);
      if (values[0]!.trim() === '' || !Number.isFinite(v) || (spec.kind === 'integer' && !Number.isInteger(v))) {
        throw new ArgumentError('BAD_ARGUMENT', `--${name} must be ${spec.kind === 'integer' ? 'an integer' : 'a number'}, got '${values[0]}'.`);
      }
      flags.set(name, v);
    }
  }
  return { positionals, flags };
}

function unknownFlag(arg: string, specs: FlagSpecs, command: string): ArgumentError {
  const known = Object.keys(specs).map((k) => `--${k}`).join(', ');
  return new ArgumentError('BAD_ARGUMENT', `Unknown option '${arg}' for 'convscope ${command}'.`, {
    hint: `Known options: ${known}. Run 'convscope help ${command}'.`,
  });
}

/** Typed accessors with defaults; a wrong kind is a programming error, not a user error. */
export function str(a: ParsedArgs, name: string): string | undefined {
  const v = a.flags.get(name);
  return typeof v === 'string' ? v : undefined;
}
export function num(a: ParsedArgs, name: string): number | undefined {
  const v = a.flags.get(name);
  return typeof v === 'number' ? v : undefined;
}
export function bool(a: ParsedArgs, name: string): boolean {
  return a.flags.get(name) === true;
}
export function list(a: ParsedArgs, name: string): string[] {
  const v = a.flags.get(name);
  return Array.isArray(v) ? v : [];
}

/** Renders the options table for help text. */
export function formatFlags(specs: FlagSpecs): string {
  return Object.entries(specs)
    .map(([name, s]) => {
      // Descriptions may start with the flag's own usage ("--x <x.npy>  inputs"); show it once.
      const usage = s.description.match(/^(-\w, )?--\S+( <[^>]+>| \S+\|\S+| "[^"]*")?\s+/);
      const head = usage !== null ? s.description.slice(0, usage[0].length).trim() : `${s.alias !== undefined ? `-${s.alias}, ` : ''}--${name}`;
      const text = usage !== null ? s.description.slice(usage[0].length) : s.description;
      return `  ${head.padEnd(30)} ${text}`;
    })
    .join('\n');
}
