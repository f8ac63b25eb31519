#!/usr/bin/python3
"""Load a tessera ImageServer in headless QGIS (Debian 12: QGIS 3.22) and report.

usage:
  QT_QPA_PLATFORM=offscreen /usr/bin/python3 qgis_check.py <ImageServer URL>
      [--user U --password P | --token T] [--out render.png] [--size 400]

e.g. QT_QPA_PLATFORM=offscreen /usr/bin/python3 clients/qgis_check.py \
        http://127.0.0.1:8080/arcgis/rest/services/Demo/ImageServer --out /tmp/demo.png

Checks two QGIS 3.22 providers against the same URL (NOTES.md §5):
  raster  'arcgismapserver'     url=<ImageServer>, format=png  -> GET ?f=json, then exportImage
  vector  'arcgisfeatureserver' url=<ImageServer>              -> GET ?f=json,
          query?where=1=1&returnIdsOnly=true, query?objectIds=..&outFields=*
Credentials become an 'EsriToken' auth config (header X-Esri-Authorization);
QGIS 3.22 has no token URL parameter for these providers.

Prints one JSON object and exits 0 when both layers are valid, the footprint
layer has features and the render produced non-transparent pixels; else 1.
Use the system interpreter: the qgis module lives in /usr/lib/python3/dist-packages.
"""
import argparse
import json
import os
import shutil
import sys
import tempfile
import urllib.parse
import urllib.request

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

try:
    from qgis.core import (
        QgsApplication,
        QgsAuthMethodConfig,
        QgsDataProvider,
        QgsDataSourceUri,
        QgsMapRendererSequentialJob,
        QgsMapSettings,
        QgsProviderRegistry,
        QgsRasterLayer,
        QgsVectorLayer,
    )
    from qgis.PyQt.QtCore import QSize
    from qgis.PyQt.QtGui import QColor
except ImportError as e:  # pragma: no cover - environment problem
    sys.exit(
        f"cannot import qgis ({e}). Install with\n"
        "  apt-get install -y --no-install-recommends qgis python3-qgis\n"
        "and run with /usr/bin/python3 (not a pyenv/venv interpreter)."
    )


def fetch_json(url, data=None):
    body = urllib.parse.urlencode(data).encode() if data is not None else None
    with urllib.request.urlopen(url, data=body, timeout=30) as r:
        return json.load(r)


def generate_token(image_server_url, user, password):
    """rest/info -> authInfo.tokenServicesUrl -> POST generateToken."""
    root = image_server_url.split("/rest/services/")[0]
    info = fetch_json(f"{root}/rest/info?f=json")
    token_url = (info.get("authInfo") or {}).get("tokenServicesUrl")
    if not token_url:
        raise SystemExit(f"{root}/rest/info has no authInfo.tokenServicesUrl: {info}")
    resp = fetch_json(
        token_url,
        {"username": user, "password": password, "client": "requestip", "expiration": 60, "f": "json"},
    )
    if "token" not in resp:
        raise SystemExit(f"generateToken failed: {resp}")
    return resp["token"]


def esri_token_authcfg(token):
    """Store an 'EsriToken' auth config in a throwaway auth DB; return its id."""
    am = QgsApplication.authManager()
    if not am.masterPasswordIsSet():
        am.setMasterPassword("tessera-qgis-check", True)
    cfg = QgsAuthMethodConfig("EsriToken")
    cfg.setName("tessera")
    cfg.setConfig("token", token)
    ok = am.storeAuthenticationConfig(cfg)
    if isinstance(ok, tuple):  # some bindings return (bool, cfg)
        ok, cfg = ok[0], ok[-1] if isinstance(ok[-1], QgsAuthMethodConfig) else cfg
    if not ok or not cfg.id():
        raise SystemExit("could not store the EsriToken auth config")
    return cfg.id()


def extent_dict(rect):
    return {"xmin": rect.xMinimum(), "ymin": rect.yMinimum(), "xmax": rect.xMaximum(), "ymax": rect.yMaximum()}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("url", help="…/rest/services/<Name>/ImageServer")
    ap.add_argument("--user")
    ap.add_argument("--password")
    ap.add_argument("--token")
    ap.add_argument("--out", help="write the rendered PNG here")
    ap.add_argument("--size", type=int, default=400)
    args = ap.parse_args()
    url = args.url.rstrip("/")
    if not url.endswith("/ImageServer"):
        sys.exit("the URL must end in /ImageServer")

    # Keep QGIS' profile and auth DB out of the user's home.
    profile = tempfile.mkdtemp(prefix="tessera-qgis-")
    os.environ.setdefault("QGIS_AUTH_DB_DIR_PATH", profile)
    # QGIS caches HTTP replies on disk (QNetworkDiskCache under
    # $XDG_CACHE_HOME); a fresh cache per run keeps results honest.
    os.environ["XDG_CACHE_HOME"] = os.path.join(profile, "cache")
    QgsApplication.setPrefixPath("/usr", True)
    app = QgsApplication([], False, profile)
    app.initQgis()

    from qgis.core import Qgis

    report = {"qgis": Qgis.QGIS_VERSION, "url": url}

    token = args.token
    if not token and args.user and args.password:
        token = generate_token(url, args.user, args.password)
    authcfg = esri_token_authcfg(token) if token else ""

    problems = []

    # Raster: ImageServer through the ArcGIS MapServer provider (exportImage).
    # Note: in 3.22 this provider stays "valid" even when <url>?f=json failed
    # (it falls back to an empty extent in EPSG:4326), so check the extent too.
    ruri = QgsDataSourceUri()
    ruri.setParam("url", url)
    ruri.setParam("format", "png")
    if authcfg:
        ruri.setAuthConfigId(authcfg)
    raster = QgsRasterLayer(ruri.uri(False), "tessera-image", "arcgismapserver")
    r = {"provider": "arcgismapserver", "uri": ruri.uri(False), "valid": raster.isValid()}
    if raster.isValid():
        r["crs"] = raster.crs().authid()
        r["extent"] = extent_dict(raster.extent())
    if not raster.isValid() or raster.extent().isEmpty():
        # (reading the provider's error() crashes 3.22 here, so don't)
        problems.append(
            "raster: <url>?f=json unusable (invalid layer or empty extent; "
            "an error body such as 499/498 or a missing extent causes this)"
        )
    else:
        settings = QgsMapSettings()
        settings.setLayers([raster])
        settings.setDestinationCrs(raster.crs())
        settings.setExtent(raster.extent())
        settings.setOutputSize(QSize(args.size, args.size))
        settings.setBackgroundColor(QColor(0, 0, 0, 0))
        job = QgsMapRendererSequentialJob(settings)
        job.start()
        job.waitForFinished()
        img = job.renderedImage()
        errors = [f"{e.layerID}: {e.message}" for e in job.errors()]
        opaque = 0
        step = max(1, args.size // 50)
        for y in range(0, img.height(), step):
            for x in range(0, img.width(), step):
                if QColor(img.pixel(x, y)).alpha() > 0:
                    opaque += 1
        r["render"] = {"width": img.width(), "height": img.height(), "sampled_opaque_pixels": opaque, "errors": errors}
        if args.out:
            img.save(args.out, "PNG")
            r["render"]["file"] = args.out
        if errors:
            problems.append(f"raster: render errors {errors}")
        if opaque == 0:
            problems.append("raster: exportImage produced no visible pixels")
    report["raster"] = r

    # Vector: the same ImageServer as a footprint layer (catalog query).
    vuri = QgsDataSourceUri()
    vuri.setParam("url", url)
    if authcfg:
        vuri.setAuthConfigId(authcfg)
    vector = QgsVectorLayer(vuri.uri(False), "tessera-footprints", "arcgisfeatureserver")
    v = {"provider": "arcgisfeatureserver", "uri": vuri.uri(False), "valid": vector.isValid()}
    if vector.isValid():
        v["crs"] = vector.crs().authid()
        v["extent"] = extent_dict(vector.extent())
        v["feature_count"] = vector.featureCount()
        v["fields"] = [f.name() for f in vector.fields()]
        first = next(iter(vector.getFeatures()), None)
        v["first_feature"] = (
            {"attributes": dict(zip(v["fields"], [a if isinstance(a, (int, float, str)) or a is None else str(a) for a in first.attributes()])),
             "has_geometry": first.hasGeometry()}
            if first is not None
            else None
        )
        if v["feature_count"] <= 0:
            problems.append("vector: query?returnIdsOnly=true returned no objectIds")
        elif first is None or not first.hasGeometry():
            problems.append("vector: query?objectIds=... returned no feature with geometry")
    else:
        # QgsVectorLayer.error() crashes on an invalid arcgisfeatureserver layer
        # in 3.22; ask a bare provider instead.
        prov = QgsProviderRegistry.instance().createProvider(
            "arcgisfeatureserver", vuri.uri(False), QgsDataProvider.ProviderOptions()
        )
        v["error"] = prov.error().summary() if prov is not None else "no provider"
        problems.append(f"vector: invalid layer ({v['error']})")
    report["vector"] = v

    ok = not problems
    report["problems"] = problems
    report["ok"] = ok
    print(json.dumps(report, indent=2, default=str))
    app.exitQgis()
    shutil.rmtree(profile, ignore_errors=True)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
