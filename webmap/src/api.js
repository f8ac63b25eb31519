// api.js talks to tessera's ArcGIS REST endpoints, and to nothing else:
// every request goes to this page's own origin, with the signed-in user's
// token in the X-Esri-Authorization header (never in a URL).

export const ROOT = '/arcgis';
export const REST = ROOT + '/rest';
export const SERVICES = REST + '/services';
export const GP = SERVICES + '/System/RasterAnalysisTools/GPServer';
export const TOKENS = ROOT + '/tokens/generateToken';

const SESSION_KEY = 'tessera.session';

// ApiError is an Esri error envelope: {"error":{"code","message","details"}}.
export class ApiError extends Error {
  constructor(code, message, details) {
    super(message || 'Request failed');
    this.code = code;
    this.details = Array.isArray(details) ? details : [];
  }

  // text is the message and its details, as the server wrote them.
  get text() {
    return [this.message, ...this.details].join(' ');
  }
}

// loadSession returns the stored session {token, expires, user, role} if
// its token has not expired. A session lasts as long as its token.
export function loadSession() {
  let s = null;
  try {
    s = JSON.parse(localStorage.getItem(SESSION_KEY));
  } catch {
    s = null;
  }
  if (s && typeof s.token === 'string' && s.token && (!s.expires || s.expires > Date.now())) {
    return s;
  }
  localStorage.removeItem(SESSION_KEY);
  return null;
}

export function saveSession(s) {
  localStorage.setItem(SESSION_KEY, JSON.stringify(s));
}

export function clearSession() {
  localStorage.removeItem(SESSION_KEY);
}

// takeURLToken moves a token given in the page's URL (the services
// directory carries ?token= on its links) into the session, and removes it
// from the address bar and history.
export function takeURLToken() {
  const u = new URL(location.href);
  const tok = u.searchParams.get('token');
  if (!tok) return null;
  u.searchParams.delete('token');
  history.replaceState(history.state, '', u.pathname + u.search + u.hash);
  return tok.trim();
}

let authListener = null;

// onAuthError registers fn to run when the server rejects the token (498)
// or asks for one (499).
export function onAuthError(fn) {
  authListener = fn;
}

function headers(token) {
  const h = {};
  const t = token === undefined ? loadSession()?.token : token;
  if (t) h['X-Esri-Authorization'] = 'Bearer ' + t;
  return h;
}

// sameOrigin refuses URLs of other hosts, so that a link cannot make the
// page send the user's token anywhere else.
export function sameOriginPath(u) {
  const url = new URL(u, location.href);
  if (url.origin !== location.origin) {
    throw new ApiError(400, 'Only services of this server can be shown.', [url.origin + ' is another server.']);
  }
  return url.pathname;
}

function encode(params) {
  const body = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) {
    if (v === undefined || v === null) continue;
    body.set(k, typeof v === 'object' ? JSON.stringify(v) : String(v));
  }
  return body;
}

// request POSTs params (form-encoded, f=json unless given) to path and
// returns the decoded JSON, or throws ApiError for an error envelope.
export async function request(path, params = {}, {signal, token, quiet} = {}) {
  const body = encode({f: 'json', ...params});
  let resp;
  try {
    resp = await fetch(sameOriginPath(path), {method: 'POST', body, headers: headers(token), signal, cache: 'no-store'});
  } catch (e) {
    if (e.name === 'AbortError') throw e;
    throw new ApiError(0, 'The server did not answer.', [String(e.message || e)]);
  }
  let data;
  try {
    data = await resp.json();
  } catch {
    throw new ApiError(resp.status, 'The server sent something that is not JSON.', ['HTTP ' + resp.status]);
  }
  if (data && data.error) {
    const err = new ApiError(data.error.code, data.error.message, data.error.details);
    if ((err.code === 498 || err.code === 499) && authListener && !quiet) authListener(err);
    throw err;
  }
  return data;
}

// imageURL fetches an image (exportImage, a thumbnail) with the token in a
// header and returns an object URL for an <img>, or throws ApiError when
// the server answers with an error envelope instead of an image.
export async function imageURL(path, params = {}, {signal} = {}) {
  const u = new URL(path, location.href);
  sameOriginPath(u.href);
  for (const [k, v] of Object.entries(params)) u.searchParams.set(k, String(v));
  const resp = await fetch(u.pathname + u.search, {headers: headers(), signal, cache: 'no-store'});
  const type = resp.headers.get('Content-Type') || '';
  if (!resp.ok || type.startsWith('application/json') || type.startsWith('text/')) {
    let err = new ApiError(resp.status, 'No image: HTTP ' + resp.status);
    try {
      const data = await resp.json();
      if (data.error) err = new ApiError(data.error.code, data.error.message, data.error.details);
    } catch {
      // keep the HTTP status
    }
    throw err;
  }
  return URL.createObjectURL(await resp.blob());
}

// signIn exchanges a user name and password for a token (POST, as
// generateToken requires) and returns {token, expires}.
export async function signIn(username, password, minutes) {
  const params = {username, password};
  if (minutes) params.expiration = minutes;
  return request(TOKENS, params, {token: null, quiet: true});
}

// self returns the caller: {user, role, tasks:{name:bool}, expires}.
export function self(token) {
  return request(REST + '/self', {}, {token, quiet: true});
}

// Terminal job statuses.
export const FINISHED = new Set(['esriJobSucceeded', 'esriJobFailed', 'esriJobTimedOut', 'esriJobCancelled', 'esriJobDeleted']);

export function submitJob(task, params) {
  return request(GP + '/' + task + '/submitJob', params);
}

export function jobStatus(task, id, signal) {
  return request(GP + '/' + task + '/jobs/' + encodeURIComponent(id), {}, {signal});
}

export function cancelJob(task, id) {
  return request(GP + '/' + task + '/jobs/' + encodeURIComponent(id) + '/cancel');
}

export function jobResult(task, id) {
  return request(GP + '/' + task + '/jobs/' + encodeURIComponent(id) + '/results/result');
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// runJob submits a GP job and polls it until it finishes, calling
// onUpdate with each job JSON (jobId added). It resolves with the final
// job JSON, and its result value when it succeeded.
export async function runJob(task, params, onUpdate = () => {}) {
  const sub = await submitJob(task, params);
  const id = sub.jobId;
  onUpdate({...sub, jobId: id});
  for (let wait = 200; ; wait = Math.min(1000, wait * 1.5)) {
    await sleep(wait);
    const job = await jobStatus(task, id);
    job.jobId = id;
    onUpdate(job);
    if (FINISHED.has(job.jobStatus)) {
      if (job.jobStatus === 'esriJobSucceeded') {
        job.result = (await jobResult(task, id)).value;
      }
      return job;
    }
  }
}

// errorMessages returns a job's error messages, or its last message.
export function jobErrors(job) {
  const msgs = job.messages || [];
  const errs = msgs.filter((m) => m.type === 'esriJobMessageTypeError').map((m) => m.description);
  if (errs.length) return errs;
  return msgs.length ? [msgs[msgs.length - 1].description] : [];
}
