// Browser tests of three web mapping clients against a real tessera, in
// headless Chromium (Debian's /usr/bin/chromium driven by playwright-core),
// with the pages served from another origin than tessera's, as real web
// apps are: they are bundled by build.mjs and served from
// http://localhost:<port>, while tessera answers at http://127.0.0.1:<port>,
// so every call to tessera is a cross-site CORS request.
//
//   - OpenLayers ImageArcGISRest (exportImage) and esri-leaflet
//     imageMapLayer draw the imagery; esri-leaflet's identify() answers the
//     pixel GDAL reads.
//   - @arcgis/core ImageryLayer draws in a MapView (WebGL, SwiftShader); the
//     layer's identify(), getSamples() and computeHistograms() answer what
//     GDAL reads (gdallocationinfo, gdalinfo -hist) from the same pixels.
//   - @arcgis/core geoprocessor.submitJob of DeleteImage from the page: with
//     a token (IdentityManager.registerToken) the item is gone afterwards
//     (the layer's queryRasterCount); without a token a cross-site page may
//     not change anything.
//
// Each check runs in open mode and on a server with --users and a token
// (OpenLayers: ?token= in the exportImage URL; esri-leaflet: the layer's
// token option; @arcgis/core: the IdentityManager). The screenshots'
// pixels, not only the libraries' events, prove the drawing.
// cmd/tessera's TestBrowserClients starts both servers and runs this file:
//
//   TESSERA_OPEN_URL     http://127.0.0.1:<port>/arcgis, open mode, serving Demo (--demo)
//   TESSERA_USERS_URL    http://127.0.0.1:<port>/arcgis, --users, serving Demo
//   TESSERA_PUBLISHER    user:password of a publisher on TESSERA_USERS_URL
//   TESSERA_SCREENSHOTS  optional: a folder for the screenshots
//   CHROMIUM             the browser (default /usr/bin/chromium)
//
// GDAL's command-line tools must be on the PATH.
import assert from 'node:assert/strict';
import {execFileSync} from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import {tmpdir} from 'node:os';
import path from 'node:path';
import {after, before, describe, test} from 'node:test';
import {fileURLToPath} from 'node:url';
import {chromium} from 'playwright-core';
import {cachedBuild} from './build.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const ASSETS = path.join(here, '..', 'node_modules', '@arcgis', 'core', 'assets');
const SHOTS = process.env.TESSERA_SCREENSHOTS || '';
const [PUB, PUB_PASSWORD] = (process.env.TESSERA_PUBLISHER || '').split(':');
const SR = {wkid: 32633};
const T = {timeout: 120_000};
const TYPES = {'.js': 'text/javascript', '.mjs': 'text/javascript', '.html': 'text/html', '.css': 'text/css',
  '.json': 'application/json', '.wasm': 'application/wasm', '.png': 'image/png', '.svg': 'image/svg+xml'};

let out; // the built pages (build.mjs, cached in .cache/)
let server; // serves them
let pages; // http://localhost:<port>
let browser;
let context;
const problems = []; // page errors and requests to other hosts, checked at the end

before(async () => {
  assert.ok(process.env.TESSERA_OPEN_URL && process.env.TESSERA_USERS_URL && PUB, 'environment not set');
  const launched = chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-background-networking', '--disable-component-update', '--disable-sync',
      '--use-angle=swiftshader', '--enable-unsafe-swiftshader', '--ignore-gpu-blocklist'],
  });
  out = await cachedBuild();
  server = http.createServer((req, res) => {
    const p = path.posix.normalize(decodeURIComponent(new URL(req.url, 'http://x').pathname));
    const f = p.startsWith('/assets/') ? path.join(ASSETS, p.slice('/assets/'.length)) : path.join(out, p);
    fs.readFile(f, (err, b) => {
      if (err) {
        res.writeHead(404).end();
        return;
      }
      // Cacheable, so that the second @arcgis/core page loads faster.
      res.writeHead(200, {'Content-Type': TYPES[path.extname(f)] || 'application/octet-stream', 'Cache-Control': 'max-age=3600'});
      res.end(b);
    });
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  pages = `http://localhost:${server.address().port}`;
  browser = await launched;
  context = await browser.newContext({viewport: {width: 512, height: 384}});
});

after(async () => {
  await browser?.close();
  server?.close();
  assert.deepEqual(problems, [], 'page errors or requests to other hosts');
});

// api POSTs to tessera from Node (not a browser: same-site rules do not
// apply) and returns the JSON answer.
async function api(root, p, params = {}, token) {
  const headers = token ? {'X-Esri-Authorization': 'Bearer ' + token} : {};
  const resp = await fetch(root + p, {method: 'POST', body: new URLSearchParams({f: 'json', ...params}), headers});
  return resp.json();
}

// gdalValues returns the band values gdallocationinfo reads at (x, y) in
// the raster's own coordinates.
function gdalValues(file, x, y) {
  const o = execFileSync('gdallocationinfo', ['-valonly', '-geoloc', file, String(x), String(y)], {encoding: 'utf8'});
  return o.trim().split(/\s+/).map(Number);
}

// lonLat converts a point of EPSG:32633 to longitude and latitude.
function lonLat(x, y) {
  const o = execFileSync('gdaltransform', ['-s_srs', 'EPSG:32633', '-t_srs', 'OGC:CRS84', '-output_xy'], {input: `${x} ${y}\n`, encoding: 'utf8'});
  return o.trim().split(/\s+/).map(Number);
}

async function newPage(url) {
  const page = await context.newPage();
  page.on('pageerror', (e) => problems.push(`${url}: page error: ${e.message}`));
  page.on('request', (r) => {
    const u = new URL(r.url());
    if (!['localhost', '127.0.0.1'].includes(u.hostname) && !['data:', 'blob:'].includes(u.protocol)) problems.push('request to another host: ' + u.href);
  });
  await page.goto(url);
  return page;
}

// drawn measures a screenshot of the map: how many pixels are not the
// page's magenta background, and how many distinct colours (quantised to
// 5 bits a channel) there are. The PNG is decoded by the browser.
async function drawn(page, name) {
  const png = await page.locator('#map').screenshot(SHOTS ? {path: path.join(SHOTS, name + '.png')} : {});
  return page.evaluate(async (b64) => {
    const bmp = await createImageBitmap(await (await fetch('data:image/png;base64,' + b64)).blob());
    const c = new OffscreenCanvas(bmp.width, bmp.height);
    const g = c.getContext('2d');
    g.drawImage(bmp, 0, 0);
    const d = g.getImageData(0, 0, bmp.width, bmp.height).data;
    let imagery = 0;
    const colours = new Set();
    for (let i = 0; i < d.length; i += 4) {
      if (!(d[i] > 230 && d[i + 1] < 25 && d[i + 2] > 230)) imagery++;
      colours.add(((d[i] >> 3) << 10) | ((d[i + 1] >> 3) << 5) | (d[i + 2] >> 3));
    }
    return {total: d.length / 4, imagery, colours: colours.size};
  }, png.toString('base64'));
}

// assertDrawn checks that imagery covers most of the map and has the
// demo's variety of colours (fields, forest, water), not a flat fill.
function assertDrawn(m, what) {
  assert.ok(m.imagery / m.total > 0.75, `${what}: imagery covers ${m.imagery} of ${m.total} pixels`);
  assert.ok(m.colours > 200, `${what}: only ${m.colours} colours drawn`);
}

const modes = [
  {name: 'open mode', root: process.env.TESSERA_OPEN_URL},
  {name: '--users with a token', root: process.env.TESSERA_USERS_URL, users: true},
];

for (const mode of modes) {
  describe(`${mode.name}: pages on another origin`, () => {
    const {root} = mode;
    const service = root + '/rest/services/Demo/ImageServer';
    const gp = root + '/rest/services/System/RasterAnalysisTools/GPServer/DeleteImage';
    let token = ''; // a publisher's, with --users
    let nodeToken = '';
    let items; // OBJECTID, Path and extent of every item, by OBJECTID
    let tile; // the first item, where the pixel checks look
    let all; // the extent of all items
    let arcgis; // the @arcgis/core page

    before(async () => {
      if (mode.users) {
        const t = await api(root, '/tokens/generateToken', {username: PUB, password: PUB_PASSWORD});
        assert.ok(t.token, JSON.stringify(t));
        token = nodeToken = t.token;
      }
      const q = await api(root, '/rest/services/Demo/ImageServer/query',
        {where: '1=1', outFields: 'OBJECTID,Path', returnGeometry: 'true', orderByFields: 'OBJECTID'}, nodeToken);
      assert.ok(q.features?.length > 2, JSON.stringify(q).slice(0, 300));
      items = q.features.map((f) => {
        const xs = f.geometry.rings[0].map((p) => p[0]);
        const ys = f.geometry.rings[0].map((p) => p[1]);
        return {id: f.attributes.OBJECTID, path: f.attributes.Path,
          xmin: Math.min(...xs), ymin: Math.min(...ys), xmax: Math.max(...xs), ymax: Math.max(...ys)};
      });
      tile = items[0];
      all = {xmin: Math.min(...items.map((i) => i.xmin)), ymin: Math.min(...items.map((i) => i.ymin)),
        xmax: Math.max(...items.map((i) => i.xmax)), ymax: Math.max(...items.map((i) => i.ymax))};
      assert.ok(tile.path, 'query shows no Path');
    });

    after(async () => {
      await arcgis?.close();
    });

    const tok = () => (token ? '&token=' + encodeURIComponent(token) : '');
    // The maps show 6 km around the centre of the collection, all imagery.
    const centre = () => [(all.xmin + all.xmax) / 2, (all.ymin + all.ymax) / 2];
    const extent = () => [centre()[0] - 3000, centre()[1] - 3000, centre()[0] + 3000, centre()[1] + 3000].join(',');

    test('OpenLayers ImageArcGISRest draws the imagery (exportImage)', T, async () => {
      const page = await newPage(`${pages}/ol.html?url=${encodeURIComponent(service)}&extent=${extent()}${tok()}`);
      const events = await page.evaluate(() => window.appReady);
      assert.ok(events.end >= 1 && events.error === 0, JSON.stringify(events));
      assertDrawn(await drawn(page, `ol-${mode.users ? 'token' : 'open'}`), 'OpenLayers');
      await page.close();
    });

    test('esri-leaflet imageMapLayer draws the imagery and identify() answers the pixel GDAL reads', T, async () => {
      const [lng, lat] = lonLat(...centre());
      const page = await newPage(`${pages}/leaflet.html?url=${encodeURIComponent(service)}&center=${lat},${lng}&zoom=13${tok()}`);
      const events = await page.evaluate(() => window.appReady);
      assert.ok(events.load >= 1 && events.error === 0, JSON.stringify(events));
      assertDrawn(await drawn(page, `leaflet-${mode.users ? 'token' : 'open'}`), 'esri-leaflet');
      // The centre of a pixel, so that both sides' transforms land in it.
      for (const [dx, dy] of [[305, 715], [1875, 1255], [45, 2505]]) {
        const x = tile.xmin + dx, y = tile.ymax - dy;
        const [plng, plat] = lonLat(x, y);
        const r = await page.evaluate(([a, b]) => window.app.identify(a, b).then(({results, response}) =>
          ({value: results.pixel.properties.value, response})), [plat, plng]);
        assert.equal(r.value, gdalValues(tile.path, x, y).join(', '), `identify at ${x},${y}: ${JSON.stringify(r.response)}`);
      }
      await page.close();
    });

    test('@arcgis/core ImageryLayer draws in a MapView (WebGL)', T, async () => {
      const server = encodeURIComponent(root + '/rest/services');
      arcgis = await newPage(`${pages}/arcgis.html?url=${encodeURIComponent(service)}&extent=${extent()}&server=${server}&user=${PUB}${tok()}`);
      const ready = await arcgis.evaluate(() => window.appReady);
      assert.equal(ready.sr, 32633);
      assertDrawn(await drawn(arcgis, `arcgis-${mode.users ? 'token' : 'open'}`), '@arcgis/core MapView');
    });

    test('@arcgis/core layer.identify() answers the pixel GDAL reads', T, async () => {
      assert.ok(arcgis, 'the MapView test did not open the page');
      for (const [dx, dy] of [[523.4, 877.6], [5, 5], [2555, 2555], [1234.5, 2345.5]]) {
        const x = tile.xmin + dx, y = tile.ymax - dy;
        const r = await arcgis.evaluate(async ([x, y, sr]) => {
          const res = await window.app.layer.identify({geometry: new window.app.Point({x, y, spatialReference: sr})});
          return {value: res.value, location: [res.location.x, res.location.y, res.location.spatialReference.wkid]};
        }, [x, y, SR]);
        assert.equal(r.value, gdalValues(tile.path, x, y).join(', '), `identify at ${x},${y}`);
        assert.deepEqual(r.location, [x, y, 32633]);
      }
    });

    test('@arcgis/core layer.getSamples() along a line answers the pixels GDAL reads', T, async () => {
      const line = [[tile.xmin + 5, tile.ymax - 5], [tile.xmax - 5, tile.ymin + 5]];
      const samples = await arcgis.evaluate(async ([paths, sr]) => {
        const res = await window.app.layer.getSamples({
          geometry: new window.app.Polyline({paths: [paths], spatialReference: sr}), sampleCount: 9, returnFirstValueOnly: true});
        return res.samples.map((s) => ({x: s.location.x, y: s.location.y, value: s.pixelValue, resolution: s.resolution}));
      }, [line, SR]);
      assert.equal(samples.length, 9);
      for (const s of samples) {
        assert.deepEqual(s.value, gdalValues(tile.path, s.x, s.y), `sample at ${s.x},${s.y}`);
        assert.equal(s.resolution, 10);
      }
    });

    test('@arcgis/core layer.computeHistograms() equals gdalinfo -hist of the same window', T, async () => {
      const ext = {xmin: tile.xmin + 500, ymin: tile.ymax - 2000, xmax: tile.xmin + 1500, ymax: tile.ymax - 1000};
      const dir = fs.mkdtempSync(path.join(tmpdir(), 'tessera-hist-'));
      try {
        const win = path.join(dir, 'window.tif');
        execFileSync('gdal_translate', ['-q', '-projwin', ext.xmin, ext.ymax, ext.xmax, ext.ymin, tile.path, win].map(String));
        const info = JSON.parse(execFileSync('gdalinfo', ['-json', '-hist', win], {encoding: 'utf8'}));
        const h = await arcgis.evaluate(async ([e, sr]) => {
          const res = await window.app.layer.computeHistograms({
            geometry: new window.app.Extent({...e, spatialReference: sr}), pixelSize: {x: 10, y: 10, spatialReference: sr}});
          return res.histograms.map((b) => ({min: b.min, max: b.max, counts: [...b.counts]}));
        }, [ext, SR]);
        assert.equal(h.length, info.bands.length);
        info.bands.forEach((band, i) => {
          assert.equal(h[i].min, band.histogram.min);
          assert.equal(h[i].max, band.histogram.max);
          assert.deepEqual(h[i].counts, band.histogram.buckets, `band ${i + 1}`);
        });
      } finally {
        fs.rmSync(dir, {recursive: true, force: true});
      }
    });

    // submit runs geoprocessor.submitJob of DeleteImage in the page and
    // waits for the job; it returns the job's status or the error.
    const submit = (where) => arcgis.evaluate(async ([url, where]) => {
      try {
        const job = await window.app.geoprocessor.submitJob(url, {imageCollection: 'Demo', where});
        await job.waitForJobCompletion({interval: 200});
        return {status: job.jobStatus};
      } catch (e) {
        return {error: e.message, code: e.details?.httpStatus ?? e.details?.messageCode, details: JSON.stringify(e.details)};
      }
    }, [gp, where]);
    const count = (where) => arcgis.evaluate((where) => window.app.layer.queryRasterCount({where}), where);

    if (!mode.users) {
      test('@arcgis/core geoprocessor.submitJob of DeleteImage without a token is refused: a page of another site may not change anything', T, async () => {
        const victim = items[items.length - 1].id;
        const r = await submit(`OBJECTID = ${victim}`);
        assert.ok(r.error, `DeleteImage ran without a token: ${JSON.stringify(r)}`);
        assert.match(r.error + r.details, /Cross-site request refused/);
        assert.equal(await count(`OBJECTID = ${victim}`), 1, 'the item is still there (query from the page)');
        const q = await api(root, '/rest/services/Demo/ImageServer/query', {where: `OBJECTID = ${victim}`, returnCountOnly: 'true'});
        assert.equal(q.count, 1);
      });
    } else {
      test('@arcgis/core geoprocessor.submitJob of DeleteImage with the token: the page\'s query shows the item gone', T, async () => {
        const victim = items[items.length - 1].id;
        assert.equal(await count(`OBJECTID = ${victim}`), 1);
        const r = await submit(`OBJECTID = ${victim}`);
        assert.equal(r.status, 'job-succeeded', JSON.stringify(r));
        assert.equal(await count(`OBJECTID = ${victim}`), 0, 'the item is gone (query from the page)');
        assert.equal(await count('1=1'), items.length - 1);
      });

      test('the same submitJob from the page without a token is refused', T, async () => {
        const victim = items[items.length - 2].id;
        const r = await arcgis.evaluate(async ([url, where]) => {
          const resp = await fetch(url + '/submitJob', {method: 'POST', body: new URLSearchParams({f: 'json', imageCollection: 'Demo', where})});
          return resp.json();
        }, [gp, `OBJECTID = ${victim}`]);
        assert.ok(r.error && [401, 403, 499].includes(r.error.code), JSON.stringify(r));
        assert.equal(await count(`OBJECTID = ${victim}`), 1, 'the item is still there');
      });
    }
  });
}
