/* global document, sessionStorage, fetch, setInterval, clearInterval */
// The approvals page. Every string that comes from the API (titles, summaries, rationales, targets,
// parameters: attacker-controlled text from offenses and findings among them) is inserted with
// textContent or as a form value, never as HTML: this file uses no HTML-parsing sink at all, and the
// Content-Security-Policy forbids inline script, so even a mistake could not run injected code.
'use strict';

(function () {
  const TOKEN_KEY = 'seam.approvals.token';
  const REFRESH_MS = 15000;
  const FOLLOW_MS = 1000;
  const FOLLOW_MAX = 60;
  const ACTIVE = new Set(['approved', 'executing']);

  const $ = (id) => document.getElementById(id);
  const state = { me: null, rendered: new Map(), timer: null };

  /** el('div', {className: 'x'}, 'text', child) — strings become text nodes. */
  function el(tag, props, ...children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(props || {})) {
      if (key === 'dataset') Object.assign(node.dataset, value);
      else node[key] = value;
    }
    for (const child of children) {
      if (child === null || child === undefined || child === false) continue;
      node.append(typeof child === 'string' || typeof child === 'number' ? document.createTextNode(String(child)) : child);
    }
    return node;
  }

  function token() {
    return sessionStorage.getItem(TOKEN_KEY);
  }

  function showError(message) {
    const box = $('error');
    box.textContent = message;
    box.hidden = !message;
  }

  class ApiError extends Error {
    constructor(status, code, message) {
      super(message);
      this.status = status;
      this.code = code;
    }
  }

  async function api(method, path, body) {
    const headers = { authorization: 'Bearer ' + token() };
    const init = { method, headers, credentials: 'omit', cache: 'no-store' };
    if (body !== undefined) {
      headers['content-type'] = 'application/json';
      init.body = JSON.stringify(body);
    }
    const res = await fetch(path, init);
    let data = null;
    try {
      data = await res.json();
    } catch {
      data = null;
    }
    if (!res.ok) {
      const code = data && typeof data.error === 'string' ? data.error : 'error';
      const message = data && typeof data.message === 'string' ? data.message : code;
      throw new ApiError(res.status, code, res.status + ' ' + code + ': ' + message);
    }
    return data;
  }

  function describeError(error) {
    return error instanceof ApiError ? error.message : 'request failed: ' + String(error && error.message ? error.message : error);
  }

  function formatTime(ms) {
    if (typeof ms !== 'number' || !Number.isFinite(ms)) return '?';
    return new Date(ms).toISOString().replace('T', ' ').replace(/\.\d+Z$/, 'Z');
  }

  function relative(ms) {
    const seconds = Math.round((ms - Date.now()) / 1000);
    const abs = Math.abs(seconds);
    const text = abs < 90 ? abs + 's' : abs < 5400 ? Math.round(abs / 60) + 'm' : Math.round(abs / 3600) + 'h';
    return seconds >= 0 ? 'in ' + text : text + ' ago';
  }

  function percent(value) {
    return typeof value === 'number' ? Math.round(value * 100) + '%' : '?';
  }

  function row(label, ...value) {
    return el('div', { className: 'row' }, el('dt', {}, label), el('dd', {}, ...value));
  }

  function renderAction(action) {
    const v = action.verdict || {};
    const card = el('li', { className: 'card status-' + String(action.status).replace(/[^a-z]/g, ''), dataset: { actionId: action.actionId } });

    card.append(
      el(
        'div',
        { className: 'card-head' },
        el('span', { className: 'sev sev-' + String(v.severity).replace(/[^a-z]/g, '') }, String(v.severity)),
        el('span', { className: 'kind' }, action.kind),
        el('span', { className: 'target' }, action.target),
        el('span', { className: 'status', dataset: { role: 'status' } }, action.status),
      ),
    );
    card.append(el('p', { className: 'summary' }, v.summary || ''));

    const facts = el('dl', { className: 'facts' });
    facts.append(
      row('Action', el('code', {}, action.actionId)),
      row('Risk', String(v.riskScore), ' / 100, confidence ', percent(v.confidence)),
      row('Incident', String(v.incidentId), ' v', String(v.incidentVersion), ', verdict v', String(v.verdictVersion)),
      row('Rationale', v.rationale || ''),
      row('Policy rule', action.policyRule),
      row('Proposed', formatTime(action.proposedAt)),
      row('Expires', formatTime(action.expiresAt), ' (', relative(action.expiresAt), ')'),
      row(
        'Approvals',
        String((action.approvals || []).length),
        ' of ',
        String(action.approvalsRequired),
        (action.approvals || []).length ? ': ' + action.approvals.join(', ') : '',
      ),
    );
    if (action.result) facts.append(row('Result', action.result.ok ? 'ok: ' : 'failed: ', action.result.message));
    card.append(facts);

    const params = el('table', { className: 'params' }, el('caption', {}, 'Parameters'));
    for (const [name, value] of Object.entries(action.parameters || {})) {
      params.append(el('tr', {}, el('th', {}, name), el('td', {}, value)));
    }
    card.append(params);

    const evidence = el('ol', { className: 'evidence' });
    for (const item of action.evidence || []) {
      evidence.append(
        el('li', {}, el('span', { className: 'ev-title' }, item.title), ' ', el('span', { className: 'muted' }, item.source, ' · ', item.eventId, ' · ', formatTime(item.observedAt))),
      );
    }
    card.append(el('h3', {}, 'Evidence (' + (action.evidence || []).length + ')'), evidence);

    const cardError = el('div', { className: 'error card-error', role: 'alert', hidden: true });
    if (action.status === 'proposed') card.append(renderDecisions(action, cardError));
    card.append(cardError);
    return card;
  }

  function renderDecisions(action, cardError) {
    const canDecide = Boolean(state.me && state.me.canDecide);
    const why = canDecide ? '' : 'Your role (' + (state.me ? state.me.role : '?') + ') may only view.';
    const box = el('div', { className: 'decide' });

    const reason = el('input', { type: 'text', className: 'reason', placeholder: 'reason (required to reject)', maxLength: 2000, disabled: !canDecide });
    const approve = el('button', { type: 'button', className: 'approve', disabled: !canDecide, title: why }, 'Approve');
    const reject = el('button', { type: 'button', className: 'reject', disabled: !canDecide, title: why }, 'Reject');
    approve.addEventListener('click', () => decide(action.actionId, 'approve', { actionId: action.actionId, reason: reason.value || undefined }, cardError));
    reject.addEventListener('click', () => {
      if (!reason.value.trim()) {
        showCardError(cardError, 'Give a reason to reject.');
        return;
      }
      void decide(action.actionId, 'reject', { actionId: action.actionId, reason: reason.value }, cardError);
    });
    box.append(el('div', { className: 'buttons' }, approve, reject, reason));
    if (!canDecide) box.append(el('p', { className: 'muted' }, why));

    if ((action.editable || []).length) {
      const form = el('form', { className: 'edit' }, el('h3', {}, 'Edit parameters'));
      const inputs = [];
      for (const param of action.editable) {
        let input;
        if (Array.isArray(param.allowed) && param.allowed.length) {
          input = el('select', { disabled: !canDecide });
          for (const option of param.allowed) input.append(el('option', { value: option, selected: option === param.value }, option));
        } else {
          input = el('input', { type: 'text', value: param.value, disabled: !canDecide });
          if (typeof param.maxLength === 'number') input.maxLength = param.maxLength;
        }
        input.name = param.name;
        inputs.push({ param, input });
        const hints = [];
        if (param.pattern) hints.push('pattern ' + param.pattern);
        if (typeof param.maxLength === 'number') hints.push('at most ' + param.maxLength + ' characters');
        form.append(el('label', {}, el('span', {}, param.name), input, hints.length ? el('small', { className: 'muted' }, hints.join(', ')) : null));
      }
      const save = el('button', { type: 'submit', className: 'save', disabled: !canDecide, title: why }, 'Save parameters');
      form.append(save);
      form.addEventListener('submit', (event) => {
        event.preventDefault();
        const parameters = {};
        for (const { param, input } of inputs) {
          if (input.value !== param.value) parameters[param.name] = input.value;
        }
        if (!Object.keys(parameters).length) {
          showCardError(cardError, 'Nothing changed.');
          return;
        }
        void decide(action.actionId, 'edit', { actionId: action.actionId, parameters }, cardError);
      });
      box.append(form);
    }
    return box;
  }

  function showCardError(box, message) {
    box.textContent = message;
    box.hidden = !message;
  }

  async function decide(actionId, verb, body, cardError) {
    showCardError(cardError, '');
    const card = state.rendered.get(actionId);
    if (card) for (const button of card.node.querySelectorAll('button')) button.disabled = true;
    try {
      const data = await api('POST', '/api/actions/' + verb, body);
      upsert(data.action);
      follow(actionId);
    } catch (error) {
      const current = state.rendered.get(actionId);
      if (current) {
        // Re-render to restore the buttons, then show why it failed.
        const fresh = renderAction(current.action);
        current.node.replaceWith(fresh);
        state.rendered.set(actionId, { action: current.action, json: current.json, node: fresh });
        showCardError(fresh.querySelector('.card-error'), describeError(error));
      } else {
        showError(describeError(error));
      }
    }
  }

  /** After a decision, follow the action while the executor works on it. */
  function follow(actionId, count = 0) {
    const entry = state.rendered.get(actionId);
    if (!entry || !ACTIVE.has(entry.action.status) || count >= FOLLOW_MAX) return;
    setTimeout(async () => {
      try {
        const data = await api('GET', '/api/action?id=' + encodeURIComponent(actionId));
        upsert(data.action);
      } catch (error) {
        showError(describeError(error));
        return;
      }
      follow(actionId, count + 1);
    }, FOLLOW_MS);
  }

  function upsert(action) {
    const json = JSON.stringify(action);
    const current = state.rendered.get(action.actionId);
    if (current && current.json === json) return;
    const node = renderAction(action);
    if (current) current.node.replaceWith(node);
    else $('actions').append(node);
    state.rendered.set(action.actionId, { action, json, node });
    $('empty').hidden = state.rendered.size > 0;
  }

  async function refresh() {
    const filter = $('status-filter').value;
    try {
      const data = await api('GET', '/api/actions?status=' + encodeURIComponent(filter));
      const ids = new Set(data.actions.map((a) => a.actionId));
      for (const [id, entry] of state.rendered) {
        if (!ids.has(id)) {
          entry.node.remove();
          state.rendered.delete(id);
        }
      }
      // Keep the server's order (newest first).
      for (const action of data.actions) upsert(action);
      for (const action of data.actions) $('actions').append(state.rendered.get(action.actionId).node);
      $('empty').hidden = state.rendered.size > 0;
      $('updated').textContent = 'updated ' + new Date().toLocaleTimeString();
      showError('');
    } catch (error) {
      showError(describeError(error));
      if (error instanceof ApiError && error.status === 401) signOut('Token refused (401). Sign in again.');
    }
  }

  function clearActions() {
    for (const entry of state.rendered.values()) entry.node.remove();
    state.rendered.clear();
  }

  async function signIn() {
    try {
      state.me = await api('GET', '/api/me');
    } catch (error) {
      sessionStorage.removeItem(TOKEN_KEY);
      showError(describeError(error));
      return;
    }
    $('whoami').textContent = state.me.name + ' (' + state.me.role + ')';
    $('login').hidden = true;
    $('session').hidden = false;
    $('controls').hidden = false;
    clearActions();
    await refresh();
    if (state.timer) clearInterval(state.timer);
    state.timer = setInterval(() => void refresh(), REFRESH_MS);
  }

  function signOut(message) {
    sessionStorage.removeItem(TOKEN_KEY);
    state.me = null;
    if (state.timer) clearInterval(state.timer);
    state.timer = null;
    clearActions();
    $('login').hidden = false;
    $('session').hidden = true;
    $('controls').hidden = true;
    $('empty').hidden = true;
    showError(message || '');
  }

  function start() {
    $('login').addEventListener('submit', (event) => {
      event.preventDefault();
      const value = $('token').value.trim();
      $('token').value = '';
      if (!value) return;
      sessionStorage.setItem(TOKEN_KEY, value);
      void signIn();
    });
    $('sign-out').addEventListener('click', () => signOut(''));
    $('refresh').addEventListener('click', () => void refresh());
    $('status-filter').addEventListener('change', () => {
      clearActions();
      void refresh();
    });
    if (token()) void signIn();
  }

  start();
})();
