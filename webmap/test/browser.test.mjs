// Browser tests of the web map and the job monitor, in headless Chromium
// (Debian's /usr/bin/chromium driven by playwright-core), against a real
// tessera. cmd/tessera's TestWebMapInBrowser starts the server, makes the
// rasters and runs this file with:
//
//   TESSERA_URL          http://127.0.0.1:<port>/arcgis, serving the demo collection Demo
//   TESSERA_PUBLISHER    user:password of a publisher
//   TESSERA_VIEWER       user:password of a viewer
//   TESSERA_ADD_SMALL    a folder of a few rasters inside Demo's extent
//   TESSERA_ADD_LONG     a folder of 20,000 rasters (an AddImage that takes a while)
//   TESSERA_SCREENSHOTS  optional: a folder for the documentation's screenshots
//
// Every check looks at what a user sees: text on the page, and pixels of
// the map's canvases (imagery, footprints, highlight), then checks the
// catalog itself through the ImageServer's query.
import assert from 'node:assert/strict';
import {readFileSync} from 'node:fs';
import path from 'node:path';
import {after, before, test} from 'node:test';
import {chromium} from 'playwright-core';

const FINISHED = new Set(['Succeeded', 'Failed', 'Cancelled', 'Timed Out']);

const ROOT = process.env.TESSERA_URL;
const WEBMAP = ROOT + '/webmap';
const SERVICE = '/arcgis/rest/services/Demo/ImageServer';
const MAP = WEBMAP + '/map.html?url=' + encodeURIComponent(SERVICE);
const GP = ROOT + '/rest/services/System/RasterAnalysisTools/GPServer';
const [PUB, PUB_PASSWORD] = (process.env.TESSERA_PUBLISHER || '').split(':');
const [VIEWER, VIEWER_PASSWORD] = (process.env.TESSERA_VIEWER || '').split(':');
const SHOTS = process.env.TESSERA_SCREENSHOTS || '';

let browser;
let context;
let pubToken;
const problems = []; // page errors and failed requests, checked at the end

before(async () => {
  assert.ok(ROOT && PUB && VIEWER && process.env.TESSERA_ADD_SMALL && process.env.TESSERA_ADD_LONG, 'environment not set');
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  context = await browser.newContext({viewport: {width: 1280, height: 800}});
  // No request may leave the server under test.
  await context.route('**/*', (route) => {
    const u = new URL(route.request().url());
    if (u.origin !== new URL(ROOT).origin && u.protocol !== 'data:' && u.protocol !== 'blob:') {
      problems.push('request to another host: ' + u.href);
      return route.abort();
    }
    return route.continue();
  });
  pubToken = (await api('/tokens/generateToken', {username: PUB, password: PUB_PASSWORD})).token;
});

after(async () => {
  await browser?.close();
});

// api POSTs to the server from Node, as a script would, and returns JSON.
async function api(p, params = {}, token) {
  const body = new URLSearchParams({f: 'json', ...params});
  const headers = token ? {'X-Esri-Authorization': 'Bearer ' + token} : {};
  const resp = await fetch(p.startsWith('http') ? p : ROOT + p, {method: 'POST', body, headers});
  return resp.json();
}

// count asks the catalog how many items match where.
async function count(where) {
  const r = await api('/rest/services/Demo/ImageServer/query', {where, returnCountOnly: 'true'}, pubToken);
  assert.equal(typeof r.count, 'number', JSON.stringify(r));
  return r.count;
}

// job runs a GP job from Node and waits for it to finish.
async function job(task, params) {
  const sub = await api(GP + '/' + task + '/submitJob', params, pubToken);
  assert.ok(sub.jobId, JSON.stringify(sub));
  return waitFor(async () => {
    const j = await api(GP + '/' + task + '/jobs/' + sub.jobId, {}, pubToken);
    return /Succeeded|Failed|Cancelled|TimedOut/.test(j.jobStatus) && j;
  }, task + ' ' + sub.jobId);
}

async function waitFor(fn, what, ms = 30000) {
  const deadline = Date.now() + ms;
  let last;
  for (;;) {
    try {
      last = await fn();
      if (last) return last;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what} (last: ${last instanceof Error ? last.stack : JSON.stringify(last)})`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function newPage() {
  const page = await context.newPage();
  page.on('pageerror', (e) => problems.push('page error: ' + e.message));
  page.on('console', (m) => {
    if (m.type() === 'error' && !/status of 404/.test(m.text())) problems.push('console: ' + m.text());
  });
  return page;
}

// canvas measures the pixels a map layer drew: how many are not
// transparent, how many are the highlight's magenta, and how many distinct
// colours (quantised) there are.
function canvas(page, layer) {
  return page.evaluate((cls) => {
    const c = document.querySelector('.' + cls + ' canvas');
    if (!c || !c.width) return {opaque: 0, magenta: 0, colours: 0, total: 0};
    const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
    let opaque = 0;
    let magenta = 0;
    const colours = new Set();
    for (let i = 0; i < d.length; i += 4) {
      if (d[i + 3] === 0) continue;
      opaque++;
      if (d[i] > 180 && d[i + 1] < 90 && d[i + 2] > 180 && d[i + 3] > 120) magenta++;
      colours.add((d[i] >> 4) << 8 | (d[i + 1] >> 4) << 4 | (d[i + 2] >> 4));
    }
    return {opaque, magenta, colours: colours.size, total: d.length / 4};
  }, layer);
}

async function mapIdle(page) {
  await page.waitForSelector('#map[aria-busy="false"]', {timeout: 30000});
}

// signIn signs in with the keyboard only: the dialog has the focus on the
// user name, Tab goes to the password, Enter submits.
async function signIn(page, user, password) {
  await page.waitForSelector('#signin-dialog[open]');
  assert.equal(await page.evaluate(() => document.activeElement.id), 'signin-user');
  await page.keyboard.type(user);
  await page.keyboard.press('Tab');
  assert.equal(await page.evaluate(() => document.activeElement.id), 'signin-password');
  await page.keyboard.type(password);
  await page.keyboard.press('Enter');
  await page.waitForSelector('#whoami');
  assert.match(await page.textContent('#whoami'), new RegExp('Signed in as ' + user));
}

async function openMap(page) {
  await page.goto(MAP);
  await page.waitForSelector('body[data-ready=true]', {timeout: 30000});
  await mapIdle(page);
}

async function shot(page, name) {
  if (SHOTS) await page.screenshot({path: path.join(SHOTS, name)});
}

let map; // the publisher's map page, shared by the tests below

test('a viewer signs in and sees the map and the jobs, but no edit controls', async () => {
  const page = await newPage();
  await page.goto(WEBMAP + '/');
  // No anonymous access on this server: the page asks for a token.
  await signIn(page, VIEWER, VIEWER_PASSWORD);
  await page.click('#collections a:text-is("Demo")');
  await page.waitForSelector('body[data-ready=true]');
  await mapIdle(page);
  const imagery = await waitFor(async () => {
    const c = await canvas(page, 'imagery-layer');
    return c.opaque > 0.3 * c.total && c;
  }, 'imagery for the viewer');
  assert.ok(imagery.colours > 20, 'imagery has ' + imagery.colours + ' colours');
  for (const sel of ['#delete-button', '#add-form', '#add-input']) {
    assert.equal(await page.isVisible(sel), false, sel + ' is visible to a viewer');
  }
  assert.equal(await page.getByRole('button', {name: /delete/i}).count(), 0);
  assert.equal(await page.getByRole('button', {name: /add images/i}).count(), 0);
  // The where preview is a read: viewers have it.
  await page.fill('#where', 'CloudCover > 50');
  await page.waitForSelector('#where-count');
  assert.equal(await page.textContent('#where-count'), `${await count('CloudCover > 50')} items match.`);

  // The job monitor lists jobs (the demo's CreateImageCollection at least), without Cancel buttons.
  await page.click('a[href="jobs.html"]');
  await page.waitForSelector('#jobs tbody tr');
  assert.match(await page.textContent('#whoami'), new RegExp('Signed in as ' + VIEWER), 'still signed in on another page');
  assert.equal(await page.locator('button.cancel:visible').count(), 0);
  await page.click('#signout');
  await page.waitForSelector('#signin-open');
  await page.close();
});

test('a publisher opens the map from the services directory: imagery and footprints are drawn', async () => {
  const page = await newPage();
  // The HTML directory carries the token on its links, as ArcGIS's does.
  await page.goto(ROOT + '/rest/services/Demo/ImageServer?token=' + encodeURIComponent(pubToken));
  await page.click('text=View in map');
  await page.waitForSelector('body[data-ready=true]', {timeout: 30000});
  assert.ok(!page.url().includes('token='), 'the token stays out of the address bar: ' + page.url());
  await page.waitForSelector('#whoami');
  assert.match(await page.textContent('#whoami'), new RegExp('Signed in as ' + PUB));
  await mapIdle(page);
  const imagery = await waitFor(async () => {
    const c = await canvas(page, 'imagery-layer');
    return c.opaque > 0.3 * c.total && c;
  }, 'imagery');
  assert.ok(imagery.colours > 20, 'the mosaic has ' + imagery.colours + ' colours');
  const fp = await waitFor(async () => {
    const c = await canvas(page, 'footprints-layer');
    return c.opaque > 0.3 * c.total && c.colours >= 3 && c;
  }, 'footprints coloured by CloudCover');
  assert.equal((await canvas(page, 'highlight-layer')).magenta, 0, 'nothing is highlighted yet');
  assert.match(await page.textContent('#layer-status'), /^24 footprints loaded/);
  assert.equal(await page.inputValue('#colour-field'), 'CloudCover');
  assert.ok(await page.isVisible('.ol-scale-bar'), 'scale bar');

  // Colour by another field: the footprints are redrawn in other colours.
  await page.selectOption('#colour-field', 'SensorName');
  await waitFor(async () => (await page.textContent('#legend')).includes('Sentinel-2A'), 'a legend of sensors');
  await page.selectOption('#colour-field', 'CloudCover');
  assert.ok(fp.opaque > 0);

  // A click opens a popup with the item's attributes and thumbnail.
  const box = await page.locator('#map').boundingBox();
  await page.mouse.click(box.x + box.width / 2, box.y + box.height / 2);
  await page.waitForSelector('#popup:not([hidden]) table.attrs');
  assert.match(await page.textContent('#popup-title'), /item/);
  assert.match(await page.textContent('#popup-content'), /CloudCover/);
  await waitFor(() => page.evaluate(() => {
    const img = document.querySelector('#popup img.thumb');
    return img && img.complete && img.naturalWidth > 0;
  }), 'the thumbnail');
  await shot(page, 'webmap-map.png');
  await page.keyboard.press('Escape');
  await page.waitForSelector('#popup', {state: 'hidden'});
  map = page;
});

test('popups read identify in the ArcGIS REST shape when the server has it', async () => {
  const page = map;
  const probe = await api('/rest/services/Demo/ImageServer/identify', {
    geometry: '{"x":607000,"y":5355000}', geometryType: 'esriGeometryPoint', returnCatalogItems: 'true'}, pubToken).catch((e) => ({error: e}));
  let served = !probe.error;
  if (!served) {
    // Until tessera serves identify, answer it with a real ArcGIS answer
    // (testdata/golden/arcgis/identify.json, a Sentinel-2 service's), so
    // that the page's reading of that shape is checked.
    const body = readFileSync(new URL('../../testdata/golden/arcgis/identify.json', import.meta.url), 'utf8');
    await page.route('**/ImageServer/identify', (route) => route.fulfill({contentType: 'application/json', body}));
  }
  const box = await page.locator('#map').boundingBox();
  await page.mouse.click(box.x + box.width / 3, box.y + box.height / 3);
  await page.waitForSelector('#popup:not([hidden]) .item');
  const text = await page.textContent('#popup-content');
  assert.match(text, /Pixel value: /);
  if (!served) {
    assert.match(text, /Pixel value: 0\.0473, 0\.036/);
    assert.match(text, /S2A_MSIL2A_20230801T182921_N0509_R027_T11SMT_20230802T023558 \(OBJECTID 20498195\)/);
    assert.match(text, /CloudCover39\.731815/, 'attributes matched to the fields whatever their letter case');
    await page.unroute('**/ImageServer/identify');
  }
  await page.click('#popup-close');
  await page.waitForSelector('#popup', {state: 'hidden'});
});

test('the map works from the keyboard', async () => {
  const page = map;
  // Focus order: the skip link, the header, the map, then the panel's controls.
  const order = await page.evaluate(() => [...document.querySelectorAll('a[href], button, input, select, [tabindex]')]
    .filter((el) => el.tabIndex >= 0 && !el.disabled && el.offsetParent !== null)
    .map((el) => el.id || el.textContent.trim()));
  assert.equal(order[0], 'Skip to the map controls');
  assert.ok(order.indexOf('map') < order.indexOf('show-imagery') && order.indexOf('show-imagery') < order.indexOf('where'), order.join(', '));
  // The map takes focus; + zooms in (the scale bar changes); Enter lists
  // the items at the centre; Escape closes the popup and gives focus back.
  await page.focus('#map');
  const scale = async () => Number((await page.textContent('.ol-scale-bar')).match(/1 : ([\d,]+)/)[1].replace(/,/g, ''));
  const s0 = await scale();
  await page.keyboard.press('+');
  await waitFor(async () => (await scale()) < 0.6 * s0, 'the scale bar to show twice the scale after +');
  await page.keyboard.press('-');
  await waitFor(async () => (await scale()) > 0.9 * s0, 'the scale back after -');
  await page.keyboard.press('Enter');
  await page.waitForSelector('#popup:not([hidden]) table.attrs');
  assert.equal(await page.evaluate(() => document.activeElement.id), 'popup', 'the popup has the focus');
  await page.keyboard.press('Tab');
  assert.equal(await page.evaluate(() => document.activeElement.id), 'popup-close');
  await page.keyboard.press('Enter');
  await page.waitForSelector('#popup', {state: 'hidden'});
  assert.equal(await page.evaluate(() => document.activeElement.id), 'map', 'focus back on the map');
  // Every control in the panel has a label.
  const unlabelled = await page.evaluate(() => [...document.querySelectorAll('#panel input, #panel select')]
    .filter((el) => !el.labels || el.labels.length === 0).map((el) => el.id));
  assert.deepEqual(unlabelled, []);
  await mapIdle(page);
});

test('the where box previews: the server\'s parse error with its position, then the count and the highlight', async () => {
  const page = map;
  const bad = 'CloudCover >';
  const want = (await api('/rest/services/Demo/ImageServer/query', {where: bad, returnCountOnly: 'true'}, pubToken)).error;
  assert.ok(want && want.code === 400, JSON.stringify(want));
  await page.fill('#where', bad);
  await page.waitForSelector('#where-error');
  assert.equal(await page.textContent('#where-error'), [want.message, ...want.details].join(' '), 'the error as the server reports it');
  assert.match(want.details.join(' '), /at 1:\d+/, 'with a position');
  assert.equal(await page.getAttribute('#where', 'aria-invalid'), 'true');
  assert.ok(await page.isDisabled('#delete-button'));

  const n = await count('CloudCover > 50');
  assert.ok(n > 0 && n < 24, 'the demo has cloudy and clear items');
  await page.click('#zoom-extent');
  await page.fill('#where', 'CloudCover > 50');
  await page.waitForSelector('#where-count');
  assert.equal(await page.textContent('#where-count'), `${n} items match.`);
  const hl = await waitFor(async () => {
    const c = await canvas(page, 'highlight-layer');
    return c.magenta > 1000 && c;
  }, 'highlighted footprints');
  assert.equal(await page.textContent('#delete-button'), `Delete ${n} items`);
  await mapIdle(page);
  await shot(page, 'webmap-where.png');

  // A narrower clause highlights less; one that matches nothing, nothing.
  await page.fill('#where', 'CloudCover > 90');
  await waitFor(async () => (await page.textContent('#where-status')).includes(`${await count('CloudCover > 90')} item`), 'the narrower count');
  await waitFor(async () => {
    const c = await canvas(page, 'highlight-layer');
    return c.magenta > 0 && c.magenta < hl.magenta;
  }, 'a smaller highlight');
  await page.fill('#where', 'CloudCover > 1000');
  await waitFor(async () => (await page.textContent('#where-status')) === 'No items match.', 'no match');
  await waitFor(async () => (await canvas(page, 'highlight-layer')).magenta === 0, 'no highlight');
  assert.equal(await count('1=1'), 24, 'previews changed nothing');
});

test('Delete N items asks, deletes, and Undo brings them back', async () => {
  const page = map;
  const n = await count('CloudCover > 50');
  const previewed = (await api('/rest/services/Demo/ImageServer/query', {where: 'CloudCover > 50', returnIdsOnly: 'true'}, pubToken)).objectIds;
  await page.fill('#where', 'CloudCover > 50');
  await page.waitForSelector('#where-count');
  await mapIdle(page);
  const before = {fp: await canvas(page, 'footprints-layer'), img: await canvas(page, 'imagery-layer')};

  // Cancelling the confirmation changes nothing.
  await page.click('#delete-button');
  await page.waitForSelector('#confirm-delete[open]');
  const question = await page.textContent('#confirm-title');
  assert.equal(question, `Delete ${n} items from Demo?`);
  assert.equal(await page.evaluate(() => document.activeElement.id), 'confirm-no', 'Cancel has the focus');
  await page.keyboard.press('Escape');
  await page.waitForSelector('#confirm-delete', {state: 'hidden'});
  assert.equal(await count('1=1'), 24);

  await page.click('#delete-button');
  await page.click('#confirm-yes');
  await page.waitForSelector('#delete-done', {timeout: 60000});
  assert.equal(await page.textContent('#delete-done'), `Deleted ${n} items from Demo. They are in the recycle bin. `);
  // The job deleted exactly the previewed items: their OBJECTIDs went with the clause.
  const deleteJob = await page.getAttribute('#delete-status', 'data-job');
  const sent = await api(GP + '/DeleteImage/jobs/' + deleteJob + '/inputs/objectIds', {}, pubToken);
  assert.equal(sent.value, previewed.join(','), JSON.stringify(sent));
  assert.equal(await count('1=1'), 24 - n, 'the catalog lost the items');
  assert.equal(await count('CloudCover > 50'), 0);
  await waitFor(async () => (await page.textContent('#where-status')) === 'No items match.', 'the preview re-counted');
  await waitFor(async () => {
    const fp = await canvas(page, 'footprints-layer');
    const img = await canvas(page, 'imagery-layer');
    return fp.opaque < before.fp.opaque * 0.9 && img.opaque < before.img.opaque * 0.95 && (await canvas(page, 'highlight-layer')).magenta === 0;
  }, 'the deleted footprints and their imagery gone from the map');
  assert.match(await page.textContent('#layer-status'), new RegExp(`^${24 - n} footprints loaded`));

  await page.click('#undo-button');
  await page.waitForSelector('#undo-done', {timeout: 60000});
  assert.equal(await page.textContent('#undo-done'), `Restored ${n} items to Demo.`);
  assert.equal(await count('1=1'), 24, 'the catalog has them back');
  assert.equal(await count('CloudCover > 50'), n);
  await waitFor(async () => (await page.textContent('#where-status')) === `${n} items match.`, 'the preview re-counted');
  await waitFor(async () => {
    const fp = await canvas(page, 'footprints-layer');
    const img = await canvas(page, 'imagery-layer');
    return Math.abs(fp.opaque - before.fp.opaque) < before.fp.opaque * 0.02 && img.opaque >= before.img.opaque * 0.98 &&
      (await canvas(page, 'highlight-layer')).magenta > 1000;
  }, 'the footprints and imagery back on the map');
});

test('the confirmation counts the items that match then, not at the preview', async () => {
  const page = map;
  const ids = (await api('/rest/services/Demo/ImageServer/query', {where: 'CloudCover > 80', returnIdsOnly: 'true'}, pubToken)).objectIds;
  assert.ok(ids.length >= 2, 'the demo has items over 80% cloud');
  await page.fill('#where', 'CloudCover > 80');
  await waitFor(async () => (await page.textContent('#where-status')) === `${ids.length} items match.`, 'the preview');
  // Meanwhile someone else deletes one of them.
  const other = await job('DeleteImage', {imageCollection: 'Demo', where: 'OBJECTID = ' + ids[0]});
  assert.equal(other.jobStatus, 'esriJobSucceeded');
  await page.click('#delete-button');
  await page.waitForSelector('#confirm-delete[open]');
  assert.equal(await page.textContent('#confirm-title'), `Delete ${ids.length - 1} items from Demo?`);
  assert.equal(await page.textContent('#where-status'), `${ids.length - 1} items match.`);
  await page.click('#confirm-no');
  await page.waitForSelector('#confirm-delete', {state: 'hidden'});
  assert.equal((await job('RestoreImage', {imageCollection: 'Demo', jobId: other.jobId})).jobStatus, 'esriJobSucceeded');
  assert.equal(await count('1=1'), 24);
});

test('Add images runs AddImage, shows its progress, then highlights the new footprints', async () => {
  const page = map;
  // The box suggests the registered data stores (--demo registers its folder).
  await waitFor(async () => (await page.$$eval('#data-stores option', (os) => os.map((o) => o.value))).some((v) => /[\\/]demo$/.test(v)),
    'the demo data store suggested');
  await page.fill('#add-input', process.env.TESSERA_ADD_SMALL);
  await page.click('#add-button');
  await page.waitForSelector('#add-done', {timeout: 60000});
  assert.match(await page.textContent('#add-done'), /^Added 3 rasters\./);
  assert.equal(await count('1=1'), 27);
  assert.equal(await page.inputValue('#where'), 'OBJECTID > 24');
  await waitFor(async () => (await page.textContent('#where-status')) === '3 items match.', 'the new items selected');
  await waitFor(async () => (await canvas(page, 'highlight-layer')).magenta > 500, 'the new footprints highlighted');
  assert.equal(await count('OBJECTID > 24'), 3);
});

test('the job monitor shows a long AddImage\'s progress rise, and cancels it', async () => {
  const page = map;
  const before = await count('1=1');
  // A failed job, to show its error.
  const failed = await api(GP + '/DeleteImage/submitJob', {imageCollection: 'Demo', where: 'CloudCover > 1000', strict: 'true'}, pubToken);
  assert.ok(failed.jobId, JSON.stringify(failed));

  await page.fill('#add-input', process.env.TESSERA_ADD_LONG);
  await page.click('#add-button');
  await page.waitForSelector('#add-cancel:not([hidden])');
  const addJob = () => page.evaluate(() => document.getElementById('add-status').dataset.job);

  const monitor = await newPage();
  await monitor.goto(WEBMAP + '/jobs.html');
  await monitor.waitForSelector('#whoami');
  assert.match(await monitor.textContent('#whoami'), new RegExp('Signed in as ' + PUB), 'signed in from the other page');
  const row = monitor.locator('#jobs tbody tr', {has: monitor.locator('td.task', {hasText: 'AddImage'})}).first();
  const seen = [];
  const trace = [];
  const want = await addJob();
  await waitFor(async () => {
    const [id, status, v] = await row.evaluate((tr) => [tr.dataset.job, tr.querySelector('td.status').textContent,
      tr.querySelector('td.progress progress').value]);
    if (trace.at(-1) !== `${id} ${status} ${v}`) trace.push(`${id} ${status} ${v}`);
    if (id === want && status === 'Executing' && v > 0 && v < 100 && !seen.includes(v)) seen.push(v);
    return seen.length >= 2 || (FINISHED.has(status) && id === want);
  }, 'the AddImage progress to rise twice', 120000).catch((e) => {
    throw new Error(e.message + '\nseen in the monitor: ' + trace.join(' | '));
  });
  assert.ok(seen.length >= 2, 'the job finished before its progress was seen twice: ' + trace.join(' | '));
  console.log('# the monitor saw: ' + trace.join(' | '));
  assert.ok(seen[1] > seen[0], 'progress rose: ' + seen.join(' → '));
  assert.match(await row.locator('td.progress').textContent(), /\d+% Read \d+ of \d+ rasters/);
  await shot(monitor, 'webmap-jobs.png');

  await row.locator('button.cancel').click();
  await waitFor(async () => (await row.locator('td.status').textContent()) === 'Cancelled', 'the job cancelled', 60000);
  const jobId = await row.getAttribute('data-job');
  const job = await api(GP + '/AddImage/jobs/' + jobId, {}, pubToken);
  assert.equal(job.jobStatus, 'esriJobCancelled');
  // The map page's own poll sees it too.
  await page.waitForSelector('#add-failed', {timeout: 30000});
  assert.match(await page.textContent('#add-failed'), /AddImage cancelled/);

  // A cancelled job adds nothing: items commit with the job's success (see docs/ingest.md).
  const text = job.messages.map((m) => m.description).join('\n');
  assert.equal(await count('1=1'), before, text);

  // The failed job shows its error.
  const failedRow = monitor.locator('#job-' + failed.jobId);
  await waitFor(async () => (await failedRow.locator('td.status').textContent()) === 'Failed', 'the failed job listed');
  assert.ok((await failedRow.locator('td.messages .error').count()) > 0, 'its error is shown');
  await monitor.close();
});

test('nothing went to another host, and no page had an error', () => {
  assert.deepEqual(problems, []);
});
