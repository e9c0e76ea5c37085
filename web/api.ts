// The page's only link to the server: JSON requests and method runs streamed as NDJSON
// (progress lines, then the result), cancelled by aborting. The page computes nothing itself.

/** An error answered by the server: the CLI's name, code and message. */
export class ApiError extends Error {
  override name = 'ApiError';
  readonly errorName: string;
  readonly code: string;
  readonly status: number;
  constructor(status: number, errorName: string, code: string, message: string) {
    super(message);
    this.status = status;
    this.errorName = errorName;
    this.code = code;
  }
  /** "Name [CODE]: message", as the CLI prints it. */
  get text(): string {
    return `${this.errorName} [${this.code}]: ${this.message}`;
  }
}

/** True for the error an aborted request throws. */
export function isAbort(err: unknown): boolean {
  return err instanceof DOMException && err.name === 'AbortError';
}

async function failure(res: Response): Promise<ApiError> {
  try {
    const body = (await res.json()) as { error?: { name?: string; code?: string; message?: string } };
    const e = body.error ?? {};
    return new ApiError(res.status, e.name ?? 'HttpError', e.code ?? String(res.status), e.message ?? res.statusText);
  } catch {
    return new ApiError(res.status, 'HttpError', String(res.status), res.statusText);
  }
}

/** GET (or POST with a body) returning JSON; throws ApiError on a 4xx/5xx answer. */
export async function requestJson<T>(url: string, init: RequestInit = {}): Promise<T> {
  const res = await fetch(url, { ...init, headers: { Accept: 'application/json', ...(init.headers ?? {}) } });
  if (!res.ok) throw await failure(res);
  return (await res.json()) as T;
}

/** One progress line of a method run. */
export interface Progress {
  readonly type: 'progress';
  readonly done?: number;
  readonly total?: number;
  readonly stage?: string;
  readonly [key: string]: unknown;
}

/** Callbacks of {@link runMethod}. */
export interface RunHandlers {
  /** The server's job number (for stopping a t-SNE early). */
  onStart?(job: number): void;
  onProgress?(p: Progress): void;
}

/**
 * Runs a method: GET /api/run/<name>?params, reading NDJSON lines as they arrive. Resolves with
 * the result's view; throws ApiError for errors, and the abort error when `signal` fires.
 */
export async function runMethod<V>(name: string, params: URLSearchParams, signal: AbortSignal, handlers: RunHandlers = {}): Promise<V> {
  const res = await fetch(`/api/run/${name}?${params.toString()}`, { signal, headers: { Accept: 'application/x-ndjson' } });
  if (!res.ok || res.body === null) throw await failure(res);
  const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (value !== undefined) buffer += value;
    let nl: number;
    while ((nl = buffer.indexOf('\n')) >= 0) {
      const line = buffer.slice(0, nl);
      buffer = buffer.slice(nl + 1);
      if (line.trim() === '') continue;
      const msg = JSON.parse(line) as { type: string; [k: string]: unknown };
      if (msg.type === 'start') handlers.onStart?.(msg['job'] as number);
      else if (msg.type === 'progress') handlers.onProgress?.(msg as Progress);
      else if (msg.type === 'result') return msg['view'] as V;
      else if (msg.type === 'error') {
        const e = (msg['error'] ?? {}) as { name?: string; code?: string; message?: string };
        throw new ApiError((msg['status'] as number | undefined) ?? 500, e.name ?? 'Error', e.code ?? 'ERROR', e.message ?? 'failed');
      }
    }
    if (done) break;
  }
  throw new ApiError(500, 'HttpError', 'INCOMPLETE', 'The server closed the stream before the result.');
}

/** Asks the server to stop a job early and keep what it has (t-SNE). */
export async function stopJob(job: number): Promise<void> {
  await requestJson(`/api/stop?job=${job}`, { method: 'POST' });
}
