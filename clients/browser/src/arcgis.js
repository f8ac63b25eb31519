// The ArcGIS Maps SDK for JavaScript (@arcgis/core) page: an ImageryLayer
// of the service in ?url= drawn in a MapView, with the SDK's modules on
// window.app for browser.test.mjs to call (identify, getSamples,
// computeHistograms, geoprocessor.submitJob). With ?token= the token is
// registered with the IdentityManager for ?server= (the services root), as
// an app that signed in elsewhere would.
import esriConfig from '@arcgis/core/config.js';
import IdentityManager from '@arcgis/core/identity/IdentityManager.js';
import Map from '@arcgis/core/Map.js';
import MapView from '@arcgis/core/views/MapView.js';
import ImageryLayer from '@arcgis/core/layers/ImageryLayer.js';
import Point from '@arcgis/core/geometry/Point.js';
import Polyline from '@arcgis/core/geometry/Polyline.js';
import Extent from '@arcgis/core/geometry/Extent.js';
import * as geoprocessor from '@arcgis/core/rest/geoprocessor.js';
import * as reactiveUtils from '@arcgis/core/core/reactiveUtils.js';

const q = new URLSearchParams(location.search);
esriConfig.assetsPath = new URL('/assets', location.href).href;
const token = q.get('token');
if (token) {
  IdentityManager.registerToken({server: q.get('server'), token, userId: q.get('user') || '', expires: Date.now() + 3600e3});
}
// Without a token the SDK keeps its default (useIdentity on): an open
// server answers a cross-site edit with a 400, which the SDK reports at
// once instead of asking the IdentityManager for a credential.

const layer = new ImageryLayer({url: q.get('url')});
const view = new MapView({container: 'map', map: new Map({layers: [layer]}), constraints: {snapToZoom: false}});

window.app = {layer, view, Point, Polyline, Extent, geoprocessor, esriConfig, IdentityManager};
window.appReady = (async () => {
  await layer.load();
  await view.when();
  const [xmin, ymin, xmax, ymax] = (q.get('extent') || '').split(',').map(Number);
  await view.goTo(new Extent({xmin, ymin, xmax, ymax, spatialReference: layer.spatialReference}), {animate: false});
  await reactiveUtils.whenOnce(() => !view.updating);
  return {sr: view.spatialReference.wkid, updating: view.updating};
})();
