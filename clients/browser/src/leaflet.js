// The Leaflet page: esri-leaflet's imageMapLayer (exportImage in Web
// Mercator) of the service in ?url=, centred on ?center=lat,lng at ?zoom=,
// with ?token= passed as the layer's token option. The layer is on
// window.app for browser.test.mjs to call identify().
import L from 'leaflet';
import {imageMapLayer} from 'esri-leaflet';

const q = new URLSearchParams(location.search);
const [lat, lng] = q.get('center').split(',').map(Number);
const map = L.map('map', {fadeAnimation: false, zoomAnimation: false}).setView([lat, lng], Number(q.get('zoom')));
const options = {url: q.get('url'), format: 'png'};
if (q.get('token')) options.token = q.get('token');
const layer = imageMapLayer(options);
const events = {load: 0, error: 0};
layer.on('load', () => events.load++);
layer.on('requesterror', () => events.error++);
layer.addTo(map);

// identify returns esri-leaflet's identify() result at lat, lng.
function identify(lat, lng) {
  return new Promise((resolve, reject) => {
    layer.identify().at(L.latLng(lat, lng)).run((err, results, response) => (err ? reject(new Error(JSON.stringify(err))) : resolve({results, response})));
  });
}

window.app = {map, layer, events, identify, L};
window.appReady = new Promise((resolve) => layer.once('load', () => resolve(events)));
