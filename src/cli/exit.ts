// The one place where errors become exit codes and printed messages.

import { ArgumentError, CancelledError, ConvscopeError, FileFormatError, LimitError, UnsupportedError } from '../errors.js';

export const EXIT = {
  ok: 0,
  /** Unexpected internal failure (a bug: please report). */
  internal: 1,
  /** Bad command-line usage or arguments, data that does not fit the model. */
  usage: 2,
  /** A file is missing, unreadable, damaged or not a supported format. */
  file: 3,
  /** The model or a layer cannot do what was asked (Lambda, unsupported layer). */
  unsupported: 4,
  /** A resource limit would be exceeded. */
  limit: 5,
  /** Cancelled (Ctrl-C). */
  cancelled: 130,
} as const;

/** Exit code for any thrown value. */
export function exitCodeFor(err: unknown): number {
  if (err instanceof CancelledError) return EXIT.cancelled;
  if (err instanceof ArgumentError) return EXIT.usage;
  if (err instanceof FileFormatError) return EXIT.file;
  if (err instanceof UnsupportedError) return EXIT.unsupported;
  if (err instanceof LimitError) return EXIT.limit;
  if (err instanceof ConvscopeError) return EXIT.usage;
  return EXIT.internal;
}

/** `name: message` for our errors; a short note plus the message for anything else. */
export function formatError(err: unknown, debug: boolean): string {
  if (err instanceof ConvscopeError) {
    return debug && err.stack !== undefined ? `${err.stack}\n` : `${err.name} [${err.code}]: ${err.message}\n`;
  }
  const msg = err instanceof Error ? err.message : String(err);
  const stack = err instanceof Error && err.stack !== undefined ? err.stack : msg;
  return debug
    ? `${stack}\n`
    : `InternalError: ${msg}\nThis is a bug in convscope; run again with --debug and report the output.\n`;
}
