// Contract tests: GDAL (Debian 12: 3.6.2) command-line tools against a running
// tessera: the ESRIJSON driver on ImageServer/query and the WMS "AGS"
// minidriver on ImageServer/exportImage. See NOTES.md §4.
//
//   TESSERA_URL=http://127.0.0.1:8080/arcgis node --test --test-concurrency=1 gdal.test.mjs
import { describe, it, before } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtemp, writeFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { hasCreds, imageServerUrl, password, preflight, rootUrl, user } from "./lib/tessera.mjs";

const run = promisify(execFile);
const T = { timeout: 120_000 };
const gdalEnv = { ...process.env, GDAL_HTTP_TIMEOUT: "60", CPL_DEBUG: "OFF" };

async function have(tool) {
  try {
    await run(tool, ["--version"]);
    return true;
  } catch {
    return false;
  }
}
const haveGdal = (await have("ogrinfo")) && (await have("gdal_translate")) && (await have("gdalinfo"));

let token = "";

async function fetchJson(url, init) {
  const res = await fetch(url, { signal: AbortSignal.timeout(30_000), ...init });
  const text = await res.text();
  try {
    return JSON.parse(text);
  } catch {
    throw new Error(`${url} answered HTTP ${res.status} with non-JSON: ${text.slice(0, 200)}`);
  }
}

// withToken appends token=<t> to a URL when credentials were given.
const withToken = (url) => (token ? `${url}${url.includes("?") ? "&" : "?"}token=${encodeURIComponent(token)}` : url);

// The query URL the ESRIJSON driver is pointed at. It must contain "f=json"
// (that is how GDAL 3.6 recognises an ESRI JSON service URL) and a stable
// order so resultOffset paging is deterministic.
const queryUrl = (extra = "") =>
  withToken(`${imageServerUrl()}/query?where=1%3D1&outFields=*&orderByFields=OBJECTID+ASC${extra}&f=json`);

async function restCount() {
  const r = await fetchJson(withToken(`${imageServerUrl()}/query?where=1%3D1&returnCountOnly=true&f=json`));
  assert.ok(Number.isInteger(r?.count), `returnCountOnly answered ${JSON.stringify(r)}`);
  return r.count;
}

async function ogrinfo(args) {
  try {
    const { stdout, stderr } = await run("ogrinfo", args, { env: gdalEnv, maxBuffer: 64 << 20 });
    return { stdout, stderr };
  } catch (e) {
    assert.fail(`ogrinfo ${args.join(" ")} failed (exit ${e.code}):\n${e.stderr || e.message}`);
  }
}

describe("GDAL 3.6 clients", { skip: !haveGdal && "GDAL tools not installed (apt-get install -y gdal-bin)" }, () => {
  before(async () => {
    await preflight();
    if (hasCreds) {
      const info = await fetchJson(`${rootUrl}/rest/info?f=json`);
      const tokenUrl = info?.authInfo?.tokenServicesUrl;
      assert.ok(tokenUrl, `rest/info has no authInfo.tokenServicesUrl: ${JSON.stringify(info)}`);
      const g = await fetchJson(tokenUrl, {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded" },
        body: new URLSearchParams({ username: user, password, client: "requestip", expiration: "60", f: "json" }),
      });
      assert.ok(g?.token, `generateToken answered ${JSON.stringify(g)}`);
      token = g.token;
    }
  });

  it("ogrinfo -so reads the footprint table: feature count, geometry, extent", T, async () => {
    const expected = await restCount();
    const { stdout } = await ogrinfo(["-ro", "-so", "-al", queryUrl()]);
    assert.match(stdout, /using driver `ESRIJSON' successful/, stdout);
    assert.match(stdout, /^Geometry: Polygon$/m, `footprints must be esriGeometryPolygon:\n${stdout}`);
    const m = stdout.match(/^Feature Count: (\d+)$/m);
    assert.ok(m, `no Feature Count in:\n${stdout}`);
    assert.equal(Number(m[1]), expected, "GDAL's count (returnCountOnly=true) must match REST");
    assert.match(stdout, /^Extent: \(/m, `no Extent (returnExtentOnly=true&f=geojson -> "bbox":[...]):\n${stdout}`);
  });

  it("ogrinfo reads every feature across pages (resultRecordCount=2 forces resultOffset paging)", T, async () => {
    const expected = await restCount();
    const { stdout } = await ogrinfo(["-ro", "-al", "-geom=NO", queryUrl("&resultRecordCount=2")]);
    const fids = [...stdout.matchAll(/^OGRFeature\(ESRIJSON\):(-?\d+)$/gm)].map((x) => Number(x[1]));
    assert.equal(
      fids.length,
      expected,
      `expected ${expected} features; the server must honour resultRecordCount/resultOffset and ` +
        `send exceededTransferLimit:true while rows remain. Output:\n${stdout.slice(0, 2000)}`,
    );
    assert.equal(new Set(fids).size, fids.length, "paging returned duplicate OBJECTIDs");
  });

  it("gdal_translate renders exportImage through the WMS AGS minidriver", T, async () => {
    const svc = await fetchJson(withToken(`${imageServerUrl()}?f=json`));
    const ext = svc?.extent;
    assert.ok(ext && Number.isFinite(ext.xmin), `ImageServer?f=json has no extent: ${JSON.stringify(svc).slice(0, 300)}`);
    const wkid = ext.spatialReference?.latestWkid ?? ext.spatialReference?.wkid ?? svc.spatialReference?.wkid;
    assert.ok(wkid, "extent.spatialReference.wkid is needed for the WMS SRS");
    const dir = await mkdtemp(join(tmpdir(), "tessera-gdal-"));
    try {
      const xml = agsServiceXml({
        serverUrl: `${imageServerUrl()}/exportImage?${token ? `token=${encodeURIComponent(token)}&` : ""}`,
        srs: `EPSG:${wkid}`,
        ext,
      });
      const xmlPath = join(dir, "tessera-ags.xml");
      const outPath = join(dir, "out.png");
      await writeFile(xmlPath, xml);
      try {
        await run("gdal_translate", ["-q", "-of", "PNG", xmlPath, outPath], { env: gdalEnv });
      } catch (e) {
        assert.fail(`gdal_translate failed (exit ${e.code}):\n${e.stderr || e.message}\nservice XML:\n${xml}`);
      }
      const { stdout } = await run("gdalinfo", ["-json", outPath], { env: gdalEnv });
      const info = JSON.parse(stdout);
      assert.deepEqual(info.size, [512, 512]);
      assert.equal(info.bands.length, 3);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

// agsServiceXml is the WMS service description the tests use (NOTES.md §4.3).
// 512x512 pixels over the service extent, fetched as four 256x256 blocks.
export function agsServiceXml({ serverUrl, srs, ext }) {
  const esc = (s) => s.replaceAll("&", "&amp;").replaceAll("<", "&lt;");
  return `<GDAL_WMS>
  <Service name="AGS">
    <ServerUrl>${esc(serverUrl)}</ServerUrl>
    <BBoxOrder>xyXY</BBoxOrder>
    <SRS>${srs}</SRS>
    <ImageFormat>png</ImageFormat>
  </Service>
  <DataWindow>
    <UpperLeftX>${ext.xmin}</UpperLeftX>
    <UpperLeftY>${ext.ymax}</UpperLeftY>
    <LowerRightX>${ext.xmax}</LowerRightX>
    <LowerRightY>${ext.ymin}</LowerRightY>
    <SizeX>512</SizeX>
    <SizeY>512</SizeY>
  </DataWindow>
  <BandsCount>3</BandsCount>
  <DataType>Byte</DataType>
  <BlockSizeX>256</BlockSizeX>
  <BlockSizeY>256</BlockSizeY>
</GDAL_WMS>
`;
}
