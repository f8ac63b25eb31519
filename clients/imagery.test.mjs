// Contract tests: the image service pixel operations as the ArcGIS Maps SDK
// (@arcgis/core 5.1.25 rest/imageService) and ArcGIS REST JS 4.10.2 call them,
// against a running tessera serving the demo collection (whatever items the
// job tests left: the locations are taken inside its first item). Every value is
// compared with what GDAL reads from the same source raster
// (gdallocationinfo, gdalinfo -hist), so GDAL's command-line tools must be on
// the PATH.
//
//   TESSERA_URL=http://127.0.0.1:8080/arcgis [TESSERA_USER=.. TESSERA_PASSWORD=..] \
//     node --test --test-concurrency=1 imagery.test.mjs
import { describe, it, before } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import esriConfig from "@arcgis/core/config.js";
import esriRequest from "@arcgis/core/request.js";
import * as imageService from "@arcgis/core/rest/imageService.js";
import Point from "@arcgis/core/geometry/Point.js";
import Polyline from "@arcgis/core/geometry/Polyline.js";
import Extent from "@arcgis/core/geometry/Extent.js";
import { ArcGISIdentityManager, request } from "@esri/arcgis-rest-request";
import { hasCreds, imageServerUrl, password, preflight, rootUrl, user } from "./lib/tessera.mjs";

esriConfig.request.useIdentity = false; // see core.test.mjs

const T = { timeout: 90_000 };
const url = imageServerUrl("Demo");
const sr = { wkid: 32633 };
let token = "";
// tile is the extent of the collection's first item (a 2560 m demo tile on
// a 10 m grid), where every location below lies.
let tile;

// gdalValues returns the band values gdallocationinfo reads at (x, y).
function gdalValues(path, x, y) {
  const out = execFileSync("gdallocationinfo", ["-valonly", "-geoloc", path, String(x), String(y)], {
    encoding: "utf8",
  });
  return out.trim().split(/\s+/).map(Number);
}

describe("@arcgis/core 5.1.25 rest/imageService and REST JS 4.10.2 on the pixel operations", () => {
  before(async () => {
    await preflight();
    if (hasCreds) {
      // As restjs.test.mjs: a server manager reads rest/info and POSTs
      // username/password to its tokenServicesUrl.
      const mgr = new ArcGISIdentityManager({ username: user, password, server: rootUrl });
      await mgr.refreshCredentials();
      token = mgr.token;
      esriConfig.request.interceptors.push({ urlPrefix: `${rootUrl}/rest/services`, query: { token } });
    }
    const { data } = await esriRequest(`${url}/query`, {
      query: { f: "json", where: "1=1", returnGeometry: true, resultRecordCount: 1, orderByFields: "OBJECTID" },
    });
    const ring = data.features?.[0]?.geometry?.rings?.[0];
    assert.ok(ring, `the Demo collection has no items: ${JSON.stringify(data).slice(0, 300)}`);
    const xs = ring.map((p) => p[0]), ys = ring.map((p) => p[1]);
    tile = { xmin: Math.min(...xs), ymin: Math.min(...ys), xmax: Math.max(...xs), ymax: Math.max(...ys) };
  });

  it("identify: value, location and catalog items equal GDAL's pixel", T, async () => {
    const x = tile.xmin + 523.4, y = tile.ymax - 877.6;
    const res = await imageService.identify(url, {
      geometry: new Point({ x, y, spatialReference: sr }),
      returnCatalogItems: true,
    });
    const feats = res.catalogItems?.features ?? [];
    assert.equal(feats.length, 1, `one demo tile holds the point: ${JSON.stringify(res.toJSON?.() ?? res)}`);
    const path = feats[0].attributes.Path;
    const want = gdalValues(path, x, y);
    assert.equal(res.value, want.join(", "));
    assert.deepEqual(res.properties.Values, [want.join(" ")]);
    assert.deepEqual(res.catalogItemVisibilities, [1]);
    assert.equal(res.location.x, x);
    assert.equal(res.location.spatialReference.wkid, 32633);
  });

  it("getSamples along a polyline: every sample equals GDAL's pixel", T, async () => {
    const res = await imageService.getSamples(url, {
      geometry: new Polyline({
        paths: [[[tile.xmin + 5, tile.ymax - 5], [tile.xmax - 5, tile.ymin + 5]]],
        spatialReference: sr,
      }),
      sampleCount: 7,
      returnFirstValueOnly: true,
      outFields: ["Path"],
    });
    assert.equal(res.samples.length, 7);
    for (const s of res.samples) {
      const path = s.attributes?.Path;
      assert.ok(path, `sample without attributes: ${JSON.stringify(s)}`);
      const want = gdalValues(path, s.location.x, s.location.y);
      assert.deepEqual(s.pixelValue, want, `sample ${s.locationId} at ${s.location.x},${s.location.y}`);
      assert.equal(s.resolution, 10);
    }
  });

  it("computeHistograms and computeStatisticsHistograms equal gdalinfo -hist of the same window", T, async () => {
    // A window of 100×100 pixels inside the tile, on its 10 m grid.
    const ext = { xmin: tile.xmin + 500, ymin: tile.ymax - 2000, xmax: tile.xmin + 1500, ymax: tile.ymax - 1000 };
    const id = await imageService.identify(url, {
      geometry: new Point({ x: ext.xmin + 500, y: ext.ymin + 500, spatialReference: sr }),
    });
    const path = id.catalogItems.features[0].attributes.Path;
    const dir = mkdtempSync(join(tmpdir(), "tessera-hist-"));
    try {
      const win = join(dir, "window.tif");
      execFileSync("gdal_translate", ["-q", "-projwin", ext.xmin, ext.ymax, ext.xmax, ext.ymin, path, win].map(String));
      const info = JSON.parse(execFileSync("gdalinfo", ["-json", "-hist", "-stats", win], { encoding: "utf8" }));
      const params = {
        geometry: new Extent({ ...ext, spatialReference: sr }),
        pixelSize: { x: 10, y: 10, spatialReference: sr },
      };
      const h = await imageService.computeHistograms(url, params);
      const both = await imageService.computeStatisticsHistograms(url, params);
      assert.equal(h.histograms.length, info.bands.length);
      info.bands.forEach((band, i) => {
        assert.equal(h.histograms[i].min, band.histogram.min);
        assert.equal(h.histograms[i].max, band.histogram.max);
        assert.deepEqual(h.histograms[i].counts, band.histogram.buckets, `band ${i + 1} histogram`);
        assert.deepEqual(both.histograms[i].counts, band.histogram.buckets);
        const st = both.statistics[i];
        assert.equal(st.min, band.minimum);
        assert.equal(st.max, band.maximum);
        // gdalinfo -json prints the mean to three decimals.
        assert.ok(Math.abs(st.avg - band.mean) <= 0.0005 + 1e-9, `band ${i + 1} mean ${st.avg} vs ${band.mean}`);
        assert.equal(st.count, 100 * 100);
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("the SDK's load requests answer: keyProperties, statistics, histograms", T, async () => {
    for (const op of ["keyProperties", "statistics", "histograms", "legend"]) {
      const { data } = await esriRequest(`${url}/${op}`, { query: { f: "json" } });
      assert.ok(data && !data.error && Object.keys(data).length > 0, `${op}: ${JSON.stringify(data)}`);
    }
    const { data } = await esriRequest(url, { query: { f: "json" } });
    assert.equal(data.hasHistograms, true);
  });

  it("REST JS request() identify answers the pixel GDAL reads", T, async () => {
    const x = tile.xmin + 1234.5, y = tile.ymax - 2345.5;
    const res = await request(`${url}/identify`, {
      httpMethod: "GET",
      params: { geometry: { x, y, spatialReference: sr }, geometryType: "esriGeometryPoint", returnCatalogItems: true, ...(token ? { token } : {}) },
    });
    const path = res.catalogItems.features[0].attributes.Path;
    assert.equal(res.value, gdalValues(path, x, y).join(", "));
  });
});
