// Node-only: entry of a training worker thread. Worker threads do not inherit the TypeScript
// loader registered by bin/convscope.js, so register it here, then load the worker module.
import { register } from 'tsx/esm/api';

register();
await import('./train-worker.ts');
