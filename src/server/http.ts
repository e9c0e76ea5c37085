// HTTP plumbing of the dashboard server (Node-only): the Host/Origin checks that keep other web
// sites and DNS rebinding out, security headers, JSON responses, the mapping of convscope errors
// to status codes, and request bodies read under a size limit.

import { networkInterfaces } from 'node:os';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { ArgumentError, CancelledError, ConvscopeError, FileFormatError, LimitError, UnsupportedError } from '../errors.js';

/** Headers on every response. */
export const BASE_HEADERS: Readonly<Record<string, string>> = {
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'X-Frame-Options': 'DENY',
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Resource-Policy': 'same-origin',
};

/**
 * Content-Security-Policy of the page: only its own script, no inline script, no plug-ins, no
 * framing; inline styles are allowed because the figures (SVG) carry style attributes.
 */
export const PAGE_CSP =
  "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; " +
  "connect-src 'self'; font-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/** True for names and addresses that only reach this machine. */
export function isLoopback(host: string): boolean {
  const h = host.toLowerCase().replace(/^\[|\]$/g, '');
  return h === 'localhost' || h === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h);
}

/** Host as it appears in a Host header: IPv6 addresses in brackets. */
export function hostForUrl(host: string): string {
  return host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
}

/**
 * The Host header values the server answers to: the loopback names at `port`, plus the bound
 * address when it is not loopback (and every local address when bound to all interfaces).
 */
export function allowedHosts(bindHost: string, port: number): Set<string> {
  const names = new Set(['127.0.0.1', 'localhost', '[::1]']);
  if (!isLoopback(bindHost)) {
    if (bindHost === '0.0.0.0' || bindHost === '::') {
      for (const list of Object.values(networkInterfaces())) for (const a of list ?? []) names.add(hostForUrl(a.address));
    } else names.add(hostForUrl(bindHost));
  }
  return new Set([...names].map((n) => `${n.toLowerCase()}:${port}`));
}

/** A refusal decided before routing: status, a code for the page, and the reason. */
export interface Refusal {
  readonly status: number;
  readonly code: string;
  readonly message: string;
}

/**
 * Checks a request against the served address. Refuses (403) a Host header that is not the served
 * address (DNS rebinding: a foreign name resolving to 127.0.0.1), an Origin that is not the
 * served origin (cross-site requests), and API requests the browser marks as cross-site.
 */
export function checkRequest(req: IncomingMessage, allowed: ReadonlySet<string>, api: boolean): Refusal | null {
  const host = (req.headers.host ?? '').toLowerCase();
  if (!allowed.has(host)) {
    return { status: 403, code: 'FORBIDDEN_HOST', message: `Host '${req.headers.host ?? ''}' is not the address this dashboard serves; requests must use ${[...allowed][0]}.` };
  }
  const origin = req.headers.origin;
  if (origin !== undefined && origin !== 'null' && !allowed.has(origin.toLowerCase().replace(/^http:\/\//, ''))) {
    return { status: 403, code: 'FORBIDDEN_ORIGIN', message: `Requests from ${origin} are refused: only the dashboard page may call its API.` };
  }
  if (origin === 'null' && req.method === 'POST') {
    return { status: 403, code: 'FORBIDDEN_ORIGIN', message: 'Requests from an opaque origin are refused.' };
  }
  const site = req.headers['sec-fetch-site'];
  if (api && site !== undefined && site !== 'same-origin' && site !== 'none') {
    return { status: 403, code: 'FORBIDDEN_ORIGIN', message: `A ${String(site)} request to the API is refused.` };
  }
  return null;
}

/** HTTP status for an error thrown while handling a request. */
export function statusFor(err: unknown): number {
  if (err instanceof CancelledError) return 409;
  if (err instanceof LimitError) return 413;
  if (err instanceof FileFormatError || err instanceof UnsupportedError) return 422;
  if (err instanceof ArgumentError || err instanceof ConvscopeError) return 400;
  return 500;
}

/** The JSON body of an error: the same name, code and message the CLI prints. */
export function errorBody(err: unknown): { error: { name: string; code: string; message: string } } {
  if (err instanceof ConvscopeError) return { error: { name: err.name, code: err.code, message: err.message } };
  const msg = err instanceof Error ? err.message : String(err);
  return { error: { name: 'InternalError', code: 'INTERNAL', message: `${msg} This is a bug in convscope; run with --debug and report it.` } };
}

/** Sends a JSON body (no caching). */
export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { ...BASE_HEADERS, 'Content-Type': 'application/json; charset=utf-8', 'Cache-Control': 'no-store', 'Content-Length': Buffer.byteLength(text) });
  res.end(text);
}

/** Sends an error as JSON with its status. */
export function sendError(res: ServerResponse, err: unknown): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  sendJson(res, statusFor(err), errorBody(err));
}

/** Sends a refusal (403, 404, 405...) as JSON. */
export function sendRefusal(res: ServerResponse, refusal: Refusal, extra: Record<string, string> = {}): void {
  const text = JSON.stringify({ error: { name: 'HttpError', code: refusal.code, message: refusal.message } });
  res.writeHead(refusal.status, { ...BASE_HEADERS, ...extra, 'Content-Type': 'application/json; charset=utf-8', 'Cache-Control': 'no-store', 'Content-Length': Buffer.byteLength(text) });
  res.end(text);
}

/**
 * Reads a request body of at most `limit` bytes. Throws LimitError (413) as soon as the declared
 * or received length passes the limit, without buffering the rest.
 */
export async function readBody(req: IncomingMessage, limit: number): Promise<Uint8Array> {
  const declared = Number(req.headers['content-length'] ?? NaN);
  const tooLarge = (n: number): LimitError =>
    new LimitError('LIMIT_EXCEEDED', `The upload is ${n} bytes, over the dashboard's limit of ${limit} bytes.`, {
      hint: 'Start convscope serve with a larger --max-upload-bytes, or open the file from the command line.',
      details: { size: n, limit },
    });
  if (Number.isFinite(declared) && declared > limit) throw tooLarge(declared);
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of req) {
    const b = chunk as Buffer;
    total += b.length;
    if (total > limit) throw tooLarge(Number.isFinite(declared) ? declared : total);
    chunks.push(b);
  }
  const out = new Uint8Array(total);
  let off = 0;
  for (const c of chunks) {
    out.set(c, off);
    off += c.length;
  }
  return out;
}
