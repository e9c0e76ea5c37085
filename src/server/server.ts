// The dashboard's HTTP server (Node-only): serves the built page and a JSON API over one open
// session. Steps of every request:
//   1. check   Host (DNS rebinding), Origin and Sec-Fetch-Site; only GET and POST
//   2. route   the page's files (a fixed list) or /api/...; anything else is a 404
//   3. answer  JSON, PNG, or NDJSON streams for methods (progress lines, then the result),
//              cancelled when the page closes the request

import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join, resolve, dirname } from 'node:path';
import { stat } from 'node:fs/promises';
import { ArgumentError, ConvscopeError } from '../errors.js';
import type { Dataset } from '../methods/dataset.js';
import { describeHead } from '../methods/classes.js';
import { isActivationNode, convNodes, spatialNodes, defaultGradCamLayer } from '../methods/layers.js';
import { defaultFeatureLayer } from '../methods/embed/features.js';
import { toJsonable } from '../methods/provenance.js';
import { inputLayout } from '../methods/inputs.js';
import { writeNpy } from '../io/npy.js';
import { embedPngProvenance, embedSvgProvenance } from '../render/provenance.js';
import { svgToPng } from '../node/png.js';
import { writeFileAtomic } from '../node/files.js';
import type { EngineChoice } from '../node/open.js';
import { VERSION } from '../version.js';
import { BASE_HEADERS, PAGE_CSP, allowedHosts, checkRequest, errorBody, hostForUrl, readBody, sendError, sendJson, sendRefusal, statusFor } from './http.js';
import { inputPng } from './images.js';
import { Query, type AnyMethod, type RunContext } from './method.js';
import { INPUT_METHODS } from './methods-input.js';
import { DATA_METHODS } from './methods-data.js';
import { Session, openUploads, uploadName, type ProvenanceBase, type Upload } from './session.js';
import { buildWeb, loadWebAssets, type WebAsset } from './web.js';

/** Default largest upload from the page: 1 GiB. */
export const DEFAULT_MAX_UPLOAD_BYTES = 1024 ** 3;

/** Options of {@link createServer}. */
export interface ServerOptions {
  /** The model and data to open first. */
  readonly data: Dataset;
  /** Their provenance (files and SHA-256), as the CLI records it. */
  readonly provenance: ProvenanceBase;
  /** Address to listen on. Default '127.0.0.1' (this machine only). */
  readonly host?: string;
  /** Port; 0 picks a free one. Default 0. */
  readonly port?: number;
  /** Folder the page may save outputs into; without it, saving is refused (downloads still work). */
  readonly outDir?: string;
  /** Largest upload from the page, in bytes. Default 1 GiB. */
  readonly maxUploadBytes?: number;
  /** Engine for models opened from the page. Default 'auto'. */
  readonly engine?: EngineChoice;
  /** onnxruntime threads for models opened from the page. Default 2. */
  readonly threads?: number;
  /** Build the page first when web/dist is missing or stale. Default true. */
  readonly build?: boolean;
}

/** A running dashboard. */
export interface DashboardServer {
  /** The page's address, e.g. http://127.0.0.1:8765/. */
  readonly url: string;
  readonly host: string;
  readonly port: number;
  readonly server: Server;
  /** The session now open. */
  session(): Session;
  /** Method runs in progress (for tests and benchmarks). */
  activeJobs(): number;
  /** Stops listening, cancels running work and frees the model. */
  close(): Promise<void>;
}

interface Job {
  readonly id: number;
  readonly controller: AbortController;
  stop: boolean;
}

const METHODS = new Map<string, AnyMethod>([...INPUT_METHODS, ...DATA_METHODS].map((m) => [m.name, m]));
const FORMATS = { svg: 'image/svg+xml', png: 'image/png', json: 'application/json; charset=utf-8', npy: 'application/octet-stream' } as const;
type Format = keyof typeof FORMATS;

/** Starts the dashboard server over a model and its data. */
export async function createServer(options: ServerOptions): Promise<DashboardServer> {
  const { host = '127.0.0.1', port = 0, maxUploadBytes = DEFAULT_MAX_UPLOAD_BYTES, build = true } = options;
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new ArgumentError('BAD_ARGUMENT', `Port must be an integer from 0 to 65535, got ${port}.`);
  if (!(maxUploadBytes > 0)) throw new ArgumentError('BAD_ARGUMENT', `maxUploadBytes must be positive, got ${maxUploadBytes}.`);
  const outDir = options.outDir !== undefined ? resolve(options.outDir) : undefined;
  if (outDir !== undefined) {
    const info = await stat(outDir).catch(() => null);
    if (info === null || !info.isDirectory()) throw new ArgumentError('BAD_ARGUMENT', `Output folder '${outDir}' does not exist or is not a folder.`, { hint: 'Create it first.' });
  }
  if (build) await buildWeb();
  const assets = await loadWebAssets();
  let session = new Session(1, options.data, options.provenance);
  // Start on the predictions now: the page asks for them first, and the browser takes a while.
  session.predictions().catch(() => undefined);
  const jobs = new Map<number, Job>();
  let nextJob = 1;
  let allowed = new Set<string>();

  // ------------------------------------------------------------------------------------------
  // Routes

  function info(s: Session): Record<string, unknown> {
    const m = s.data.model;
    const summary = m.summary();
    const graph = m.graph;
    const spatial = spatialNodes(graph);
    const layout = inputLayout(m);
    const acts = spatial.filter(isActivationNode);
    let feature: string | null = null;
    try {
      feature = defaultFeatureLayer(graph).name;
    } catch {
      feature = null;
    }
    let gradcam: string | null = null;
    try {
      gradcam = defaultGradCamLayer(graph).name;
    } catch {
      gradcam = null;
    }
    return {
      generation: s.generation,
      version: VERSION,
      model: { ...summary, file: s.base.model.file, sha256: s.base.model.sha256, head: { ...summary.head, description: describeHead(m.head) } },
      data: {
        file: s.base.data?.file ?? null,
        n: s.data.size,
        shape: s.data.x.shape,
        labels: s.base.labels?.file ?? null,
        hasLabels: s.data.labels !== null,
        image: { height: layout.height, width: layout.width, channels: layout.channels },
      },
      classNames: s.data.classNames,
      layers: {
        conv: convNodes(graph).map((n) => n.name),
        spatial: spatial.map((n) => ({ name: n.name, className: n.className, activation: isActivationNode(n) })),
        activationDefault: (acts[0] ?? spatial[0])?.name ?? null,
        gradcamDefault: gradcam,
        features: graph.nodes.filter((n) => n.op.type !== 'input').map((n) => n.name),
        featureDefault: feature,
      },
      outDir: outDir ?? null,
      maxUploadBytes,
    };
  }

  async function select(url: URL, res: ServerResponse): Promise<void> {
    const q = new Query(url.searchParams, ['index', 'class', 'seed'], 'select');
    const s = session;
    const index = q.int('index');
    const cls = q.int('class');
    const seed = q.int('seed');
    const selection =
      index !== undefined
        ? await s.data.selectInput({ index, ...(cls !== undefined ? { class: cls } : {}) })
        : await s.data.selectInput({ ...(cls !== undefined ? { class: cls } : {}), seed: seed ?? 0 });
    sendJson(res, 200, { generation: s.generation, selection });
  }

  function inputImage(index: string, url: URL, res: ServerResponse): void {
    const q = new Query(url.searchParams, ['g'], 'input image');
    const s = session;
    const i = Number(index);
    s.data.checkIndex(i);
    const bytes = inputPng(s.image(i));
    const fresh = q.int('g') === s.generation;
    res.writeHead(200, { ...BASE_HEADERS, 'Content-Type': 'image/png', 'Content-Length': bytes.length, 'Cache-Control': fresh ? 'private, max-age=600' : 'no-store' });
    res.end(bytes);
  }

  function startJob(): Job {
    const job: Job = { id: nextJob++, controller: new AbortController(), stop: false };
    jobs.set(job.id, job);
    return job;
  }

  /** Parses a method's query, or throws ArgumentError (400). */
  async function prepare(name: string, url: URL): Promise<{ spec: AnyMethod; params: unknown; key: string; s: Session }> {
    const spec = METHODS.get(name);
    if (spec === undefined) throw new RouteMissing();
    const s = session;
    const params = await spec.parse(new Query(url.searchParams, spec.keys, name), s);
    const d = spec.describe(params);
    return { spec, params, key: `${name} ${JSON.stringify(d.options)} ${String(d.seed)}`, s };
  }

  async function compute(spec: AnyMethod, params: unknown, key: string, context: RunContext): Promise<{ result: unknown; cached: boolean }> {
    const hit = context.session.cached<unknown>(key);
    if (hit !== undefined) return { result: hit, cached: true };
    const result = await spec.run(params, context);
    if (spec.cacheable?.(result) !== false && !context.stopRequested()) context.session.remember(key, result);
    return { result, cached: false };
  }

  async function run(name: string, url: URL, res: ServerResponse): Promise<void> {
    const { spec, params, key, s } = await prepare(name, url);
    res.writeHead(200, { ...BASE_HEADERS, 'Content-Type': 'application/x-ndjson; charset=utf-8', 'Cache-Control': 'no-store' });
    const job = startJob();
    let finished = false;
    const write = (obj: unknown): void => {
      if (!res.writableEnded && !res.destroyed) res.write(`${JSON.stringify(obj)}\n`);
    };
    res.on('close', () => {
      if (!finished) job.controller.abort();
    });
    let last = 0;
    const context: RunContext = {
      session: s,
      signal: job.controller.signal,
      progress(report, force = false) {
        const now = performance.now();
        if (!force && now - last < 100) return;
        last = now;
        write({ type: 'progress', ...report });
      },
      stopRequested: () => job.stop,
    };
    write({ type: 'start', job: job.id, generation: s.generation });
    try {
      const { result, cached } = await compute(spec, params, key, context);
      write({ type: 'result', cached, view: await spec.view(params, result, s) });
    } catch (err) {
      if (!job.controller.signal.aborted) write({ type: 'error', status: statusFor(err), ...errorBody(err) });
    } finally {
      finished = true;
      jobs.delete(job.id);
      res.end();
    }
  }

  /** The bytes of an export: figure (SVG, PNG), numbers (JSON) or the main array (.npy). */
  async function exportBytes(name: string, format: Format, url: URL, res: ServerResponse): Promise<{ bytes: Uint8Array | string; file: string }> {
    const { spec, params, key, s } = await prepare(name, url);
    const controller = new AbortController();
    res.on('close', () => {
      if (!res.writableFinished) controller.abort();
    });
    const context: RunContext = { session: s, signal: controller.signal, progress: () => undefined, stopRequested: () => false };
    const { result } = await compute(spec, params, key, context);
    const d = spec.describe(params, result);
    const provenance = s.provenance(d.method, d.options, d.seed);
    const file = `${d.file}.${format}`;
    if (format === 'svg' || format === 'png') {
      const svg = embedSvgProvenance(await spec.figure(params, result, s), provenance);
      return { bytes: format === 'svg' ? svg : embedPngProvenance(svgToPng(svg), provenance), file };
    }
    if (format === 'json') return { bytes: `${JSON.stringify(toJsonable({ ...spec.numbers(params, result, s), provenance }))}\n`, file };
    const a = spec.array(params, result, s);
    return { bytes: writeNpy({ dtype: 'float32', shape: [...a.shape], data: a.data }), file };
  }

  async function exportRoute(target: string, url: URL, res: ServerResponse): Promise<void> {
    const { name, format } = parseTarget(target);
    const { bytes, file } = await exportBytes(name, format, url, res);
    const body = typeof bytes === 'string' ? Buffer.from(bytes, 'utf8') : bytes;
    res.writeHead(200, {
      ...BASE_HEADERS,
      'Content-Type': FORMATS[format],
      'Content-Length': body.length,
      'Content-Disposition': `attachment; filename="${safeFileName(file)}"`,
      'Cache-Control': 'no-store',
    });
    res.end(body);
  }

  async function saveRoute(target: string, url: URL, res: ServerResponse): Promise<void> {
    if (outDir === undefined) {
      throw new ArgumentError('BAD_ARGUMENT', 'Saving needs an output folder: start convscope serve with --out <folder>.', { hint: 'Or use the download buttons, which save through the browser.' });
    }
    const { name, format } = parseTarget(target);
    const { bytes, file } = await exportBytes(name, format, url, res);
    const stem = safeFileName(file).replace(/\.[a-z]+$/, '');
    for (let k = 1; k < 1000; k++) {
      const path = join(outDir, `${stem}${k === 1 ? '' : `-${k}`}.${format}`);
      if (dirname(path) !== outDir) throw new ArgumentError('BAD_ARGUMENT', `Refusing to write outside ${outDir}.`);
      try {
        await writeFileAtomic(path, bytes);
        sendJson(res, 200, { file: path });
        return;
      } catch (err) {
        if (!(err instanceof ConvscopeError && err.code === 'FILE_EXISTS')) throw err;
      }
    }
    throw new ArgumentError('FILE_EXISTS', `Too many files named ${stem} in ${outDir}.`);
  }

  async function openRoute(url: URL, req: IncomingMessage, res: ServerResponse): Promise<void> {
    const q = new URLSearchParams(url.search);
    for (const k of q.keys()) if (k !== 'f' && k !== 'classes') throw new ArgumentError('BAD_ARGUMENT', `Unknown parameter '${k}' for open.`, { hint: 'It takes: f (role:size:name, repeated), classes.' });
    const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim();
    if (type !== 'application/octet-stream') throw new ArgumentError('BAD_ARGUMENT', `open takes the files as application/octet-stream, got '${type}'.`);
    const specs = q.getAll('f').map((f) => {
      const m = /^(model|x|y):(\d+):(.+)$/s.exec(f);
      if (m === null) throw new ArgumentError('BAD_ARGUMENT', `open: each 'f' must be role:size:name with role model, x or y; got '${f}'.`);
      return { role: m[1] as Upload['role'], size: Number(m[2]), name: uploadName(m[3]!) };
    });
    const body = await readBody(req, maxUploadBytes);
    const declared = specs.reduce((a, f) => a + f.size, 0);
    if (declared !== body.length) throw new ArgumentError('BAD_ARGUMENT', `open: the files declare ${declared} bytes but ${body.length} were sent.`);
    let at = 0;
    const uploads: Upload[] = specs.map((f) => {
      const bytes = body.subarray(at, at + f.size);
      at += f.size;
      return { role: f.role, name: f.name, bytes };
    });
    const classes = q.get('classes');
    const old = session;
    const { data, base } = await openUploads(old, uploads, {
      ...(classes !== null && classes.trim() !== '' ? { classNames: classes.split(',') } : {}),
      ...(options.engine !== undefined ? { engine: options.engine } : {}),
      ...(options.threads !== undefined ? { threads: options.threads } : {}),
    });
    session = new Session(old.generation + 1, data, base);
    session.predictions().catch(() => undefined);
    await retire(old, data.model !== old.data.model);
    sendJson(res, 200, info(session));
  }

  /** Cancels the jobs of an old session and frees its model once they have ended. */
  async function retire(old: Session, disposeModel: boolean): Promise<void> {
    for (const j of jobs.values()) j.controller.abort();
    const until = Date.now() + 5000;
    while (jobs.size > 0 && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
    if (disposeModel) await old.dispose();
  }

  function stopRoute(url: URL, res: ServerResponse): void {
    const q = new Query(url.searchParams, ['job'], 'stop');
    const job = jobs.get(q.requiredInt('job', 1));
    if (job !== undefined) job.stop = true;
    sendJson(res, 200, { stopped: job !== undefined });
  }

  async function api(path: string, url: URL, req: IncomingMessage, res: ServerResponse): Promise<void> {
    const method = req.method!;
    const route = (want: string): void => {
      if (method !== want) throw new WrongMethod(want);
    };
    let m: RegExpExecArray | null;
    if (path === '/api/info') {
      route('GET');
      new Query(url.searchParams, [], 'info');
      sendJson(res, 200, info(session));
    } else if (path === '/api/select') {
      route('GET');
      await select(url, res);
    } else if ((m = /^\/api\/input\/(\d{1,12})\.png$/.exec(path)) !== null) {
      route('GET');
      inputImage(m[1]!, url, res);
    } else if ((m = /^\/api\/run\/([a-z]+)$/.exec(path)) !== null) {
      route('GET');
      await run(m[1]!, url, res);
    } else if ((m = /^\/api\/export\/([a-z]+\.[a-z]+)$/.exec(path)) !== null) {
      route('GET');
      await exportRoute(m[1]!, url, res);
    } else if ((m = /^\/api\/save\/([a-z]+\.[a-z]+)$/.exec(path)) !== null) {
      route('POST');
      await saveRoute(m[1]!, url, res);
    } else if (path === '/api/open') {
      route('POST');
      await openRoute(url, req, res);
    } else if (path === '/api/stop') {
      route('POST');
      stopRoute(url, res);
    } else throw new RouteMissing();
  }

  function page(path: string, req: IncomingMessage, res: ServerResponse): void {
    const asset: WebAsset | undefined = assets.get(path);
    if (asset === undefined) throw new RouteMissing();
    if (req.method !== 'GET') throw new WrongMethod('GET');
    res.writeHead(200, {
      ...BASE_HEADERS,
      'Content-Type': asset.type,
      'Content-Length': asset.bytes.length,
      'Cache-Control': 'no-cache',
      ...(asset.type.startsWith('text/html') ? { 'Content-Security-Policy': PAGE_CSP } : {}),
    });
    res.end(asset.bytes);
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    let url: URL;
    try {
      url = new URL(req.url ?? '/', 'http://localhost');
    } catch {
      sendRefusal(res, { status: 400, code: 'BAD_REQUEST', message: 'Malformed request URL.' });
      return;
    }
    const path = url.pathname;
    const isApi = path.startsWith('/api/');
    // Dot segments ('..', '%2e%2e') are never part of a route: refuse them rather than resolve them.
    const rawPath = (req.url ?? '/').split('?')[0]!;
    const dotted = rawPath.split('/').some((seg) => /^(\.|%2e){1,2}$/i.test(seg));
    const refusal = checkRequest(req, allowed, isApi);
    if (refusal !== null) {
      req.resume();
      sendRefusal(res, refusal);
      return;
    }
    if (req.method !== 'GET' && req.method !== 'POST') {
      req.resume();
      sendRefusal(res, { status: 405, code: 'METHOD_NOT_ALLOWED', message: `Method ${req.method ?? ''} is not allowed; the dashboard answers GET and POST only.` }, { Allow: 'GET, POST' });
      return;
    }
    try {
      if (dotted) throw new RouteMissing();
      if (isApi) await api(path, url, req, res);
      else page(path, req, res);
    } catch (err) {
      req.resume();
      if (err instanceof RouteMissing) sendRefusal(res, { status: 404, code: 'NOT_FOUND', message: `Nothing at ${path}.` });
      else if (err instanceof WrongMethod) sendRefusal(res, { status: 405, code: 'METHOD_NOT_ALLOWED', message: `${path} takes ${err.allowed} requests.` }, { Allow: err.allowed });
      else {
        if (statusFor(err) === 413) res.setHeader('Connection', 'close');
        sendError(res, err);
      }
    }
  }

  // ------------------------------------------------------------------------------------------
  // Listen

  const server = createHttpServer((req, res) => {
    handle(req, res).catch((err: unknown) => sendError(res, err));
  });
  await new Promise<void>((resolveListen, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolveListen();
    });
  }).catch((cause: unknown) => {
    const code = (cause as NodeJS.ErrnoException).code;
    throw new ArgumentError('BAD_ARGUMENT', code === 'EADDRINUSE' ? `Port ${port} on ${host} is already in use.` : `Cannot listen on ${host}:${port} (${code ?? String(cause)}).`, {
      cause,
      hint: code === 'EADDRINUSE' ? 'Choose another --port, or --port 0 for any free port.' : 'Check --host and --port.',
    });
  });
  const bound = (server.address() as AddressInfo).port;
  allowed = allowedHosts(host, bound);
  const shown = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : hostForUrl(host);
  return {
    url: `http://${shown}:${bound}/`,
    host,
    port: bound,
    server,
    session: () => session,
    activeJobs: () => jobs.size,
    async close() {
      for (const j of jobs.values()) j.controller.abort();
      await new Promise<void>((r) => {
        server.close(() => r());
        server.closeAllConnections();
      });
      await session.dispose();
    },
  };
}

class RouteMissing extends Error {}
class WrongMethod extends Error {
  constructor(readonly allowed: string) {
    super(allowed);
  }
}

function parseTarget(target: string): { name: string; format: Format } {
  const [name, format] = target.split('.') as [string, string];
  if (!(format in FORMATS)) throw new ArgumentError('BAD_ARGUMENT', `Unknown export format '${format}'; choose svg, png, json or npy.`);
  if (!METHODS.has(name)) throw new RouteMissing();
  return { name, format: format as Format };
}

/** A file name safe on every system and in a Content-Disposition header. */
function safeFileName(name: string): string {
  return name.replace(/[^A-Za-z0-9._-]+/g, '_').replace(/^\.+/, '_').slice(0, 180);
}
