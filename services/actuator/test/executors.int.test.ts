/**
 * Each executor against the emulators (QRadar, AWS Security Hub + SSM) and a local webhook
 * server: the right call with the right parameters, asserted on the emulators' recorded calls;
 * throttling, partial failures and permanent failures.
 */
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SecurityHubClient } from '@aws-sdk/client-securityhub';
import { SSMClient } from '@aws-sdk/client-ssm';
import { startAwsEmulator, type AsffFinding, type AwsEmulator } from '@seam/infra/aws-emulator/index';
import { startQradarEmulator, type QradarEmulator } from '@seam/infra/qradar-emulator/index';
import { Secret } from '@seam/kit';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { ExecAction } from '../src/adapters/executor';
import { NotifyExecutor } from '../src/adapters/notify';
import { noteMarker, QradarAssignExecutor, QradarClient, QradarCloseExecutor, QradarNoteExecutor, QradarReferenceSetExecutor } from '../src/adapters/qradar';
import { SecurityHubExecutor } from '../src/adapters/securityhub';
import { SsmAutomationExecutor } from '../src/adapters/ssm';
import { clientTokenFor } from '../src/domain/plan';

const scenarioPath = new URL('../../../infra/scenarios/qradar-sample.jsonl', import.meta.url).pathname;
const reference = JSON.parse(readFileSync(new URL('../../../../shared/reference-payloads/aws/asff_guardduty_sshbruteforce_awsdocs.json', import.meta.url), 'utf8')) as AsffFinding & { Id: string; ProductArn: string };
const findingId = (i: number) => `${reference.Id}-${i}`;
const findings: AsffFinding[] = Array.from({ length: 150 }, (_, i) => ({ ...reference, Id: findingId(i) }));

const action = (over: Partial<ExecAction> & Pick<ExecAction, 'kind' | 'target'>): ExecAction => ({
  actionId: `act-${Math.random().toString(36).slice(2, 10)}`,
  parameters: {},
  verdict: { incidentId: 'inc-9', verdictVersion: 3, severity: 'critical', riskScore: 91, summary: 'summary <@here>' },
  ...over,
});

let qradar: QradarEmulator;
let aws: AwsEmulator;
let client: QradarClient;
const credentials = { accessKeyId: 'AKIDSEAMACTUATOR', secretAccessKey: 'any' };
let hub: SecurityHubExecutor;
let ssm: SsmAutomationExecutor;

beforeAll(async () => {
  qradar = await startQradarEmulator({ token: 'qradar-test-token', scenarioPath });
  aws = await startAwsEmulator({ accessKeyIds: [credentials.accessKeyId], adminToken: 'admin', findings, state: { automation: { pendingMs: 30, runMs: 120 } } });
  client = new QradarClient({ baseUrl: qradar.url, token: new Secret('qradar-test-token'), initialBackoffMs: 20 });
  const base = { endpoint: aws.url, region: 'us-east-1', credentials, maxAttempts: 5 };
  hub = new SecurityHubExecutor({ client: new SecurityHubClient(base), updatedBy: 'seam-actuator', initialBackoffMs: 20 });
  ssm = new SsmAutomationExecutor({ client: new SSMClient(base), assumeRoleArn: 'arn:aws:iam::123456789012:role/SeamContain', pollIntervalMs: 40, followTimeoutMs: 5_000 });
});
afterAll(async () => {
  await qradar.close();
  await aws.close();
});
beforeEach(() => {
  qradar.state.reset();
  qradar.faults.set({});
  aws.state.reset();
  aws.faults.set({});
});

describe('QRadar executors', () => {
  it('adds a note with note_text as a query parameter, carrying the action marker; reconcile finds it', async () => {
    const a = action({ kind: 'qradar.note', target: '15', parameters: { note_text: 'Seam: critical' } });
    expect((await new QradarNoteExecutor(client).reconcile(a)).state).toBe('run');
    const result = await new QradarNoteExecutor(client).execute(a);
    expect(result.ok).toBe(true);
    const writes = qradar.state.recordedWrites('offense.note');
    expect(writes).toHaveLength(1);
    expect(writes[0]).toMatchObject({ method: 'POST', path: '/api/siem/offenses/15/notes', status: 201 });
    expect(writes[0]?.params['note_text']).toBe(`Seam: critical ${noteMarker(a.actionId)}`);
    expect(writes[0]?.body).toBeUndefined();
    const rec = await new QradarNoteExecutor(client).reconcile(a);
    expect(rec).toMatchObject({ state: 'done', result: { ok: true, externalId: result.externalId } });
  });

  it('retries a rate-limited (429) and a 503 answer, then succeeds once', async () => {
    qradar.faults.set({ rateLimit: { next: 1, retryAfterSeconds: 0 }, fail5xx: { next: 1, status: 503 } });
    const result = await new QradarNoteExecutor(client).execute(action({ kind: 'qradar.note', target: '16', parameters: { note_text: 'x' } }));
    expect(result.ok).toBe(true);
    expect(qradar.state.recordedWrites('offense.note').filter((w) => w.status === 201)).toHaveLength(1);
  });

  it('assigns with assigned_to and follow_up', async () => {
    const result = await new QradarAssignExecutor(client).execute(action({ kind: 'qradar.assign', target: '15', parameters: { team: 'soc-l2', assigned_to: 'jdoe' } }));
    expect(result.ok).toBe(true);
    const [write] = qradar.state.recordedWrites('offense.update');
    expect(write).toMatchObject({ path: '/api/siem/offenses/15', status: 200 });
    expect(write?.params).toMatchObject({ assigned_to: 'jdoe', follow_up: 'true' });
    expect(write?.params['status']).toBeUndefined();
  });

  it('closes with a closing_reason_id looked up from the reasons; an unknown reason closes nothing', async () => {
    const close = new QradarCloseExecutor(client);
    await expect(close.execute(action({ kind: 'qradar.close', target: '15', parameters: { closing_reason: 'Because I said so' } }))).rejects.toThrow(/no closing reason/);
    expect(qradar.state.recordedWrites('offense.update')).toHaveLength(0);
    const a = action({ kind: 'qradar.close', target: '15', parameters: { closing_reason: 'False-Positive, Tuned', pattern: 'scanner' } });
    expect((await close.reconcile(a)).state).toBe('run');
    expect((await close.execute(a)).ok).toBe(true);
    const [write] = qradar.state.recordedWrites('offense.update');
    expect(write?.params).toMatchObject({ status: 'CLOSED', closing_reason_id: '2' });
    expect(write?.status).toBe(200);
    expect((await close.reconcile(a)).state).toBe('done');
  });

  it('upserts the AI criticality into a reference set, creating the set when missing', async () => {
    const exec = new QradarReferenceSetExecutor(client);
    const params = { set: 'Seam AI Critical Offenses', value: '15', source: 'seam:critical:91' };
    expect((await exec.execute(action({ kind: 'qradar.reference_set', target: 'x/15', parameters: params }))).ok).toBe(true);
    expect((await exec.execute(action({ kind: 'qradar.reference_set', target: 'x/16', parameters: { ...params, value: '16' } }))).ok).toBe(true);
    const writes = qradar.state.recordedWrites().filter((w) => w.kind.startsWith('reference_set'));
    expect(writes.map((w) => `${w.kind} ${w.status}`)).toEqual(['reference_set.value 404', 'reference_set.create 201', 'reference_set.value 200', 'reference_set.value 200']);
    expect(writes[1]?.params).toMatchObject({ name: 'Seam AI Critical Offenses', element_type: 'ALN' });
    expect(writes[3]?.params).toMatchObject({ value: '16', source: 'seam:critical:91' });
  });
});

describe('Security Hub executor', () => {
  const update = (i: number, over: Record<string, string> = {}) =>
    action({ kind: 'securityhub.update', target: findingId(i), parameters: { workflowStatus: 'NOTIFIED', note: 'Seam: critical', severityLabel: 'HIGH', ...over } });

  it('updates 150 findings in calls of at most 100 with Workflow, Severity, Note.UpdatedBy and UserDefinedFields', async () => {
    const actions = Array.from({ length: 150 }, (_, i) => update(i));
    const results = await hub.executeMany(actions);
    expect([...results.values()].filter((r) => r.ok)).toHaveLength(150);
    const calls = aws.state.calls.list({ operation: 'BatchUpdateFindings' });
    expect(calls.map((c) => (c.params as { FindingIdentifiers: unknown[] }).FindingIdentifiers.length)).toEqual([100, 50]);
    expect(calls[0]?.params).toMatchObject({
      Workflow: { Status: 'NOTIFIED' }, Severity: { Label: 'HIGH' }, Note: { Text: 'Seam: critical', UpdatedBy: 'seam-actuator' },
      UserDefinedFields: { seamIncidentId: 'inc-9', seamVerdictVersion: '3' },
    });
    expect((calls[0]?.params as { FindingIdentifiers: { ProductArn: string }[] }).FindingIdentifiers[0]?.ProductArn).toBe(reference.ProductArn);
  });

  it('retries unprocessed findings with backoff, then reports the ones that stay unprocessed as failed', async () => {
    aws.faults.set({ unprocessedFindings: { ids: [findingId(1)], errorCode: 'ConcurrentUpdateError', calls: 1 } });
    const ok = await hub.executeMany([update(0), update(1)]);
    expect([...ok.values()].every((r) => r.ok)).toBe(true);
    const calls = aws.state.calls.list({ operation: 'BatchUpdateFindings' });
    expect(calls.map((c) => (c.params as { FindingIdentifiers: { Id: string }[] }).FindingIdentifiers.map((f) => f.Id))).toEqual([[findingId(0), findingId(1)], [findingId(1)]]);

    aws.state.reset();
    aws.faults.set({ unprocessedFindings: { ids: [findingId(2)], errorCode: 'ConcurrentUpdateError', calls: 100 } });
    const a = update(2);
    const b = update(3);
    const mixed = await hub.executeMany([a, b]);
    expect(mixed.get(a.actionId)).toMatchObject({ ok: false });
    expect(mixed.get(a.actionId)?.message).toMatch(/ConcurrentUpdateError after 4 attempts/);
    expect(mixed.get(b.actionId)?.ok).toBe(true);
    expect(aws.state.calls.list({ operation: 'BatchUpdateFindings' })).toHaveLength(4);
  });

  it('backs off and retries when throttled', async () => {
    aws.faults.set({ throttle: { next: 2 }, operations: ['BatchUpdateFindings'] });
    const result = await hub.execute(update(5));
    expect(result.ok).toBe(true);
    expect(aws.state.calls.list({ operation: 'BatchUpdateFindings' }).map((c) => c.status)).toEqual([429, 429, 200]);
  });

  it('reports an unknown finding as failed without a call, and resolves the account for the deny lists', async () => {
    const result = await hub.execute(action({ kind: 'securityhub.update', target: 'nope', parameters: { workflowStatus: 'NOTIFIED' } }));
    expect(result).toMatchObject({ ok: false, message: 'finding nope not found' });
    expect(aws.state.calls.list({ operation: 'BatchUpdateFindings' })).toHaveLength(0);
    expect(await hub.subjects(update(0))).toEqual({ accounts: ['193043430472'], instanceIds: ['i-0c10c2c7863d1a356'] });
  });
});

describe('SSM automation executor', () => {
  const contain = (over: Partial<ExecAction> = {}) => action({
    kind: 'ssm.automation', target: 'i-0abc1234def567890',
    parameters: { DocumentName: 'AWSSupport-ContainEC2Instance', InstanceId: 'i-0abc1234def567890', Action: 'Contain' }, ...over,
  });

  it('starts AWSSupport-ContainEC2Instance with a ClientToken and follows it to Success', async () => {
    const a = contain();
    const result = await ssm.execute(a);
    expect(result).toMatchObject({ ok: true });
    const [start] = aws.state.calls.list({ operation: 'StartAutomationExecution' });
    expect(start?.params).toEqual({
      DocumentName: 'AWSSupport-ContainEC2Instance',
      Parameters: { InstanceId: ['i-0abc1234def567890'], Action: ['Contain'], AutomationAssumeRole: ['arn:aws:iam::123456789012:role/SeamContain'] },
      ClientToken: clientTokenFor(a.actionId),
    });
    expect(aws.state.calls.list({ operation: 'GetAutomationExecution' }).length).toBeGreaterThanOrEqual(2);
    // A second run of the same action (retry, restart) gets the same execution back: one execution.
    const again = await ssm.execute(a);
    expect(again.externalId).toBe(result.externalId);
    expect(aws.state.ssm.list(Date.now())).toHaveLength(1);
  });

  it('reports a failed execution, and backs off when throttled', async () => {
    aws.faults.set({ automationFailure: { documents: ['AWSSupport-ContainEC2Instance'], next: 1, status: 'Failed', message: 'instance not found' } });
    const failed = await ssm.execute(contain());
    expect(failed.ok).toBe(false);
    expect(failed.message).toMatch(/Failed \(instance not found\)/);
    aws.faults.set({ throttle: { next: 2 }, operations: ['StartAutomationExecution'] });
    expect((await ssm.execute(contain())).ok).toBe(true);
    expect(aws.state.calls.list({ operation: 'StartAutomationExecution' }).slice(-3).map((c) => c.errorCode ?? 'ok')).toEqual(['ThrottlingException', 'ThrottlingException', 'ok']);
  });
});

describe('notify executor', () => {
  let server: Server;
  const received: { body: string; contentType: string | undefined }[] = [];
  let failNext = 0;
  beforeAll(async () => {
    server = createServer((req, res) => {
      let body = '';
      req.on('data', (chunk: Buffer) => { body += chunk.toString('utf8'); });
      req.on('end', () => {
        received.push({ body, contentType: req.headers['content-type'] });
        if (failNext > 0) {
          failNext--;
          res.writeHead(500).end('oops');
        } else res.writeHead(200).end('ok');
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  });
  afterAll(async () => {
    await new Promise<void>((r) => server.close(() => r()));
  });

  it('posts incoming-webhook JSON, retrying a 5xx; mentions in attacker text are defused', async () => {
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
    failNext = 1;
    const exec = new NotifyExecutor({ webhookUrl: new Secret(url), approvalsUrl: 'http://127.0.0.1:8080/approvals' });
    const a = action({ kind: 'notify', target: '#soc' });
    const result = await exec.execute(a);
    expect(result.ok).toBe(true);
    expect(result.message).not.toContain(url);
    expect(received).toHaveLength(2);
    expect(received[1]?.contentType).toBe('application/json');
    const text = (JSON.parse(received[1]?.body ?? '{}') as { text: string }).text;
    expect(text).toContain('CRITICAL incident inc-9');
    expect(text).not.toContain('<@here>');
    expect(text).toContain(`[seam-action:${a.actionId}]`);
    expect((await exec.reconcile()).state).toBe('unknown');
  });
});
