import h5wasm from 'h5wasm';
import { readFileSync } from 'node:fs';
const M = await h5wasm.ready;
const b = readFileSync(process.argv[2]);
function readAll(g) {
  let n = 0;
  for (const [k,a] of Object.entries(g.attrs)) { a.value; }
  for (const k of g.keys()) { const c = g.get(k); if (c instanceof h5wasm.Group) n += readAll(c); else if (c instanceof h5wasm.Dataset) { const v = c.value; n += v.length ?? 1; } }
  return n;
}
const sizes = [0, 8, 100, 1000, 5000, 20000, Math.floor(b.length/2), b.length - 1000, b.length-1, b.length];
for (const s of sizes) {
  const name = `/t${s}.h5`;
  M.FS.writeFile(name, b.subarray(0, s));
  let f;
  try { f = new h5wasm.File(name, 'r'); console.log(s, 'opened', f.file_id); const n = readAll(f); console.log(s, 'read', n); }
  catch (e) { console.log(s, 'ERR', String(e).slice(0, 200)); }
  finally { try { f?.close(); } catch (e) { console.log('close err', String(e).slice(0,100)); } M.FS.unlink(name); }
}
