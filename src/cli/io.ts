// What a CLI command may touch: its output streams and working directory, injected so that
// tests run commands in-process and capture everything.

export interface CliIO {
  readonly stdout: NodeJS.WritableStream & { isTTY?: boolean; columns?: number };
  readonly stderr: NodeJS.WritableStream & { isTTY?: boolean; columns?: number };
  readonly cwd: string;
  /** Aborts long work (Ctrl-C). */
  readonly signal?: AbortSignal;
}

/** A CLI command: parses its own argv (after the command name) and returns an exit code. */
export interface Command {
  readonly name: string;
  readonly summary: string;
  readonly usage: string;
  run(argv: readonly string[], io: CliIO): Promise<number>;
}
