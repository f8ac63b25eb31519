// jobs.js: the job monitor. It lists recent jobs from the GPServer's jobs
// resource, polls every second while any job is unfinished (every three
// seconds otherwise), and cancels through each job's own cancel operation.
import {caller, directoryLink, initAccount} from './account.js';
import {FINISHED, GP, cancelJob, request} from './api.js';
import {$, collectionName, dateTime, duration, h, plural, setContent, statusText} from './dom.js';

const rows = new Map(); // jobId → {tr, cells, cancel}
let timer = null;
let generation = 0;
let lastSummary = '';

function filters() {
  return {
    status: $('filter-status').value,
    task: $('filter-task').value,
    owner: $('filter-owner').value.trim(),
  };
}

// mayCancel mirrors the server's rule (the job's owner, an admin, or
// anyone allowed to run the task for an anonymous job); the server checks
// it again.
function mayCancel(job) {
  const me = caller();
  if (!me || me.error || !me.tasks || !me.tasks[job.task]) return false;
  return me.role === 'admin' || job.owner === (me.user || 'anonymous') || job.owner === 'anonymous';
}

function makeRow(job) {
  const cells = {};
  const tr = h('tr', {id: 'job-' + job.jobId, 'data-job': job.jobId});
  for (const k of ['submitted', 'task', 'collection', 'owner', 'status', 'progress', 'duration', 'messages', 'actions']) {
    cells[k] = h(k === 'submitted' ? 'th' : 'td', k === 'submitted' ? {scope: 'row', class: k} : {class: k});
    tr.append(cells[k]);
  }
  const bar = h('progress', {max: 100, value: 0, 'aria-label': 'Progress of ' + job.task + ' job ' + job.jobId});
  const pct = h('span', {class: 'pct'});
  setContent(cells.progress, bar, ' ', pct);
  const cancel = h('button', {type: 'button', class: 'cancel', 'aria-label': 'Cancel ' + job.task + ' job ' + job.jobId}, 'Cancel');
  cancel.addEventListener('click', async () => {
    cancel.disabled = true;
    try {
      await cancelJob(job.task, job.jobId);
    } catch (e) {
      setContent(rows.get(job.jobId).cells.messages, h('span', {class: 'error'}, 'Cancel: ' + (e.text || e.message)));
    }
    load();
  });
  cells.actions.append(cancel);
  return {tr, cells, bar, pct, cancel};
}

function updateRow(r, job, now) {
  const running = !FINISHED.has(job.jobStatus);
  setContent(r.cells.submitted, h('span', {class: 'time'}, dateTime(job.submitted)), h('br'),
    h('a', {href: directoryLink(GP + '/' + job.task + '/jobs/' + job.jobId), class: 'jobid'}, job.jobId));
  r.cells.task.textContent = job.task;
  r.cells.collection.textContent = collectionName(job.inputs && job.inputs.imageCollection);
  r.cells.owner.textContent = job.owner;
  r.cells.status.textContent = statusText(job.jobStatus);
  r.tr.className = 'status-' + statusText(job.jobStatus).toLowerCase().replace(/\s+/g, '-');
  const pct = job.progress ? job.progress.percentage : job.jobStatus === 'esriJobSucceeded' ? 100 : 0;
  r.bar.value = pct;
  r.bar.hidden = !running && job.jobStatus !== 'esriJobSucceeded';
  r.pct.textContent = running ? `${pct}%${job.progress && job.progress.message ? ' ' + job.progress.message : ''}` :
    job.jobStatus === 'esriJobSucceeded' ? '100%' : '';
  const start = job.started || job.submitted;
  const end = job.finished || now;
  r.cells.duration.textContent = start ? duration(end - start) + (running ? ' so far' : '') : '';
  const msgs = job.messages || [];
  const errors = msgs.filter((m) => m.type === 'esriJobMessageTypeError');
  const parts = [];
  if (errors.length) {
    parts.push(...errors.map((m) => h('div', {class: 'error'}, m.description)));
  } else if (msgs.length) {
    parts.push(h('div', {}, msgs[msgs.length - 1].description));
  }
  if (msgs.length > 1) {
    parts.push(h('details', {}, h('summary', {}, 'Last ' + plural(msgs.length, 'message')),
      h('ol', {}, msgs.map((m) => h('li', {class: m.type === 'esriJobMessageTypeError' ? 'error' : ''}, m.description)))));
  }
  // Keep an open <details> open across updates.
  const open = r.cells.messages.querySelector('details')?.open;
  setContent(r.cells.messages, parts);
  if (open) r.cells.messages.querySelector('details').open = true;
  const canCancel = running && job.jobStatus !== 'esriJobCancelling' && mayCancel(job);
  if (!canCancel && r.cancel === document.activeElement) {
    // The job finished under the keyboard user's focus: keep focus on its row.
    r.cells.status.setAttribute('tabindex', '-1');
    r.cells.status.focus();
  }
  r.cancel.hidden = !canCancel;
}

function render(jobs) {
  const now = Date.now();
  const tbody = $('jobs').tBodies[0];
  const seen = new Set();
  let prev = null;
  for (const job of jobs) {
    seen.add(job.jobId);
    let r = rows.get(job.jobId);
    if (!r) {
      r = makeRow(job);
      rows.set(job.jobId, r);
    }
    updateRow(r, job, now);
    const want = prev ? prev.nextSibling : tbody.firstChild;
    if (want !== r.tr) tbody.insertBefore(r.tr, want);
    prev = r.tr;
  }
  for (const [id, r] of rows) {
    if (!seen.has(id)) {
      r.tr.remove();
      rows.delete(id);
    }
  }
  const running = jobs.filter((j) => !FINISHED.has(j.jobStatus)).length;
  const failed = jobs.filter((j) => j.jobStatus === 'esriJobFailed' || j.jobStatus === 'esriJobTimedOut').length;
  const summary = jobs.length === 0 ? 'No jobs.' :
    `${plural(jobs.length, 'job')}: ${running} unfinished, ${failed} failed.`;
  if (summary !== lastSummary) {
    $('jobs-summary').textContent = summary;
    lastSummary = summary;
  }
  $('updated').textContent = 'Updated ' + new Date(now).toLocaleTimeString('en-GB') + '.';
  return running;
}

async function load() {
  clearTimeout(timer);
  const gen = ++generation;
  let running = 0;
  try {
    const f = filters();
    const data = await request(GP + '/jobs', {status: f.status, task: f.task, owner: f.owner, limit: 100, messages: 5});
    if (gen !== generation) return;
    $('page-error').hidden = true;
    running = render(data.jobs || []);
  } catch (e) {
    if (gen !== generation) return;
    $('page-error').hidden = false;
    $('page-error').textContent = e.text || e.message;
  }
  if (!document.hidden) timer = setTimeout(load, running ? 1000 : 3000);
}

let started = false;

async function start(me) {
  $('directory-link').href = directoryLink('/arcgis/rest/services');
  $('home-link').href = directoryLink('/arcgis/rest/services');
  if (me.error) {
    clearTimeout(timer);
    if (me.error.code !== 499) {
      $('page-error').hidden = false;
      $('page-error').textContent = me.error.text;
    }
    return;
  }
  if (!started) {
    started = true;
    try {
      const gp = await request(GP);
      setContent($('filter-task'), h('option', {value: ''}, 'Any task'), (gp.tasks || []).map((t) => h('option', {value: t}, t)));
    } catch {
      // the filter stays at "Any task"
    }
    for (const id of ['filter-status', 'filter-task']) $(id).addEventListener('change', load);
    let t = null;
    $('filter-owner').addEventListener('input', () => {
      clearTimeout(t);
      t = setTimeout(load, 300);
    });
    $('filters').addEventListener('submit', (e) => {
      e.preventDefault();
      load();
    });
    document.addEventListener('visibilitychange', () => {
      if (!document.hidden) load();
    });
  }
  load(); // re-renders every row: Cancel buttons depend on who is signed in

}

initAccount(start);
