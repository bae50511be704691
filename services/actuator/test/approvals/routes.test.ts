import { afterEach, describe, expect, it } from 'vitest';
import { request } from 'node:http';
import { APPROVALS_PAGE_CSP, JSON_BODY_LIMIT_BYTES, registerApprovalsRoutes, transitionErrorStatus } from '../../src/approvals/routes';
import { FakeApprovalsBackend, sampleAction } from './fake-backend';
import { bearer, startApprovals, TOKENS, type Started } from './helpers';

let started: Started | undefined;
let backend: FakeApprovalsBackend | undefined;
afterEach(async () => {
  await started?.server.close();
  backend?.close();
  started = undefined;
  backend = undefined;
});

async function setup(actions = [sampleAction()]) {
  backend = new FakeApprovalsBackend();
  for (const action of actions) backend.add(action);
  started = await startApprovals(backend);
  return { base: started.base, backend };
}

function post(base: string, path: string, token: string | undefined, body: unknown, contentType = 'application/json') {
  return fetch(`${base}${path}`, {
    method: 'POST',
    headers: { 'content-type': contentType, ...(token ? bearer(token) : {}) },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
}

describe('approvals HTTP API: authentication and roles', () => {
  it('answers 401 without a token or with a wrong one, and never calls the backend', async () => {
    const { base, backend: b } = await setup();
    for (const headers of [{}, bearer('x'.repeat(40)), bearer(`${TOKENS.approver}x`), { authorization: TOKENS.approver }, { authorization: `Basic ${TOKENS.approver}` }]) {
      const list = await fetch(`${base}/api/actions`, { headers });
      expect(list.status).toBe(401);
      expect(list.headers.get('www-authenticate')).toBe('Bearer');
      const approve = await fetch(`${base}/api/actions/approve`, { method: 'POST', headers: { ...headers, 'content-type': 'application/json' }, body: JSON.stringify({ actionId: 'act-1' }) });
      expect(approve.status).toBe(401);
    }
    expect(b.calls).toEqual([]);
    expect(b.snapshot('act-1')?.status).toBe('proposed');
  });

  it('lets a viewer read but not approve, reject or edit (403, backend unchanged)', async () => {
    const { base, backend: b } = await setup();
    const before = b.snapshot('act-1');
    const me = await fetch(`${base}/api/me`, { headers: bearer(TOKENS.viewer) });
    expect(await me.json()).toEqual({ name: 'victor', role: 'viewer', canDecide: false });
    const list = await fetch(`${base}/api/actions?status=proposed`, { headers: bearer(TOKENS.viewer) });
    expect(list.status).toBe(200);
    const { actions } = (await list.json()) as { actions: { actionId: string }[] };
    expect(actions.map((a) => a.actionId)).toEqual(['act-1']);
    for (const [path, body] of [
      ['/api/actions/approve', { actionId: 'act-1' }],
      ['/api/actions/reject', { actionId: 'act-1', reason: 'no' }],
      ['/api/actions/edit', { actionId: 'act-1', parameters: { assigned_to: 'soc-tier1' } }],
    ] as const) {
      const res = await post(base, path, TOKENS.viewer, body);
      expect(res.status).toBe(403);
      expect(((await res.json()) as { error: string }).error).toBe('forbidden');
    }
    expect(b.calls).toEqual([]);
    expect(b.snapshot('act-1')).toEqual(before);
    expect(before?.status).toBe('proposed');
  });

  it('lets an approver approve, with the token holder as the actor', async () => {
    const { base, backend: b } = await setup();
    const res = await post(base, '/api/actions/approve', TOKENS.approver, { actionId: 'act-1', reason: 'looks right' });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { action: { status: string; approvals: string[] } };
    expect(body.action.status).toBe('approved');
    expect(body.action.approvals).toEqual(['alice']);
    expect(b.calls).toEqual([{ method: 'approve', actionId: 'act-1', actor: { name: 'alice', role: 'approver', via: 'bearer' }, reason: 'looks right' }]);
  });

  it('lets an admin reject and edit', async () => {
    const { base, backend: b } = await setup([sampleAction(), sampleAction({ actionId: 'act-2' })]);
    const edit = await post(base, '/api/actions/edit', TOKENS.admin, { actionId: 'act-2', parameters: { assigned_to: 'soc-tier3' } });
    expect(edit.status).toBe(200);
    expect(b.snapshot('act-2')?.parameters['assigned_to']).toBe('soc-tier3');
    const reject = await post(base, '/api/actions/reject', TOKENS.admin, { actionId: 'act-1', reason: 'false positive' });
    expect(reject.status).toBe(200);
    expect(b.snapshot('act-1')?.status).toBe('rejected');
    expect(b.calls.map((c) => [c.method, c.actor.name, c.actor.role])).toEqual([
      ['edit', 'root', 'admin'],
      ['reject', 'root', 'admin'],
    ]);
  });
});

describe('approvals HTTP API: errors', () => {
  it('maps transition errors to 404, 409 and 422', async () => {
    const expired = sampleAction({ actionId: 'act-old', expiresAt: Date.now() - 1000 });
    const { base } = await setup([sampleAction(), expired]);
    const missing = await post(base, '/api/actions/approve', TOKENS.approver, { actionId: 'nope' });
    expect(missing.status).toBe(404);
    const late = await post(base, '/api/actions/approve', TOKENS.approver, { actionId: 'act-old' });
    expect(late.status).toBe(409);
    expect(await late.json()).toEqual({ error: 'conflict', message: 'action is expired' });
    const outOfBounds = await post(base, '/api/actions/edit', TOKENS.approver, { actionId: 'act-1', parameters: { assigned_to: 'everyone' } });
    expect(outOfBounds.status).toBe(422);
    const tooLong = await post(base, '/api/actions/edit', TOKENS.approver, { actionId: 'act-1', parameters: { note_text: 'x'.repeat(201) } });
    expect(tooLong.status).toBe(422);
    expect((await post(base, '/api/actions/reject', TOKENS.approver, { actionId: 'act-1', reason: 'no' })).status).toBe(200);
    expect((await post(base, '/api/actions/approve', TOKENS.approver, { actionId: 'act-1' })).status).toBe(409);
    expect(transitionErrorStatus('forbidden')).toBe(403);
  });

  it('reports 404 for an unknown action id and 400 for a bad status filter or missing id', async () => {
    const { base } = await setup();
    expect((await fetch(`${base}/api/action?id=nope`, { headers: bearer(TOKENS.viewer) })).status).toBe(404);
    expect((await fetch(`${base}/api/action`, { headers: bearer(TOKENS.viewer) })).status).toBe(400);
    const got = await fetch(`${base}/api/action?id=act-1`, { headers: bearer(TOKENS.viewer) });
    expect(got.status).toBe(200);
    expect(((await got.json()) as { action: { actionId: string } }).action.actionId).toBe('act-1');
    expect((await fetch(`${base}/api/actions?status=bogus`, { headers: bearer(TOKENS.viewer) })).status).toBe(400);
    expect((await fetch(`${base}/api/actions?status=all`, { headers: bearer(TOKENS.viewer) })).status).toBe(200);
  });

  it('validates JSON bodies: schema, unknown fields, content type and size', async () => {
    const { base, backend: b } = await setup();
    expect((await post(base, '/api/actions/approve', TOKENS.approver, '{not json')).status).toBe(400);
    expect((await post(base, '/api/actions/approve', TOKENS.approver, { id: 'act-1' })).status).toBe(400);
    expect((await post(base, '/api/actions/approve', TOKENS.approver, { actionId: 'act-1', status: 'approved' })).status).toBe(400);
    expect((await post(base, '/api/actions/edit', TOKENS.approver, { actionId: 'act-1', parameters: {} })).status).toBe(400);
    expect((await post(base, '/api/actions/edit', TOKENS.approver, { actionId: 'act-1', parameters: { n: 5 } })).status).toBe(400);
    // A cross-site HTML form can only send form encodings (and no Authorization header).
    expect((await post(base, '/api/actions/approve', TOKENS.approver, 'actionId=act-1', 'application/x-www-form-urlencoded')).status).toBe(415);
    expect((await post(base, '/api/actions/approve', TOKENS.approver, JSON.stringify({ actionId: 'act-1' }), 'text/plain')).status).toBe(415);
    const huge = await post(base, '/api/actions/reject', TOKENS.approver, { actionId: 'act-1', reason: 'x'.repeat(JSON_BODY_LIMIT_BYTES) });
    expect(huge.status).toBe(413);
    expect(b.calls).toEqual([]);
    expect(b.snapshot('act-1')?.status).toBe('proposed');
  });

  it('answers 405 for the wrong method and sends no CORS permission', async () => {
    const { base } = await setup();
    expect((await fetch(`${base}/api/actions/approve`, { headers: bearer(TOKENS.approver) })).status).toBe(405);
    const preflight = await fetch(`${base}/api/actions/approve`, { method: 'OPTIONS', headers: { origin: 'https://evil.example', 'access-control-request-method': 'POST' } });
    expect(preflight.status).toBe(405);
    expect(preflight.headers.get('access-control-allow-origin')).toBeNull();
  });
});

describe('approvals page and hostile strings', () => {
  const hostile = '<img src=x onerror=alert(1)></script><script>alert(2)</script>';

  it('serves the page shell without data, with a strict CSP and frame denial', async () => {
    const { base } = await setup([sampleAction({ verdict: { ...sampleAction().verdict, summary: 'SECRET-SUMMARY' } })]);
    for (const [path, type] of [
      ['/approvals', 'text/html'],
      ['/approvals.js', 'text/javascript'],
      ['/approvals.css', 'text/css'],
    ] as const) {
      const res = await fetch(`${base}${path}`);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toContain(type);
      expect(res.headers.get('content-security-policy')).toBe(APPROVALS_PAGE_CSP);
      expect(res.headers.get('x-frame-options')).toBe('DENY');
      expect(res.headers.get('x-content-type-options')).toBe('nosniff');
      const text = await res.text();
      expect(text).not.toContain('SECRET-SUMMARY');
      expect(text).not.toMatch(/innerHTML|outerHTML|insertAdjacentHTML|document\.write|eval\(|new Function/);
    }
    expect(APPROVALS_PAGE_CSP).toContain("script-src 'self'");
    expect(APPROVALS_PAGE_CSP).not.toContain('unsafe-inline');
    const html = await (await fetch(`${base}/approvals`)).text();
    expect(html).not.toMatch(/<script>[^<]/); // no inline script
    expect(html).not.toMatch(/style=/);
  });

  it('returns hostile evidence as inert JSON text (never HTML)', async () => {
    const action = sampleAction({
      target: hostile,
      evidence: [{ eventId: 'qradar:offense:1', source: 'qradar', title: hostile, observedAt: 1 }],
      verdict: { ...sampleAction().verdict, summary: hostile, rationale: '</script><svg onload=alert(3)>' },
    });
    const { base } = await setup([action]);
    const res = await fetch(`${base}/api/actions`, { headers: bearer(TOKENS.viewer) });
    expect(res.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(res.headers.get('content-security-policy')).toContain("default-src 'none'");
    const parsed = (await res.json()) as { actions: { evidence: { title: string }[]; verdict: { summary: string; rationale: string } }[] };
    expect(parsed.actions[0]?.evidence[0]?.title).toBe(hostile);
    expect(parsed.actions[0]?.verdict.rationale).toBe('</script><svg onload=alert(3)>');
  });
});

describe('approvals routes: registration', () => {
  it('refuses to register without tokens (no open API by misconfiguration)', async () => {
    await setup();
    expect(() => registerApprovalsRoutes(started!.server, { backend: new FakeApprovalsBackend(), tokens: [] })).toThrow(/at least one token/);
  });
});

describe('approvals routes: slack disabled', () => {
  it('has no Slack route without slack options', async () => {
    const { base } = await setup();
    const res = await new Promise<number>((resolve, reject) => {
      const req = request(`${base}/slack/interactions`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' } }, (r) => {
        r.resume();
        resolve(r.statusCode ?? 0);
      });
      req.on('error', reject);
      req.end('payload=%7B%7D');
    });
    expect(res).toBe(404);
  });
});
