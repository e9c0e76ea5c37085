import h5wasm from 'h5wasm';
import { readFileSync } from 'node:fs';
const M = await h5wasm.ready;
const path = process.argv[2];
M.FS.writeFile('/x.h5', readFileSync(path));
const f = new h5wasm.File('/x.h5', 'r');
function walk(g, p, depth) {
  for (const [k,a] of Object.entries(g.attrs)) { let v; try { v = a.value } catch(e) { v = 'ERR '+e }; console.log(' '.repeat(depth*2)+'@'+k, JSON.stringify(a.dtype), JSON.stringify(a.shape), JSON.stringify(v instanceof Object && !(Array.isArray(v)) ? Array.from(v).slice(0,20): v)?.slice(0,300)); }
  for (const k of g.keys()) {
    const c = g.get(k);
    if (c instanceof h5wasm.Group) { console.log(' '.repeat(depth*2)+k+'/'); if (!k.startsWith('optimizer')) walk(c, p+'/'+k, depth+1); }
    else if (c instanceof h5wasm.Dataset) console.log(' '.repeat(depth*2)+k, JSON.stringify(c.dtype), JSON.stringify(c.shape));
    else console.log(' '.repeat(depth*2)+k, c?.constructor?.name);
  }
}
walk(f, '', 0);
f.close();
