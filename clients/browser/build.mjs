// build.mjs bundles the browser test pages in src/ with esbuild into a
// folder (an argument; browser.test.mjs uses cachedBuild's folder):
// one script per client, the pages' HTML and Leaflet's style sheet. The
// ArcGIS Maps SDK's assets (workers, WebAssembly, projection data) are
// served from node_modules/@arcgis/core/assets by the test's page server,
// so nothing is fetched from a CDN.
//
//   node build.mjs OUTDIR
import * as esbuild from 'esbuild';
import {createHash} from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import {fileURLToPath} from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));

export async function build(out) {
  fs.mkdirSync(out, {recursive: true});
  await esbuild.build({
    absWorkingDir: here,
    entryPoints: {ol: 'src/ol.js', leaflet: 'src/leaflet.js', arcgis: 'src/arcgis.js'},
    outdir: out,
    bundle: true,
    splitting: true,
    format: 'esm',
    target: ['chrome120'],
    minify: false,
    sourcemap: false,
    logLevel: 'warning',
  });
  for (const f of fs.readdirSync(path.join(here, 'src'))) {
    if (f.endsWith('.html')) fs.copyFileSync(path.join(here, 'src', f), path.join(out, f));
  }
  fs.copyFileSync(path.join(here, '..', 'node_modules', 'leaflet', 'dist', 'leaflet.css'), path.join(out, 'leaflet.css'));
  fs.copyFileSync(path.join(here, '..', 'node_modules', 'ol', 'ol.css'), path.join(out, 'ol.css'));
}

// cachedBuild builds into .cache/<hash of the inputs> unless that folder
// exists, and returns it: reruns skip the bundling (half a minute on a busy
// machine). Only the newest build is kept.
export async function cachedBuild() {
  const h = createHash('sha256');
  const files = ['build.mjs', '../package-lock.json', ...fs.readdirSync(path.join(here, 'src')).sort().map((f) => 'src/' + f)];
  for (const f of files) {
    const b = fs.readFileSync(path.join(here, f));
    h.update(f + '\n' + b.length + '\n');
    h.update(b);
  }
  const cache = path.join(here, '.cache');
  const dir = path.join(cache, h.digest('hex').slice(0, 16));
  if (fs.existsSync(dir)) return dir;
  fs.rmSync(cache, {recursive: true, force: true});
  const tmp = dir + '.' + process.pid;
  await build(tmp);
  fs.renameSync(tmp, dir);
  return dir;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  await build(path.resolve(process.argv[2] || 'dist'));
}
