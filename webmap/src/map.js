// map.js: the map page of one ImageServer (map.html?url=/arcgis/rest/services/<name>/ImageServer).
//
// Everything it shows and does goes through the same REST endpoints every
// client uses: exportImage for the mosaic, query (GeoJSON) for footprints,
// identify (falling back to query + thumbnail) for popups, query with
// returnCountOnly/returnIdsOnly for the where preview, and the GPServer's
// DeleteImage, RestoreImage and AddImage jobs for edits.
import OLMap from 'ol/Map.js';
import Overlay from 'ol/Overlay.js';
import View from 'ol/View.js';
import {ScaleLine, Zoom} from 'ol/control.js';
import {noModifierKeys} from 'ol/events/condition.js';
import {buffer, containsExtent, getCenter, getIntersection, isEmpty} from 'ol/extent.js';
import GeoJSON from 'ol/format/GeoJSON.js';
import KeyboardPanInteraction from 'ol/interaction/KeyboardPan.js';
import KeyboardZoomInteraction from 'ol/interaction/KeyboardZoom.js';
import {defaults as defaultInteractions} from 'ol/interaction/defaults.js';
import ImageLayer from 'ol/layer/Image.js';
import VectorLayer from 'ol/layer/Vector.js';
import {bbox as bboxStrategy} from 'ol/loadingstrategy.js';
import ImageArcGISRest from 'ol/source/ImageArcGISRest.js';
import VectorSource from 'ol/source/Vector.js';
import {Fill, Stroke, Style} from 'ol/style.js';

import {initAccount, directoryLink, may} from './account.js';
import {ApiError, ROOT, SERVICES, cancelJob, imageURL, jobErrors, request, runJob, sameOriginPath} from './api.js';
import {$, debounce, h, plural, setContent, statusText} from './dom.js';

// Footprints loaded per map view, at most; zoom in to see the rest.
const MAX_FOOTPRINTS = 5000;
const PAGE = 1000;
// The Web Mercator world, to which query envelopes are clipped.
const WORLD = [-20037508.34, -20048966.1, 20037508.34, 20048966.1];

// Sequential colours (viridis) for numbers and dates; a categorical
// palette for text. Magenta is kept for the highlight.
const RAMP = ['#440154', '#3b528b', '#21918c', '#5ec962', '#fde725'];
const CATEGORIES = ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd', '#8c564b', '#17becf', '#bcbd22'];
const NO_VALUE = '#9a9a9a';
const HIGHLIGHT = '#ff00ff';

const NUMERIC = new Set(['esriFieldTypeOID', 'esriFieldTypeDouble', 'esriFieldTypeSingle', 'esriFieldTypeInteger',
  'esriFieldTypeSmallInteger', 'esriFieldTypeBigInteger']);
const DATE = 'esriFieldTypeDate';

const state = {
  svc: '', // path of the ImageServer
  name: '',
  info: null, // ImageServer JSON
  fields: [],
  colourField: '',
  scale: null, // {kind, min, max, values}
  highlighted: new Set(),
  preview: null, // {where, count}
  previewAbort: null,
  truncated: false, // the last footprint load stopped at MAX_FOOTPRINTS
  extent: null, // of the whole collection, in Web Mercator; null when empty
  map: null,
  popup: null,
  footprintLayer: null,
  highlightLayer: null,
};

// serviceFromURL reads ?url= (an ImageServer URL or path of this server) or
// ?service=<name>.
function serviceFromURL() {
  const q = new URLSearchParams(location.search);
  let path = '';
  if (q.get('service')) {
    path = SERVICES + '/' + encodeURIComponent(q.get('service')) + '/ImageServer';
  } else if (q.get('url')) {
    path = sameOriginPath(q.get('url'));
  }
  path = path.replace(/\/+$/, '');
  const m = path.match(/^\/arcgis\/rest\/services\/([^/]+)\/ImageServer$/);
  if (!m) {
    throw new ApiError(400, 'No image service to show.',
      ['Open this page from a service\'s "View in map" link, or as map.html?url=/arcgis/rest/services/<name>/ImageServer.']);
  }
  return {path, name: decodeURIComponent(m[1])};
}

function showPageError(e) {
  const el = $('page-error');
  el.hidden = false;
  setContent(el, e instanceof ApiError ? e.text : String(e));
}

// --- colours -----------------------------------------------------------

function fieldInfo(name) {
  return state.fields.find((f) => f.name === name);
}

function valueKind(field) {
  if (!field) return 'none';
  if (field.type === DATE) return 'date';
  if (NUMERIC.has(field.type)) return 'number';
  return 'text';
}

// computeScale derives the colour scale of the chosen field from the
// loaded footprints.
function computeScale() {
  const field = fieldInfo(state.colourField);
  const kind = valueKind(field);
  const scale = {kind, min: Infinity, max: -Infinity, values: []};
  const seen = new Map();
  for (const f of footprints.getFeatures()) {
    const v = f.get(state.colourField);
    if (v === null || v === undefined || v === '') continue;
    if (kind === 'text') {
      seen.set(String(v), (seen.get(String(v)) || 0) + 1);
    } else if (Number.isFinite(Number(v))) {
      scale.min = Math.min(scale.min, Number(v));
      scale.max = Math.max(scale.max, Number(v));
    }
  }
  if (kind === 'text') {
    scale.values = [...seen.entries()].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).map((e) => e[0])
      .slice(0, CATEGORIES.length);
  }
  state.scale = scale;
  styleCache.clear();
  drawLegend();
}

function colourOf(v) {
  const s = state.scale;
  if (!s || v === null || v === undefined || v === '') return NO_VALUE;
  if (s.kind === 'text') {
    const i = s.values.indexOf(String(v));
    return i < 0 ? NO_VALUE : CATEGORIES[i];
  }
  const n = Number(v);
  if (!Number.isFinite(n) || !(s.max >= s.min)) return NO_VALUE;
  if (s.max === s.min) return RAMP[RAMP.length - 1];
  const i = Math.min(RAMP.length - 1, Math.floor(((n - s.min) / (s.max - s.min)) * RAMP.length));
  return RAMP[i];
}

function fmtValue(v, kind) {
  if (v === null || v === undefined || v === '') return '';
  if (kind === 'date') {
    const d = new Date(Number(v));
    return isNaN(d) ? String(v) : d.toISOString().slice(0, 10);
  }
  if (kind === 'number') {
    const n = Number(v);
    return Math.abs(n) >= 1000 || Number.isInteger(n) ? Math.round(n).toLocaleString('en') : n.toFixed(1);
  }
  return String(v);
}

function drawLegend() {
  const s = state.scale;
  const items = [];
  const swatch = (c) => h('span', {class: 'swatch', style: 'background:' + c, 'aria-hidden': 'true'});
  if (s && s.kind === 'text') {
    s.values.forEach((v, i) => items.push(h('li', {}, swatch(CATEGORIES[i]), v)));
    items.push(h('li', {}, swatch(NO_VALUE), 'other or no value'));
  } else if (s && s.max >= s.min) {
    const step = (s.max - s.min) / RAMP.length;
    RAMP.forEach((c, i) => {
      const lo = s.min + i * step;
      const hi = i === RAMP.length - 1 ? s.max : s.min + (i + 1) * step;
      items.push(h('li', {}, swatch(c), fmtValue(lo, s.kind) + ' – ' + fmtValue(hi, s.kind)));
    });
    items.push(h('li', {}, swatch(NO_VALUE), 'no value'));
  } else {
    items.push(h('li', {}, swatch(NO_VALUE), 'no values in view'));
  }
  items.push(h('li', {}, h('span', {class: 'swatch highlight', 'aria-hidden': 'true'}), 'selected by the where clause'));
  setContent($('legend'), items);
}

const styleCache = new Map();

function footprintStyle(f) {
  const c = colourOf(f.get(state.colourField));
  let st = styleCache.get(c);
  if (!st) {
    st = new Style({stroke: new Stroke({color: c, width: 2}), fill: new Fill({color: c + '1a'})});
    styleCache.set(c, st);
  }
  return st;
}

const highlightStyle = new Style({
  stroke: new Stroke({color: HIGHLIGHT, width: 3}),
  fill: new Fill({color: 'rgba(255, 0, 255, 0.25)'}),
});

// --- layers ------------------------------------------------------------

const geojson = new GeoJSON({dataProjection: 'EPSG:3857', featureProjection: 'EPSG:3857'});

function clip(extent) {
  return [Math.max(extent[0], WORLD[0]), Math.max(extent[1], WORLD[1]), Math.min(extent[2], WORLD[2]), Math.min(extent[3], WORLD[3])];
}

// envelope returns the query parameters that select items in a map
// extent: none when the extent holds the whole collection, null when it
// misses it. Envelopes stay within the collection's extent, so the server
// never projects a world-sized box into the collection's own projection.
function envelope(extent) {
  const all = state.extent;
  if (!all) return null; // an empty collection
  let e = clip(extent);
  if (containsExtent(e, all)) return {};
  e = getIntersection(e, buffer(all, Math.max(1, (all[2] - all[0] + all[3] - all[1]) * 0.01)));
  if (isEmpty(e)) return null;
  return {geometry: e.join(','), geometryType: 'esriGeometryEnvelope', inSR: 3857, spatialRel: 'esriSpatialRelIntersects'};
}

// loadExtent reads the extent (Web Mercator) of the items that where
// selects, or null when none does.
async function loadExtent(where = '1=1') {
  const res = await request(state.svc + '/query', {where, returnExtentOnly: true, returnCountOnly: true, outSR: 3857});
  const e = res.extent;
  if (!res.count || !e || !Number.isFinite(e.xmin)) return null;
  return [e.xmin, e.ymin, e.xmax, e.ymax];
}

const footprints = new VectorSource({
  strategy: bboxStrategy,
  loader: async (extent, resolution, projection, success, failure) => {
    try {
      const loaded = [];
      let more = true;
      const where = envelope(extent);
      if (!where) more = false;
      for (let offset = 0; more && offset < MAX_FOOTPRINTS; offset += PAGE) {
        const page = await request(state.svc + '/query', {
          where: '1=1', ...where, outFields: '*', returnGeometry: true, outSR: 3857,
          orderByFields: 'OBJECTID', resultOffset: offset, resultRecordCount: PAGE, f: 'geojson'});
        const feats = geojson.readFeatures(page);
        loaded.push(...feats);
        more = !!page.exceededTransferLimit;
      }
      state.truncated = more;
      footprints.addFeatures(loaded);
      success(loaded);
      computeScale();
      layerStatus();
    } catch (e) {
      footprints.removeLoadedExtent(extent);
      failure();
      layerStatus('Footprints: ' + (e.text || e.message));
    }
  },
});

function layerStatus(problem) {
  const n = footprints.getFeatures().length;
  let text = plural(n, 'footprint') + ' loaded.';
  if (state.truncated) text += ` At most ${MAX_FOOTPRINTS.toLocaleString('en')} per view: zoom in to see them all.`;
  if (problem) text = problem;
  $('layer-status').textContent = text;
  $('layer-status').classList.toggle('error', !!problem);
}

let imageryProblem = '';

const imagery = new ImageArcGISRest({
  ratio: 1,
  params: {format: 'png32', transparent: true},
  imageLoadFunction: (image, src) => {
    const img = image.getImage();
    imageURL(src).then((u) => {
      img.addEventListener('load', () => URL.revokeObjectURL(u), {once: true});
      img.src = u;
      if (imageryProblem) {
        imageryProblem = '';
        layerStatus();
      }
    }).catch((e) => {
      imageryProblem = 'Imagery: ' + (e.text || e.message);
      layerStatus(imageryProblem);
      img.src = 'data:,';
    });
  },
});

async function refreshLayers() {
  state.extent = await loadExtent().catch(() => state.extent);
  footprints.refresh();
  imagery.refresh();
}

// --- the map -----------------------------------------------------------

function buildMap() {
  const mapEl = $('map');
  const onMap = (e) => e.originalEvent.target === mapEl && noModifierKeys(e);
  const imageryLayer = new ImageLayer({className: 'imagery-layer', source: imagery});
  const footprintLayer = new VectorLayer({className: 'footprints-layer', source: footprints, style: footprintStyle});
  const highlightLayer = new VectorLayer({
    className: 'highlight-layer', source: footprints,
    style: (f) => (state.highlighted.has(f.getId()) ? highlightStyle : null),
  });
  const popup = new Overlay({element: $('popup'), autoPan: {animation: {duration: 150}}, positioning: 'bottom-center', offset: [0, -8]});
  const map = new OLMap({
    target: mapEl,
    layers: [imageryLayer, footprintLayer, highlightLayer],
    overlays: [popup],
    controls: [new Zoom(), new ScaleLine({units: 'metric', bar: true, steps: 4, text: true, minWidth: 120})],
    interactions: defaultInteractions({keyboard: false, onFocusOnly: false}),
    view: new View({center: [0, 0], zoom: 2, maxZoom: 22}),
  });
  // Keyboard pan and zoom only while the map itself has focus, so keys in
  // the popup or the zoom buttons do what they usually do.
  map.addInteraction(new KeyboardPanInteraction({condition: onMap}));
  map.addInteraction(new KeyboardZoomInteraction({condition: onMap}));
  $('show-imagery').addEventListener('change', (e) => imageryLayer.setVisible(e.target.checked));
  $('show-footprints').addEventListener('change', (e) => {
    footprintLayer.setVisible(e.target.checked);
    highlightLayer.setVisible(e.target.checked);
  });
  state.map = map;
  state.highlightLayer = highlightLayer;
  state.footprintLayer = footprintLayer;
  state.popup = popup;

  // aria-busy tells assistive technology (and the browser tests) when
  // the map is still loading imagery or footprints.
  mapEl.setAttribute('aria-busy', 'true');
  map.on('loadstart', () => mapEl.setAttribute('aria-busy', 'true'));
  map.on('loadend', () => mapEl.setAttribute('aria-busy', 'false'));
  map.on('singleclick', (e) => identify(e.coordinate, e.pixel));
  mapEl.addEventListener('keydown', (e) => {
    if (e.key === 'Enter' && e.target === mapEl) {
      e.preventDefault();
      const c = map.getView().getCenter();
      identify(c, map.getPixelFromCoordinate(c));
    }
  });
  map.on('moveend', debounce(() => highlightView(), 150));
  return map;
}

async function zoomToCollection(where = '1=1') {
  const ext = await loadExtent(where);
  if (!ext) return false;
  if (where === '1=1') state.extent = ext;
  if (ext[0] === ext[2] && ext[1] === ext[3]) {
    state.map.getView().setCenter(getCenter(ext));
    return true;
  }
  state.map.getView().fit(ext, {padding: [30, 30, 30, 30], maxZoom: 18, duration: 0});
  return true;
}

// --- popup: identify, or query + thumbnail -------------------------------

let popupReturnFocus = null;

function closePopup() {
  state.popup.setPosition(undefined);
  $('popup').hidden = true;
  if (popupReturnFocus) popupReturnFocus.focus();
  popupReturnFocus = null;
}

// identify asks the ImageServer's identify for the pixel value and the
// catalog items at a point (ArcGIS REST shape). A server without identify
// answers with an error, and then the popup reads the clicked footprints'
// attributes with query and shows their thumbnails.
async function identify(coord, pixel) {
  const hits = state.map.getFeaturesAtPixel(pixel, {layerFilter: (l) => l === state.footprintLayer, hitTolerance: 2})
    .map((f) => f.getId()).filter((id) => id !== undefined);
  popupReturnFocus = document.activeElement instanceof HTMLElement ? document.activeElement : $('map');
  const content = $('popup-content');
  setContent(content, h('p', {}, 'Loading…'));
  $('popup').hidden = false;
  state.popup.setPosition(coord);
  let items = [];
  let pixelValue = null;
  try {
    const res = await request(state.svc + '/identify', {
      geometry: {x: coord[0], y: coord[1], spatialReference: {wkid: 3857}}, geometryType: 'esriGeometryPoint',
      returnGeometry: false, returnCatalogItems: true, returnPixelValues: true});
    pixelValue = res.value !== undefined ? {name: res.name, value: res.value} : null;
    const feats = (res.catalogItems && res.catalogItems.features) || [];
    const vis = res.catalogItemVisibilities || [];
    items = feats.map((f, i) => ({attributes: f.attributes || {}, visible: vis[i]}));
  } catch (e) {
    if (!(e instanceof ApiError)) throw e;
    // No identify (404, or any other error): query the clicked footprints.
    if (hits.length) {
      try {
        const res = await request(state.svc + '/query', {objectIds: hits.join(','), outFields: '*', returnGeometry: false});
        items = (res.features || []).map((f) => ({attributes: f.attributes || {}}));
      } catch (e2) {
        $('popup-title').textContent = 'Items here';
        setContent(content, h('p', {class: 'error'}, e2.text || e2.message));
        $('popup').focus();
        return;
      }
    }
  }
  drawPopup(items, pixelValue);
}

function drawPopup(items, pixelValue) {
  const content = $('popup-content');
  $('popup-title').textContent = items.length ? plural(items.length, 'item') + ' here' : 'No items here';
  const parts = [];
  if (pixelValue && pixelValue.value !== '' && pixelValue.value !== 'NoData') {
    parts.push(h('p', {class: 'pixel'}, 'Pixel value: ', h('b', {}, String(pixelValue.value))));
  }
  for (const it of items.slice(0, 5)) {
    // identify may name attributes in another letter case (ArcGIS answers
    // objectid, cloudcover…): look them up case-insensitively.
    const a = {};
    for (const [k, v] of Object.entries(it.attributes)) a[k.toLowerCase()] = v;
    const oid = a.objectid;
    const rows = [];
    // The fields people look for first, then the rest in catalog order.
    const first = ['OBJECTID', 'Name', state.colourField, 'AcquisitionDate', 'CloudCover', 'SensorName', 'ProductName'];
    const fields = [...state.fields].sort((x, y) => rank(first, x.name) - rank(first, y.name));
    for (const f of fields) {
      if (f.type === 'esriFieldTypeGeometry' || !(f.name.toLowerCase() in a)) continue;
      const kind = valueKind(f);
      const v = a[f.name.toLowerCase()];
      rows.push(h('tr', {}, h('th', {scope: 'row'}, f.alias || f.name), h('td', {}, kind === 'date' ? fmtDate(v) : fmtCell(v))));
    }
    const img = h('img', {class: 'thumb', alt: 'Thumbnail of ' + (a.name || 'item ' + oid), width: 128, height: 128});
    const section = h('section', {class: 'item'},
      h('h3', {}, (a.name || 'Item') + ' (OBJECTID ' + oid + ')'),
      img,
      h('table', {class: 'attrs'}, h('tbody', {}, rows)));
    parts.push(section);
    imageURL(state.svc + '/' + encodeURIComponent(oid) + '/thumbnail').then((u) => {
      img.addEventListener('load', () => URL.revokeObjectURL(u), {once: true});
      img.src = u;
    }).catch((e) => {
      img.replaceWith(h('p', {class: 'help'}, 'No thumbnail: ' + (e.text || e.message)));
    });
  }
  if (items.length > 5) parts.push(h('p', {class: 'help'}, `and ${items.length - 5} more; zoom in to tell them apart.`));
  setContent(content, parts);
  state.popup.panIntoView?.();
  $('popup').focus();
}

function rank(list, name) {
  const i = list.indexOf(name);
  return i < 0 ? list.length : i;
}

function fmtDate(v) {
  if (v === null || v === undefined || v === '') return '';
  const d = new Date(Number(v));
  return isNaN(d) ? String(v) : d.toISOString().replace('T', ' ').replace(/:00\.000Z$|\.000Z$/, 'Z').replace(' 00:00Z', '');
}

function fmtCell(v) {
  if (v === null || v === undefined) return '';
  if (typeof v === 'number' && !Number.isInteger(v)) return String(Math.round(v * 1e6) / 1e6);
  return String(v);
}

// --- where preview -------------------------------------------------------

function setPreview(p) {
  state.preview = p;
  const btn = $('delete-button');
  if (p && p.count > 0) {
    btn.disabled = false;
    btn.textContent = 'Delete ' + plural(p.count, 'item');
  } else {
    btn.disabled = true;
    btn.textContent = 'Delete items';
  }
}

// caretLine draws the clause with a caret under the column an error
// names ("… at 1:14").
function caretLines(where, details) {
  const m = details.join(' ').match(/at (\d+):(\d+)\s*$/) || details.join(' ').match(/at (\d+):(\d+)/);
  if (!m) return null;
  const line = where.split('\n')[Number(m[1]) - 1];
  if (line === undefined) return null;
  const col = Math.max(1, Number(m[2]));
  return h('pre', {class: 'where-text caret', 'aria-hidden': 'true'}, line + '\n' + ' '.repeat(col - 1) + '^');
}

async function preview() {
  const input = $('where');
  const where = input.value.trim();
  state.previewAbort?.abort();
  const status = $('where-status');
  if (!where) {
    state.previewAbort = null;
    input.removeAttribute('aria-invalid');
    status.className = 'where-status';
    setContent(status);
    setPreview(null);
    setHighlight([]);
    return;
  }
  const ctl = new AbortController();
  state.previewAbort = ctl;
  status.className = 'where-status busy';
  setContent(status, 'Counting…');
  try {
    const res = await request(state.svc + '/query', {where, returnCountOnly: true}, {signal: ctl.signal});
    if (ctl.signal.aborted) return;
    input.removeAttribute('aria-invalid');
    status.className = 'where-status ok';
    setContent(status, h('span', {id: 'where-count'}, res.count === 0 ? 'No items match.' : plural(res.count, 'item') + ' match.'));
    setPreview({where, count: res.count});
    await highlightView(ctl.signal);
  } catch (e) {
    if (e.name === 'AbortError' || ctl.signal.aborted) return;
    input.setAttribute('aria-invalid', 'true');
    status.className = 'where-status error';
    const details = e.details || [];
    setContent(status,
      h('span', {id: 'where-error'}, h('b', {}, e.message), details.length ? ' ' + details.join(' ') : ''),
      e.code === 400 ? caretLines(input.value.trim(), details) : null);
    setPreview(null);
    setHighlight([]);
  }
}

function setHighlight(ids) {
  state.highlighted = new Set(ids);
  state.highlightLayer?.changed();
}

// highlightView highlights the footprints in view that the previewed
// clause selects (returnIdsOnly over the view's envelope).
async function highlightView(signal) {
  const p = state.preview;
  if (!p || !state.map) return;
  if (p.count === 0) {
    setHighlight([]);
    return;
  }
  const env = envelope(state.map.getView().calculateExtent(state.map.getSize()));
  if (!env) {
    setHighlight([]);
    return;
  }
  try {
    const res = await request(state.svc + '/query', {where: p.where, ...env, returnIdsOnly: true}, {signal});
    if (state.preview === p) setHighlight(res.objectIds || []);
  } catch (e) {
    if (e.name !== 'AbortError') setHighlight([]);
  }
}

// --- delete and undo ---------------------------------------------------

function serviceURL() {
  return location.origin + state.svc;
}

function jobLine(job, verb) {
  const pct = job.progress ? ` ${job.progress.percentage}%` : '';
  return `${verb}: ${statusText(job.jobStatus)}${pct} (job ${job.jobId})`;
}

// Deletes of at most this many items are pinned to the previewed
// OBJECTIDs (DeleteImage's objectIds, ANDed with the where clause), so
// that an item added or changed after the preview is never removed.
// DeleteImage takes up to 100,000 IDs.
const MAX_PINNED = 100000;

async function confirmDelete() {
  let p = state.preview;
  if (!p || !p.count) return;
  const box = $('delete-status');
  let ids = null;
  if (p.count <= MAX_PINNED) {
    try {
      ids = (await request(state.svc + '/query', {where: p.where, returnIdsOnly: true})).objectIds || [];
    } catch (e) {
      setContent(box, h('p', {class: 'error'}, e.text || e.message));
      return;
    }
    if (ids.length !== p.count) {
      // The catalog changed since the preview: show the new count first.
      p = {where: p.where, count: ids.length};
      setPreview(p);
      setContent($('where-status'), h('span', {id: 'where-count'},
        p.count === 0 ? 'No items match.' : plural(p.count, 'item') + ' match.'));
      if (!p.count) return;
    }
  }
  const dlg = $('confirm-delete');
  const n = plural(p.count, 'item');
  $('confirm-title').textContent = `Delete ${n} from ${state.name}?`;
  $('confirm-text').textContent = ids ?
    `DeleteImage will remove these ${n} from the collection ${state.name}: the items now matching` :
    `DeleteImage will remove the items of the collection ${state.name} that match (${n} now; more than ` +
    `${MAX_PINNED.toLocaleString('en')}, so the clause runs as it stands when the job runs):`;
  $('confirm-where').textContent = p.where;
  $('confirm-yes').textContent = `Delete ${n}`;
  dlg.returnValue = '';
  dlg.showModal();
  $('confirm-no').focus();
  const choice = await new Promise((resolve) => dlg.addEventListener('close', () => resolve(dlg.returnValue), {once: true}));
  if (choice !== 'delete') {
    $('delete-button').focus();
    return;
  }
  await runDelete(p, ids);
}

async function runDelete(p, ids) {
  const box = $('delete-status');
  const btn = $('delete-button');
  btn.disabled = true;
  setContent(box, 'Submitting DeleteImage…');
  const params = {imageCollection: {url: serviceURL()}, where: p.where};
  if (ids) params.objectIds = ids.join(',');
  try {
    const job = await runJob('DeleteImage', params, (j) => {
      box.dataset.job = j.jobId;
      setContent(box, jobLine(j, 'Deleting'));
    });
    if (job.jobStatus !== 'esriJobSucceeded') {
      setContent(box, h('p', {class: 'error'}, `DeleteImage ${statusText(job.jobStatus).toLowerCase()}: `, jobErrors(job).join(' ')));
      return;
    }
    const removed = job.result && job.result.removed !== undefined ? job.result.removed : p.count;
    const undo = h('button', {type: 'button', id: 'undo-button'}, 'Undo');
    const differs = removed !== p.count ? ` (of the ${p.count} counted; the others changed or went meanwhile)` : '';
    setContent(box, h('p', {id: 'delete-done'}, `Deleted ${plural(removed, 'item')} from ${state.name}${differs}. `,
      'They are in the recycle bin. '), undo);
    undo.addEventListener('click', () => runUndo(job.jobId, undo));
    undo.focus();
    refreshLayers();
    preview();
  } catch (e) {
    setContent(box, h('p', {class: 'error'}, 'DeleteImage: ' + (e.text || e.message)));
  } finally {
    btn.disabled = !(state.preview && state.preview.count > 0);
  }
}

async function runUndo(deleteJob, button) {
  const box = $('delete-status');
  button.disabled = true;
  try {
    const job = await runJob('RestoreImage', {imageCollection: {url: serviceURL()}, jobId: deleteJob},
      (j) => setContent(box, jobLine(j, 'Restoring')));
    if (job.jobStatus !== 'esriJobSucceeded') {
      setContent(box, h('p', {class: 'error'}, `RestoreImage ${statusText(job.jobStatus).toLowerCase()}: `, jobErrors(job).join(' ')));
      return;
    }
    const n = job.result && job.result.restored !== undefined ? job.result.restored : 0;
    setContent(box, h('p', {id: 'undo-done'}, `Restored ${plural(n, 'item')} to ${state.name}.`));
    refreshLayers();
    preview();
  } catch (e) {
    setContent(box, h('p', {class: 'error'}, 'RestoreImage: ' + (e.text || e.message)));
    button.disabled = false;
  }
}

// --- add images --------------------------------------------------------

async function maxObjectID() {
  const res = await request(state.svc + '/query', {where: '1=1', outFields: 'OBJECTID', returnGeometry: false,
    orderByFields: 'OBJECTID DESC', resultRecordCount: 1});
  return res.features && res.features.length ? Number(res.features[0].attributes.OBJECTID) : 0;
}

async function addImages(e) {
  e.preventDefault();
  const input = $('add-input');
  const value = input.value.trim();
  const box = $('add-status');
  const button = $('add-button');
  if (!value) return;
  button.disabled = true;
  const progress = h('progress', {id: 'add-progress', max: 100, value: 0, 'aria-label': 'AddImage progress'});
  const text = h('span', {id: 'add-text'}, 'Submitting AddImage…');
  const cancel = h('button', {type: 'button', id: 'add-cancel', hidden: true}, 'Cancel');
  setContent(box, progress, ' ', text, ' ', cancel);
  let jobId = null;
  cancel.addEventListener('click', async () => {
    cancel.disabled = true;
    try {
      await cancelJob('AddImage', jobId);
    } catch (err) {
      text.textContent = 'Cancel: ' + (err.text || err.message);
    }
  });
  try {
    const before = await maxObjectID();
    const job = await runJob('AddImage', {imageCollection: state.name, inputRasters: value}, (j) => {
      jobId = j.jobId;
      box.dataset.job = jobId;
      cancel.hidden = false;
      const pct = j.progress ? j.progress.percentage : 0;
      progress.value = pct;
      text.textContent = `${statusText(j.jobStatus)} ${pct}%` + (j.progress && j.progress.message ? ': ' + j.progress.message : '');
    });
    cancel.remove();
    if (job.jobStatus !== 'esriJobSucceeded') {
      progress.remove();
      setContent(box, h('p', {class: 'error', id: 'add-failed'}, `AddImage ${statusText(job.jobStatus).toLowerCase()}: `, jobErrors(job).join(' ')));
      return;
    }
    progress.value = 100;
    const r = job.result || {};
    text.textContent = `Added ${plural(r.added || 0, 'raster')}` +
      (r.skipped ? `, skipped ${r.skipped}` : '') + (r.failed ? `, ${r.failed} failed` : '') + '. The new footprints are highlighted.';
    text.id = 'add-done';
    refreshLayers();
    if (r.added) {
      const where = `OBJECTID > ${before}`;
      $('where').value = where;
      await zoomToCollection(where);
      await preview();
    }
  } catch (err) {
    setContent(box, h('p', {class: 'error'}, 'AddImage: ' + (err.text || err.message)));
  } finally {
    button.disabled = false;
  }
}

// suggestStores offers the registered data stores (admin/data/items, which
// publishers and admins may read, in ArcGIS Server's shape) as suggestions
// in the Add images box: pick one, then type the rest of the path inside it.
async function suggestStores() {
  try {
    const res = await request(ROOT + '/admin/data/items', {}, {quiet: true});
    const stores = (res.items || []).map((d) => d.info && d.info.path).filter(Boolean);
    setContent($('data-stores'), stores.map((v) => h('option', {value: v})));
  } catch {
    setContent($('data-stores'));
  }
}

// --- page --------------------------------------------------------------

function fillFieldChoice() {
  const sel = $('colour-field');
  const usable = state.fields.filter((f) => f.type !== 'esriFieldTypeGeometry' && f.type !== 'esriFieldTypeBlob' &&
    f.type !== 'esriFieldTypeRaster' && f.name !== 'Path');
  const preferred = ['CloudCover', 'AcquisitionDate', 'SensorName'];
  const first = preferred.find((n) => usable.some((f) => f.name === n)) ||
    (usable.find((f) => valueKind(f) !== 'text') || usable[0] || {}).name || '';
  setContent(sel, usable.map((f) => h('option', {value: f.name}, (f.alias || f.name) + ' (' + valueKind(f) + ')')));
  sel.value = first;
  state.colourField = first;
  sel.addEventListener('change', () => {
    state.colourField = sel.value;
    computeScale();
    state.footprintLayer.changed();
  });
}

function applyRole() {
  const canDelete = may('DeleteImage');
  const canAdd = may('AddImage');
  if (canAdd) suggestStores();
  document.querySelectorAll('.edit').forEach((el) => {
    el.hidden = !(el.closest('section')?.querySelector('#add-form') ? canAdd : canDelete);
  });
}

let started = false;

async function start(me) {
  applyRole();
  $('directory-link').href = directoryLink(state.svc || '/arcgis/rest/services');
  $('home-link').href = directoryLink('/arcgis/rest/services');
  if (me.error) {
    if (me.error.code !== 499) showPageError(me.error);
    return;
  }
  $('page-error').hidden = true;
  if (started) {
    refreshLayers();
    preview();
    return;
  }
  started = true;
  try {
    state.info = await request(state.svc);
  } catch (e) {
    started = false;
    showPageError(e);
    return;
  }
  state.fields = state.info.fields || [];
  fillFieldChoice();
  drawLegend();
  state.extent = await loadExtent().catch((e) => {
    layerStatus(e.text || e.message);
    return null;
  });
  buildMap();
  if (state.extent) state.map.getView().fit(state.extent, {padding: [30, 30, 30, 30], maxZoom: 18});
  $('zoom-extent').addEventListener('click', () => zoomToCollection().catch((e) => layerStatus(e.text || e.message)));
  // While the user types, the last preview no longer describes the box:
  // nothing may be deleted until the new clause is counted.
  const later = debounce(preview, 300);
  $('where').addEventListener('input', () => {
    setPreview(null);
    $('where-status').className = 'where-status busy';
    const text = $('where').value.trim() ? 'Counting…' : '';
    if ($('where-status').textContent !== text) setContent($('where-status'), text);
    later();
  });
  $('where').addEventListener('keydown', (e) => {
    if (e.key === 'Enter') {
      e.preventDefault();
      preview();
    }
  });
  $('delete-button').addEventListener('click', confirmDelete);
  $('add-form').addEventListener('submit', addImages);
  $('popup-close').addEventListener('click', closePopup);
  $('popup').addEventListener('keydown', (e) => {
    if (e.key === 'Escape') closePopup();
  });
  document.body.dataset.ready = 'true';
}

async function main() {
  try {
    const s = serviceFromURL();
    state.svc = s.path;
    state.name = s.name;
    document.title = s.name + ' (map) - tessera';
    $('title').textContent = s.name;
    imagery.setUrl(s.path);
  } catch (e) {
    showPageError(e);
    return;
  }
  await initAccount(start);
}

main();
