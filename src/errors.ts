// Typed errors with stable codes. Every failure a user can cause ends here: the CLI maps the
// class to an exit code in one place (cli/exit.ts) and prints `name: message`.

/** Stable machine-readable error codes. Tests assert on these, never on message text alone. */
export type ErrorCode =
  // files that are not what they claim, or are damaged
  | 'FILE_UNRECOGNISED'
  | 'FILE_TRUNCATED'
  | 'FILE_CORRUPT'
  | 'FILE_NOT_FOUND'
  | 'FILE_EXISTS'
  | 'OUTPUT_NOT_WRITABLE'
  | 'NPY_BAD_HEADER'
  | 'NPY_UNSUPPORTED_DTYPE'
  | 'NPY_PICKLE'
  | 'NPZ_BAD_ENTRY'
  | 'HDF5_CORRUPT'
  | 'HDF5_NOT_KERAS'
  | 'ZIP_CORRUPT'
  | 'ZIP_UNSAFE_PATH'
  | 'ZIP_BOMB'
  | 'KERAS_BAD_CONFIG'
  | 'KERAS_MISSING_WEIGHTS'
  | 'KERAS_WEIGHTS_MISMATCH'
  | 'KERAS_MISSING_FILE'
  | 'MS_PARSE'
  // population-genetics data that does not fit the preprocessing asked for
  | 'POPGEN_NO_TARGET'
  // models that cannot do what was asked
  | 'KERAS_LAMBDA'
  | 'KERAS_UNSUPPORTED_LAYER'
  | 'MODEL_UNSUPPORTED'
  | 'METHOD_UNSUPPORTED'
  // arguments and data that do not fit
  | 'BAD_ARGUMENT'
  | 'SHAPE_MISMATCH'
  | 'LABEL_MISMATCH'
  | 'NON_FINITE_INPUT'
  // limits and control
  | 'LIMIT_EXCEEDED'
  | 'CANCELLED'
  | 'ENGINE_FAILURE';

export interface ErrorOptions {
  /** Lower-level error that caused this one. */
  cause?: unknown;
  /** What the user can do next (appended to the message). */
  hint?: string;
  /** Plain-data details (file, layer, shape...) for machine-readable output. */
  details?: Record<string, unknown>;
}

/** Base class: every error convscope throws on purpose is one of these. */
export class ConvscopeError extends Error {
  override name = 'ConvscopeError';
  readonly code: ErrorCode;
  readonly hint: string | undefined;
  readonly details: Record<string, unknown>;
  constructor(code: ErrorCode, message: string, options: ErrorOptions = {}) {
    super(options.hint !== undefined ? `${message} ${options.hint}` : message, { cause: options.cause });
    this.code = code;
    this.hint = options.hint;
    this.details = options.details ?? {};
  }
}

/** A file is unreadable, damaged, or not the format it appears to be. */
export class FileFormatError extends ConvscopeError {
  override name = 'FileFormatError';
}

/** The model (or a layer of it) cannot do what was asked: Lambda layers, unsupported layers. */
export class UnsupportedError extends ConvscopeError {
  override name = 'UnsupportedError';
}

/** An option, argument or data array does not fit (shapes, labels, values). */
export class ArgumentError extends ConvscopeError {
  override name = 'ArgumentError';
}

/** A configured resource limit (file size, tensor size, depth) would be exceeded. */
export class LimitError extends ConvscopeError {
  override name = 'LimitError';
}

/** Work was cancelled through an AbortSignal. */
export class CancelledError extends ConvscopeError {
  override name = 'CancelledError';
  constructor(message = 'The operation was cancelled.') {
    super('CANCELLED', message);
  }
}

/** Throws CancelledError when the signal has fired. Call between units of work. */
export function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted === true) throw new CancelledError();
}

/** Formats a shape for messages: [null, 28, 28, 1] -> "(None, 28, 28, 1)". */
export function formatShape(shape: readonly (number | null)[]): string {
  return `(${shape.map((d) => (d === null ? 'None' : String(d))).join(', ')}${shape.length === 1 ? ',' : ''})`;
}
