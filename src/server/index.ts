// The dashboard server's public face (Node-only): start it over a model and its data.
export { createServer, DEFAULT_MAX_UPLOAD_BYTES, type ServerOptions, type DashboardServer } from './server.js';
export { Session, openUploads, type ProvenanceBase, type Upload } from './session.js';
export { buildWeb, bundleIsStale, WEB_DIR, DIST_DIR } from './web.js';
