// account.js: the header's account area and the sign-in dialog. A user
// signs in with generateToken (as ArcGIS clients do) and stays signed in,
// in every tab, for as long as the token lasts.
import {ApiError, clearSession, loadSession, onAuthError, saveSession, self, signIn, takeURLToken} from './api.js';
import {$, h, setContent} from './dom.js';

// Caller is what a page needs to know about the user: name, role, which
// GP tasks they may run, and whether the server uses tokens at all.
let current = null;

// may reports whether the current caller may submit a GP task.
export function may(task) {
  return !!(current && current.tasks && current.tasks[task]);
}

export function caller() {
  return current;
}

// initAccount builds the account area in #account and resolves the
// caller; render(caller) runs now and after every sign-in, sign-out or
// expiry. A caller that may not see anything (499) has caller.error set.
export async function initAccount(render) {
  const box = $('account');
  let note = '';
  let timer = null;

  const dialog = h('dialog', {id: 'signin-dialog', 'aria-labelledby': 'signin-title'});
  const user = h('input', {id: 'signin-user', name: 'username', autocomplete: 'username', required: true});
  const pass = h('input', {id: 'signin-password', name: 'password', type: 'password', autocomplete: 'current-password', required: true});
  const err = h('p', {id: 'signin-error', class: 'error', role: 'alert'});
  const form = h('form', {method: 'dialog'},
    h('h2', {id: 'signin-title'}, 'Sign in'),
    h('p', {class: 'help'}, 'Your user name and password on this server. The token it gives lasts until it expires or you sign out.'),
    h('label', {for: 'signin-user'}, 'User name'), user,
    h('label', {for: 'signin-password'}, 'Password'), pass,
    err,
    h('div', {class: 'buttons'},
      h('button', {type: 'submit', id: 'signin-submit', class: 'primary'}, 'Sign in'),
      h('button', {type: 'button', onclick: () => dialog.close()}, 'Cancel')));
  dialog.append(form);
  document.body.append(dialog);

  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    err.textContent = '';
    try {
      const tok = await signIn(user.value, pass.value);
      const me = await self(tok.token);
      saveSession({token: tok.token, expires: tok.expires || me.expires || 0, user: me.user, role: me.role});
      pass.value = '';
      dialog.close();
      note = '';
      await refresh();
    } catch (e2) {
      err.textContent = e2 instanceof ApiError ? e2.text : String(e2);
      pass.select();
    }
  });

  const openSignIn = () => {
    err.textContent = '';
    if (!dialog.open) dialog.showModal();
    user.focus();
  };

  async function adopt(tok) {
    try {
      const me = await self(tok);
      saveSession({token: tok, expires: me.expires || 0, user: me.user, role: me.role});
    } catch (e) {
      note = 'The token in the link was not accepted: ' + (e.text || e.message);
    }
  }

  async function refresh() {
    clearTimeout(timer);
    let me;
    try {
      me = await self();
    } catch (e) {
      if (e.code === 498 && loadSession()) {
        clearSession();
        note = 'Your sign-in expired or is no longer valid; sign in again.';
        return refresh();
      }
      me = {error: e, tokenBasedSecurity: true, tasks: {}};
    }
    current = me;
    const s = loadSession();
    if (s && s.expires) {
      timer = setTimeout(() => {
        clearSession();
        note = 'Your sign-in expired; sign in again.';
        refresh();
      }, Math.min(2 ** 31 - 1, Math.max(0, s.expires - Date.now())));
    }
    drawBox(me, s);
    render(me);
    if (me.error && me.error.code === 499) openSignIn();
  }

  function drawBox(me, s) {
    const parts = [];
    if (note) parts.push(h('span', {class: 'note', role: 'status'}, note, ' '));
    if (me.error) {
      parts.push(h('span', {}, 'Not signed in. '));
      parts.push(h('button', {type: 'button', id: 'signin-open', onclick: openSignIn}, 'Sign in'));
    } else if (!me.tokenBasedSecurity) {
      parts.push(h('span', {title: 'Without --users every caller may do everything (loopback only).'}, 'Open server: no accounts'));
    } else if (s && me.user) {
      parts.push(h('span', {id: 'whoami'}, 'Signed in as ', h('b', {}, me.user), ' (' + me.role + ') '));
      parts.push(h('button', {type: 'button', id: 'signout', onclick: () => {
        clearSession();
        note = '';
        refresh();
      }}, 'Sign out'));
    } else {
      parts.push(h('span', {id: 'whoami'}, 'Not signed in (' + (me.role || 'no') + ' access). '));
      parts.push(h('button', {type: 'button', id: 'signin-open', onclick: openSignIn}, 'Sign in'));
    }
    setContent(box, parts);
  }

  let pending = null;
  onAuthError((e) => {
    if (e.code === 498) {
      clearSession();
      note = 'Your sign-in expired or is no longer valid; sign in again.';
    }
    pending ??= refresh().finally(() => (pending = null));
  });

  const tok = takeURLToken();
  if (tok) await adopt(tok);
  await refresh();
}

// directoryLink returns an href into the HTML services directory, which
// takes the token as a parameter (as ArcGIS's does).
export function directoryLink(path) {
  const s = loadSession();
  return s ? path + (path.includes('?') ? '&' : '?') + 'token=' + encodeURIComponent(s.token) : path;
}
