// build.mjs bundles the browser test pages in src/ with esbuild into a
// folder (an argument; browser.test.mjs builds into a temporary folder):
// one script per client, the pages' HTML and Leaflet's style sheet. The
// ArcGIS Maps SDK's assets (workers, WebAssembly, projection data) are
// served from node_modules/@arcgis/core/assets by the test's page server,
// so nothing is fetched from a CDN.
//
//   node build.mjs OUTDIR
import * as esbuild from 'esbuild';
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

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  await build(path.resolve(process.argv[2] || 'dist'));
}
