// Bundles the booth's browser scripts into src/hramada/booth/static/js/ (npm run build);
// `node scripts/build.mjs DIR [NAME...]` writes them (or only the named ones) to DIR instead.
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const SRC = 'src/hramada/booth/js';
// Output name -> entry module; an entry not written yet is skipped with a warning.
const ENTRIES = {
  booth: `${SRC}/booth.js`,
  admin: `${SRC}/admin.js`,
  board: `${SRC}/board.js`,
  registrar: `${SRC}/registrar.js`, // the registry's enrolment page
  worker: `${SRC}/crypto/worker.js`, // the booth's Web Worker: makes the ballot off the page
};

const [dir, ...names] = process.argv.slice(2);
const outdir = resolve(dir ?? resolve(ROOT, 'src/hramada/booth/static/js'));
const wanted = Object.entries(ENTRIES).filter(([out]) => !names.length || names.includes(out));
const present = [];
for (const [out, path] of wanted) {
  if (existsSync(resolve(ROOT, path))) present.push({ in: path, out });
  else console.warn(`skipping ${path}: not there yet`);
}
await build({
  absWorkingDir: ROOT,
  entryPoints: present,
  bundle: true,
  format: 'esm',
  target: 'es2020',
  outdir,
  minify: true,
  sourcemap: true,
  logLevel: 'info',
});
