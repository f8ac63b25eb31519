// build.mjs builds dist/ from src/ with esbuild: one script and one style
// sheet per page, the pages' HTML, the licences of the bundled packages,
// and SOURCE_HASH, the hash of everything the build read (src/, this file,
// package.json and package-lock.json), which the Go test recomputes.
//
// The build is reproducible: the same sources and lockfile give a
// byte-identical dist/ (scripts/test rebuilds and compares).
//
//   npm ci && node build.mjs
import * as esbuild from 'esbuild';
import {createHash} from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import {fileURLToPath} from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const dist = path.join(here, 'dist');

// sourceFiles lists the build's inputs, '/'-separated and sorted (by code
// unit, as Go's sort.Strings does).
export function sourceFiles() {
  const out = ['build.mjs', 'package-lock.json', 'package.json'];
  const walk = (dir) => {
    for (const e of fs.readdirSync(path.join(here, dir), {withFileTypes: true})) {
      const rel = dir + '/' + e.name;
      if (e.isDirectory()) walk(rel);
      else if (e.isFile()) out.push(rel);
    }
  };
  walk('src');
  return out.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

// sourceHash is SHA-256 over "<path>\n<size>\n<bytes>" of every input.
export function sourceHash() {
  const h = createHash('sha256');
  for (const f of sourceFiles()) {
    const b = fs.readFileSync(path.join(here, f));
    h.update(f + '\n' + b.length + '\n');
    h.update(b);
  }
  return h.digest('hex');
}

async function build() {
  fs.rmSync(dist, {recursive: true, force: true});
  fs.mkdirSync(dist);
  const result = await esbuild.build({
    absWorkingDir: here,
    entryPoints: {
      map: 'src/map.js',
      jobs: 'src/jobs.js',
      index: 'src/index.js',
      app: 'src/app.css',
    },
    outdir: 'dist',
    bundle: true,
    minify: true,
    format: 'iife',
    target: ['chrome109', 'firefox115', 'safari16'],
    charset: 'utf8',
    legalComments: 'none',
    sourcemap: false,
    metafile: true,
    logLevel: 'warning',
  });

  for (const f of fs.readdirSync(path.join(here, 'src/html')).sort()) {
    fs.copyFileSync(path.join(here, 'src/html', f), path.join(dist, f));
  }

  // The licences of every package whose code is in the bundle.
  const pkgs = new Set();
  for (const input of Object.keys(result.metafile.inputs)) {
    const m = input.match(/^node_modules\/((?:@[^/]+\/)?[^/]+)\//);
    if (m) pkgs.add(m[1]);
  }
  let licences = 'tessera web map: third-party code in map.js, jobs.js, index.js and app.css\n';
  for (const name of [...pkgs].sort()) {
    const dir = path.join(here, 'node_modules', name);
    const pkg = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8'));
    const file = fs.readdirSync(dir).sort().find((f) => /^licen[cs]e/i.test(f));
    licences += `\n==== ${name} ${pkg.version} (${pkg.license}) ====\n\n`;
    licences += file ? fs.readFileSync(path.join(dir, file), 'utf8').trim() + '\n' : `See ${pkg.homepage || pkg.repository?.url || name}.\n`;
  }
  fs.writeFileSync(path.join(dist, 'LICENSES.txt'), licences);
  fs.writeFileSync(path.join(dist, 'SOURCE_HASH'), sourceHash() + '\n');
}

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  await build();
}
