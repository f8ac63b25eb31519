// The OpenLayers page: an ImageLayer with an ImageArcGISRest source
// (exportImage) of the service in ?url=, in the service's own projection
// (EPSG:32633, declared without proj4), fitted to ?extent=. A ?token= goes
// into the source's params, so it travels in the exportImage URL.
import Map from 'ol/Map.js';
import View from 'ol/View.js';
import ImageLayer from 'ol/layer/Image.js';
import ImageArcGISRest from 'ol/source/ImageArcGISRest.js';
import Projection from 'ol/proj/Projection.js';
import {addProjection} from 'ol/proj.js';

const q = new URLSearchParams(location.search);
const projection = new Projection({code: 'EPSG:32633', units: 'm', extent: [166021.44, 0, 833978.56, 9329005.18]});
addProjection(projection);
const params = q.get('token') ? {token: q.get('token')} : {};
const source = new ImageArcGISRest({url: q.get('url'), params, crossOrigin: 'anonymous', projection, ratio: 1});
const events = {start: 0, end: 0, error: 0};
source.on('imageloadstart', () => events.start++);
source.on('imageloadend', () => events.end++);
source.on('imageloaderror', () => events.error++);
const map = new Map({target: 'map', layers: [new ImageLayer({source})], view: new View({projection})});
map.getView().fit(q.get('extent').split(',').map(Number), {size: map.getSize()});

window.app = {map, source, events};
window.appReady = new Promise((resolve) => {
  map.on('rendercomplete', () => {
    if (events.end > 0 || events.error > 0) resolve(events);
  });
});
