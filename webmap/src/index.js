// index.js: the list of image collections, each with its map.
import {directoryLink, initAccount} from './account.js';
import {SERVICES, request} from './api.js';
import {$, h, setContent} from './dom.js';

async function start(me) {
  $('directory-link').href = directoryLink('/arcgis/rest/services');
  $('home-link').href = directoryLink('/arcgis/rest/services');
  const err = $('page-error');
  if (me.error) {
    if (me.error.code !== 499) {
      err.hidden = false;
      err.textContent = me.error.text;
    }
    setContent($('collections'));
    return;
  }
  try {
    const root = await request(SERVICES);
    const list = (root.services || []).filter((s) => s.type === 'ImageServer');
    err.hidden = true;
    setContent($('collections'), list.length ? list.map((s) => {
      const path = SERVICES + '/' + encodeURIComponent(s.name) + '/ImageServer';
      return h('li', {}, h('a', {href: 'map.html?url=' + encodeURIComponent(path)}, s.name),
        ' ', h('a', {href: directoryLink(path), class: 'secondary'}, '(service)'));
    }) : h('li', {}, 'No collections yet: create one with CreateImageCollection.'));
  } catch (e) {
    err.hidden = false;
    err.textContent = e.text || e.message;
  }
}

initAccount(start);
