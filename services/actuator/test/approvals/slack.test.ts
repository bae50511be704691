import { createHmac } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { Secret } from '@seam/kit';
import { SLACK_BODY_LIMIT_BYTES } from '../../src/approvals/routes';
import { slackSignature, verifySlackRequest } from '../../src/approvals/slack';
import { FakeApprovalsBackend, sampleAction } from './fake-backend';
import { SLACK_SECRET, startApprovals, type Started } from './helpers';

const NOW_MS = 1_790_000_000_000;
const NOW_S = String(NOW_MS / 1000);

let started: Started | undefined;
let backend: FakeApprovalsBackend | undefined;
afterEach(async () => {
  await started?.server.close();
  backend?.close();
  started = undefined;
  backend = undefined;
});

async function setup() {
  backend = new FakeApprovalsBackend({ now: () => NOW_MS });
  backend.add(sampleAction({ expiresAt: NOW_MS + 600_000, proposedAt: NOW_MS - 1000 }));
  started = await startApprovals(backend, {
    now: () => NOW_MS,
    slack: {
      signingSecret: new Secret(SLACK_SECRET),
      users: { U0ALICE: { name: 'alice', role: 'approver' }, U0VIEW: { name: 'victor', role: 'viewer' } },
    },
  });
  return { base: started.base, backend };
}

function payload(userId: string, actionId: string, value = 'act-1'): string {
  const json = JSON.stringify({ type: 'block_actions', user: { id: userId, username: 'x' }, actions: [{ action_id: actionId, block_id: 'b', value, type: 'button' }] });
  return `payload=${encodeURIComponent(json)}`;
}

/** Signs like Slack does, independently of the code under test. */
function sign(body: string, timestamp: string, secret = SLACK_SECRET): string {
  return `v0=${createHmac('sha256', secret).update(`v0:${timestamp}:${body}`).digest('hex')}`;
}

function send(base: string, body: string, headers: Record<string, string>) {
  return fetch(`${base}/slack/interactions`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers }, body });
}

describe('Slack signature verification', () => {
  it('matches the v0 scheme (HMAC-SHA256 of v0:timestamp:body, hex)', () => {
    // Test vector from Slack's "Verifying requests from Slack" walkthrough.
    const body = Buffer.from(
      'token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c',
    );
    const signature = slackSignature(new Secret('8f742231b10e8888abcd99yyyzzz85a5'), '1531420618', body);
    expect(signature).toBe('v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503');
    const at = 1531420618_000;
    const secret = new Secret('8f742231b10e8888abcd99yyyzzz85a5');
    expect(verifySlackRequest({ rawBody: body, timestamp: '1531420618', signature }, secret, at)).toEqual({ ok: true });
    expect(verifySlackRequest({ rawBody: body, timestamp: '1531420618', signature }, secret, at + 301_000)).toEqual({ ok: false, reason: 'stale' });
    expect(verifySlackRequest({ rawBody: body, timestamp: '1531420618', signature }, secret, at - 301_000)).toEqual({ ok: false, reason: 'stale' });
    expect(verifySlackRequest({ rawBody: body, timestamp: '1531420618', signature: signature.toUpperCase() }, secret, at)).toEqual({ ok: false, reason: 'mismatch' });
    expect(verifySlackRequest({ rawBody: body, timestamp: '1531420618', signature: undefined }, secret, at)).toEqual({ ok: false, reason: 'missing' });
    expect(verifySlackRequest({ rawBody: body, timestamp: '1e9', signature }, secret, at)).toEqual({ ok: false, reason: 'missing' });
  });
});

describe('POST /slack/interactions', () => {
  it('approves with a valid signature, as the mapped user via slack', async () => {
    const { base, backend: b } = await setup();
    const body = payload('U0ALICE', 'approve');
    const res = await send(base, body, { 'x-slack-request-timestamp': NOW_S, 'x-slack-signature': sign(body, NOW_S) });
    expect(res.status).toBe(200);
    const json = (await res.json()) as { text: string; action: { status: string } };
    expect(json.action.status).toBe('approved');
    expect(json.text).toContain('Approved by alice');
    expect(b.calls).toEqual([{ method: 'approve', actionId: 'act-1', actor: { name: 'alice', role: 'approver', via: 'slack' }, reason: 'approved in Slack' }]);
  });

  it('rejects with a valid signature', async () => {
    const { base, backend: b } = await setup();
    const body = payload('U0ALICE', 'reject');
    const res = await send(base, body, { 'x-slack-request-timestamp': NOW_S, 'x-slack-signature': sign(body, NOW_S) });
    expect(res.status).toBe(200);
    expect(b.snapshot('act-1')?.status).toBe('rejected');
  });

  it('refuses forged, tampered, stale and unsigned callbacks with 401 and changes nothing', async () => {
    const { base, backend: b } = await setup();
    const body = payload('U0ALICE', 'approve');
    const stale = String(NOW_MS / 1000 - 301);
    const future = String(NOW_MS / 1000 + 301);
    const cases: Record<string, string>[] = [
      { 'x-slack-request-timestamp': NOW_S, 'x-slack-signature': sign(body, NOW_S, 'not-the-secret') },
      { 'x-slack-request-timestamp': NOW_S, 'x-slack-signature': sign(payload('U0ALICE', 'reject'), NOW_S) },
      { 'x-slack-request-timestamp': stale, 'x-slack-signature': sign(body, stale) },
      { 'x-slack-request-timestamp': future, 'x-slack-signature': sign(body, future) },
      { 'x-slack-request-timestamp': String(Number(NOW_S) - 1), 'x-slack-signature': sign(body, NOW_S) },
      { 'x-slack-request-timestamp': NOW_S },
      {},
      { 'x-slack-request-timestamp': NOW_S, 'x-slack-signature': 'v0=' },
    ];
    for (const headers of cases) {
      const res = await send(base, body, headers);
      expect(res.status).toBe(401);
    }
    expect(b.calls).toEqual([]);
    expect(b.snapshot('act-1')?.status).toBe('proposed');
  });

  it('refuses unknown users and viewers with 403, even when signed', async () => {
    const { base, backend: b } = await setup();
    for (const user of ['U0MALLORY', 'U0VIEW', '__proto__', 'constructor']) {
      const body = payload(user, 'approve');
      const res = await send(base, body, { 'x-slack-request-timestamp': NOW_S, 'x-slack-signature': sign(body, NOW_S) });
      expect(res.status).toBe(403);
    }
    expect(b.calls).toEqual([]);
  });

  it('answers 400 for a signed body without a usable payload or with an unknown action, 413 beyond the limit', async () => {
    const { base, backend: b } = await setup();
    for (const body of ['nothing=here', 'payload=%7Bnot-json', payload('U0ALICE', 'delete_everything')]) {
      const res = await send(base, body, { 'x-slack-request-timestamp': NOW_S, 'x-slack-signature': sign(body, NOW_S) });
      expect(res.status).toBe(400);
    }
    const big = `payload=${'x'.repeat(SLACK_BODY_LIMIT_BYTES)}`;
    const res = await send(base, big, { 'x-slack-request-timestamp': NOW_S, 'x-slack-signature': sign(big, NOW_S) });
    expect(res.status).toBe(413);
    expect(b.calls).toEqual([]);
  });

  it('maps backend errors (unknown action -> 404, already decided -> 409)', async () => {
    const { base } = await setup();
    const unknown = payload('U0ALICE', 'approve', 'act-404');
    expect((await send(base, unknown, { 'x-slack-request-timestamp': NOW_S, 'x-slack-signature': sign(unknown, NOW_S) })).status).toBe(404);
    const reject = payload('U0ALICE', 'reject');
    expect((await send(base, reject, { 'x-slack-request-timestamp': NOW_S, 'x-slack-signature': sign(reject, NOW_S) })).status).toBe(200);
    const approve = payload('U0ALICE', 'approve');
    expect((await send(base, approve, { 'x-slack-request-timestamp': NOW_S, 'x-slack-signature': sign(approve, NOW_S) })).status).toBe(409);
  });
});
