// dom.js: small helpers to build DOM nodes. Text always goes in as text
// (textContent), never as HTML, so names and attributes from the catalog
// cannot inject markup.

// h creates an element: h('a', {href: '…', class: 'x'}, 'text', child…).
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'class') el.className = v;
    else if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
    else if (k in el && typeof v !== 'string') el[k] = v;
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children.flat()) {
    if (c === undefined || c === null || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

// $ returns the element with the given id.
export const $ = (id) => document.getElementById(id);

// setText replaces an element's content with text and nodes.
export function setContent(el, ...children) {
  el.replaceChildren();
  for (const c of children.flat()) {
    if (c === undefined || c === null || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
}

// debounce delays fn until calls stop for ms milliseconds.
export function debounce(fn, ms) {
  let t = null;
  return (...args) => {
    clearTimeout(t);
    t = setTimeout(() => fn(...args), ms);
  };
}

// plural: plural(3, 'item') is "3 items".
export function plural(n, word, words = word + 's') {
  return n.toLocaleString('en') + ' ' + (n === 1 ? word : words);
}

// duration formats milliseconds: "850 ms", "4.2 s", "3 min 05 s", "2 h 04 min".
export function duration(ms) {
  if (!(ms >= 0)) return '';
  if (ms < 1000) return Math.round(ms) + ' ms';
  if (ms < 60000) return (ms / 1000).toFixed(1) + ' s';
  const s = Math.round(ms / 1000);
  if (s < 3600) return Math.floor(s / 60) + ' min ' + String(s % 60).padStart(2, '0') + ' s';
  return Math.floor(s / 3600) + ' h ' + String(Math.floor((s % 3600) / 60)).padStart(2, '0') + ' min';
}

// dateTime formats epoch milliseconds as "2025-01-31 14:05:09" (UTC).
export function dateTime(ms) {
  if (ms === null || ms === undefined || ms === '') return '';
  const d = new Date(Number(ms));
  if (isNaN(d)) return String(ms);
  return d.toISOString().replace('T', ' ').replace(/\.\d+Z$/, ' UTC');
}

// statusText turns esriJobExecuting into "Executing".
export function statusText(s) {
  return String(s || '').replace(/^esriJob/, '').replace(/([a-z])([A-Z])/g, '$1 $2');
}

// collectionName reads the collection a job names in its imageCollection
// input: a name, an ImageServer URL, {"url":…}, {"uri":…} or {"itemId":…}.
export function collectionName(v) {
  if (v === undefined || v === null) return '';
  let s = String(v).trim();
  if (s.startsWith('{')) {
    try {
      const o = JSON.parse(s);
      s = o.url || o.uri || (o.itemId ? 'item ' + o.itemId : '') || (o.serviceProperties && o.serviceProperties.name) || s;
    } catch {
      return s;
    }
  }
  const m = String(s).match(/\/services\/(.+?)\/ImageServer\/?$/i);
  return m ? decodeURIComponent(m[1]) : String(s);
}
