import { existsSync } from 'node:fs';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { FakeApprovalsBackend, sampleAction } from './fake-backend';
import { startApprovals, TOKENS, type Started } from './helpers';

/**
 * The approvals page in a real browser: Debian's Chromium (infra/install.sh installs it) driven by
 * playwright-core against the real routes and an in-memory backend that plays the executor.
 */
const CHROMIUM = '/usr/bin/chromium';
const HOSTILE = '<img src=x onerror="window.__pwned=1;alert(1)"></script><script>window.__pwned=2</script>';

let browser: Browser;
let started: Started | undefined;
let backend: FakeApprovalsBackend | undefined;
let context: BrowserContext | undefined;

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: run bash infra/install.sh (installs Debian's chromium)`);
  browser = await chromium.launch({ executablePath: CHROMIUM, timeout: 30_000 });
});

afterAll(async () => {
  await browser?.close();
});

afterEach(async () => {
  await context?.close();
  await started?.server.close();
  backend?.close();
  context = undefined;
  started = undefined;
  backend = undefined;
});

interface Opened {
  readonly page: Page;
  readonly dialogs: string[];
  readonly pageErrors: string[];
}

async function openAs(token: string): Promise<Opened> {
  if (!started) throw new Error('server not started');
  context = await browser.newContext();
  const page = await context.newPage();
  page.setDefaultTimeout(10_000);
  const dialogs: string[] = [];
  const pageErrors: string[] = [];
  page.on('dialog', (dialog) => {
    dialogs.push(dialog.message());
    void dialog.dismiss();
  });
  page.on('pageerror', (error) => pageErrors.push(error.message));
  const response = await page.goto(`${started.base}/approvals`);
  expect(response?.status()).toBe(200);
  await page.fill('#token', token);
  await page.click('#sign-in');
  await page.locator('#whoami').waitFor({ state: 'visible' });
  return { page, dialogs, pageErrors };
}

function card(page: Page, actionId: string) {
  return page.locator(`li.card[data-action-id="${actionId}"]`);
}

describe('approvals page in Chromium', () => {
  it('an approver signs in, sees the pending action with its verdict and evidence, approves it and sees it succeed', async () => {
    backend = new FakeApprovalsBackend({ executeAfterMs: 300 });
    backend.add(sampleAction());
    started = await startApprovals(backend);
    const { page, pageErrors } = await openAs(TOKENS.approver);

    await expect.poll(() => page.textContent('#whoami')).toBe('alice (approver)');
    const action = card(page, 'act-1');
    await action.waitFor({ state: 'visible' });
    expect(await action.locator('.summary').textContent()).toBe('Password spray from 203.0.113.9 followed by console login of alice');
    expect(await action.locator('.status').textContent()).toBe('proposed');
    const text = (await action.textContent()) ?? '';
    expect(text).toContain('assist.qradar-note.high');
    expect(text).toContain('Same public IP in QRadar offense and CloudTrail ConsoleLogin');
    expect(await action.locator('.evidence li').count()).toBe(2);
    expect(await action.locator('.ev-title').first().textContent()).toBe('Multiple login failures');
    // The token is kept for the tab only, and never in the URL.
    expect(page.url()).toBe(`${started.base}/approvals`);

    await action.locator('button.approve').click();
    await expect.poll(() => action.locator('.status').textContent(), { timeout: 10_000 }).toBe('succeeded');
    expect(backend.snapshot('act-1')?.status).toBe('succeeded');
    expect(backend.snapshot('act-1')?.approvals).toEqual(['alice']);
    expect(backend.calls.map((c) => [c.method, c.actor.name, c.actor.via])).toEqual([['approve', 'alice', 'bearer']]);
    expect(await action.textContent()).toContain('ok: note added');
    expect(pageErrors).toEqual([]);
  });

  it('an approver edits a parameter within its bounds and sees an out-of-bounds edit refused', async () => {
    backend = new FakeApprovalsBackend();
    backend.add(sampleAction({ editable: [{ name: 'note_text', value: 'old note', pattern: '[a-z ]+', maxLength: 50 }], parameters: { note_text: 'old note' } }));
    started = await startApprovals(backend);
    const { page } = await openAs(TOKENS.approver);
    const action = card(page, 'act-1');
    await action.locator('input[name="note_text"]').fill('BAD NOTE 123');
    await action.locator('button.save').click();
    await expect.poll(() => card(page, 'act-1').locator('.card-error').textContent()).toContain('422 invalid');
    expect(backend.snapshot('act-1')?.parameters).toEqual({ note_text: 'old note' });

    await card(page, 'act-1').locator('input[name="note_text"]').fill('new note');
    await card(page, 'act-1').locator('button.save').click();
    await expect.poll(() => card(page, 'act-1').locator('.params td').first().textContent()).toBe('new note');
    expect(backend.snapshot('act-1')?.parameters).toEqual({ note_text: 'new note' });
  });

  it('a viewer sees the action but cannot approve: buttons disabled, a forced request gets 403, backend unchanged', async () => {
    backend = new FakeApprovalsBackend();
    backend.add(sampleAction());
    started = await startApprovals(backend);
    const { page } = await openAs(TOKENS.viewer);
    const action = card(page, 'act-1');
    await action.waitFor({ state: 'visible' });
    expect(await action.locator('button.approve').isDisabled()).toBe(true);
    expect(await action.locator('button.reject').isDisabled()).toBe(true);
    expect(await action.textContent()).toContain('Your role (viewer) may only view.');
    // Going around the UI with the viewer's own token is refused by the server.
    const status = await page.evaluate(
      `fetch('/api/actions/approve', { method: 'POST', headers: { authorization: 'Bearer ' + sessionStorage.getItem('seam.approvals.token'), 'content-type': 'application/json' }, body: JSON.stringify({ actionId: 'act-1' }) }).then((r) => r.status)`,
    );
    expect(status).toBe(403);
    expect(backend.calls).toEqual([]);
    expect(backend.snapshot('act-1')?.status).toBe('proposed');
  });

  it('a bad token shows the 401 and no data', async () => {
    backend = new FakeApprovalsBackend();
    backend.add(sampleAction());
    started = await startApprovals(backend);
    context = await browser.newContext();
    const page = await context.newPage();
    page.setDefaultTimeout(10_000);
    await page.goto(`${started.base}/approvals`);
    await page.fill('#token', 'not-a-valid-token-at-all-0123456789abcdef');
    await page.click('#sign-in');
    await expect.poll(() => page.textContent('#error')).toContain('401');
    expect(await page.locator('li.card').count()).toBe(0);
  });

  it('hostile strings from offenses and findings render as text: no dialog, no injected element, no script run', async () => {
    backend = new FakeApprovalsBackend();
    backend.add(
      sampleAction({
        actionId: 'act-xss',
        target: HOSTILE,
        parameters: { note_text: HOSTILE },
        editable: [{ name: 'note_text', value: HOSTILE }],
        verdict: { ...sampleAction().verdict, summary: HOSTILE, rationale: '</script><svg onload="alert(3)">' },
        evidence: [{ eventId: 'qradar:offense:1', source: 'qradar', title: HOSTILE, observedAt: 1 }],
      }),
    );
    started = await startApprovals(backend);
    const { page, dialogs, pageErrors } = await openAs(TOKENS.approver);
    const action = card(page, 'act-xss');
    await action.waitFor({ state: 'visible' });
    expect(await action.locator('.ev-title').textContent()).toBe(HOSTILE);
    expect(await action.locator('.summary').textContent()).toBe(HOSTILE);
    expect(await action.locator('.target').textContent()).toBe(HOSTILE);
    expect(await action.locator('input[name="note_text"]').inputValue()).toBe(HOSTILE);
    expect(await page.locator('img, svg, iframe, object, embed').count()).toBe(0);
    expect(await page.locator('body script').count()).toBe(0);
    expect(await page.locator('script').count()).toBe(1); // only /approvals.js in the head
    await page.waitForTimeout(300); // give an injected onerror the chance to fire
    expect(await page.evaluate('window.__pwned === undefined')).toBe(true);
    expect(dialogs).toEqual([]);
    expect(pageErrors).toEqual([]);
  });
});
