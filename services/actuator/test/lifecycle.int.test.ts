/**
 * The lifecycle on real Redis with the QRadar and AWS emulators: idempotency (redelivery, claims,
 * crash reconciliation), approvals (roles, N approvers, expiry fail closed, edits within bounds),
 * supersession, deny lists re-checked before an approved action runs, rate limits.
 */
import { randomUUID } from 'node:crypto';
import { SecurityHubClient } from '@aws-sdk/client-securityhub';
import { SSMClient } from '@aws-sdk/client-ssm';
import { startAwsEmulator, type AwsEmulator } from '@seam/infra/aws-emulator/index';
import { startQradarEmulator, type QradarEmulator } from '@seam/infra/qradar-emulator/index';
import { createLogger, Secret } from '@seam/kit';
import type { ActionRecord } from '@seam/schemas/records/action';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Actor } from '../src/approvals/backend';
import type { Executors } from '../src/adapters/executor';
import { NotifyExecutor } from '../src/adapters/notify';
import { QradarAssignExecutor, QradarClient, QradarCloseExecutor, QradarNoteExecutor, QradarReferenceSetExecutor } from '../src/adapters/qradar';
import { RedisActionStore } from '../src/adapters/redis-store';
import { SecurityHubExecutor } from '../src/adapters/securityhub';
import { SsmAutomationExecutor } from '../src/adapters/ssm';
import { actionIdFor, noteActionIdFor } from '../src/domain/plan';
import type { Policy } from '../src/domain/policy';
import { ActionLifecycle } from '../src/lifecycle';
import { policyWith, T0, verdict, type PolicyJson } from './fixtures';

const scenarioPath = new URL('../../../infra/scenarios/qradar-sample.jsonl', import.meta.url).pathname;
const redis = new Redis(process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379', { maxRetriesPerRequest: 3 });
const log = createLogger({ service: 'actuator-test', level: 'silent' });
let qradar: QradarEmulator;
let aws: AwsEmulator;
let executors: Executors;
let hub: SecurityHubExecutor;
const stores: RedisActionStore[] = [];

const alice: Actor = { name: 'alice', role: 'approver', via: 'bearer' };
const bob: Actor = { name: 'bob', role: 'admin', via: 'bearer' };
const victor: Actor = { name: 'victor', role: 'viewer', via: 'bearer' };

beforeAll(async () => {
  qradar = await startQradarEmulator({ token: 'qradar-test-token', scenarioPath });
  aws = await startAwsEmulator({ accessKeyIds: ['AKIDSEAMACTUATOR'], adminToken: 'admin', state: { automation: { pendingMs: 20, runMs: 60 } } });
  const client = new QradarClient({ baseUrl: qradar.url, token: new Secret('qradar-test-token'), initialBackoffMs: 20 });
  const base = { endpoint: aws.url, region: 'us-east-1', credentials: { accessKeyId: 'AKIDSEAMACTUATOR', secretAccessKey: 'x' }, maxAttempts: 4 };
  hub = new SecurityHubExecutor({ client: new SecurityHubClient(base), updatedBy: 'seam-actuator' });
  executors = {
    'qradar.note': new QradarNoteExecutor(client),
    'qradar.assign': new QradarAssignExecutor(client),
    'qradar.close': new QradarCloseExecutor(client),
    'qradar.reference_set': new QradarReferenceSetExecutor(client),
    'securityhub.update': hub,
    'ssm.automation': new SsmAutomationExecutor({ client: new SSMClient(base), assumeRoleArn: 'arn:aws:iam::123456789012:role/SeamContain', pollIntervalMs: 30 }),
    notify: new NotifyExecutor({ webhookUrl: undefined }),
  };
});
afterAll(async () => {
  await qradar.close();
  await aws.close();
  await redis.quit();
});
beforeEach(() => {
  qradar.state.reset();
  aws.state.reset();
});
afterEach(async () => {
  for (const store of stores.splice(0)) await store.purge();
});

function build(policy: Policy, options: { now?: () => number; leaseMs?: number; owner?: string; store?: RedisActionStore; emitFails?: () => boolean } = {}) {
  const store = options.store ?? new RedisActionStore({ redis, prefix: `t-${randomUUID().slice(0, 8)}:` });
  stores.push(store);
  const emitted: ActionRecord[] = [];
  const lifecycle = new ActionLifecycle({
    store, policy: () => policy, executors, securityHub: hub, log,
    emit: (records) => {
      if (options.emitFails?.() === true) return Promise.reject(new Error('produce failed (test)'));
      emitted.push(...records);
      return Promise.resolve();
    },
    owner: options.owner ?? 'test-1', leaseMs: options.leaseMs ?? 5_000, ...(options.now === undefined ? {} : { now: options.now }),
  });
  return { store, lifecycle, emitted };
}

const notesOn = (offense: number) => qradar.state.recordedWrites('offense.note').filter((w) => w.path === `/api/siem/offenses/${offense}/notes` && w.status === 201);
const states = (records: readonly ActionRecord[], id: string) => records.filter((r) => r.actionId === id).map((r) => `${r.state}#${r.sequence}`);

describe('consume path', () => {
  it('assist: notes at once, other actions proposed; a redelivered verdict acts once and re-emits every state so far', async () => {
    const { lifecycle } = build(policyWith());
    const v = verdict();
    const first = await lifecycle.handleVerdict(v);
    const note = noteActionIdFor('inc-1', '15', 'Seam verdict: critical');
    const ssm = actionIdFor('inc-1', 1, 'ssm.automation', 'i-0abc1234def567890');
    expect(states(first, note)).toEqual(['executing#1', 'succeeded#2']);
    expect(states(first, ssm)).toEqual(['proposed#1']);
    expect(first.find((r) => r.actionId === note && r.state === 'succeeded')).toMatchObject({ kind: 'qradar_note', actor: 'system', policyRule: 'qradar.note.phase=assist', result: { ok: true } });
    // As after a crash between storing and producing: the redelivery must not leave executing#1 out.
    const again = await lifecycle.handleVerdict(v);
    expect(states(again, note)).toEqual(['executing#1', 'succeeded#2']);
    expect(again.filter((r) => r.actionId === note)).toEqual(first.filter((r) => r.actionId === note));
    expect(states(again, ssm)).toEqual(['proposed#1']);
    expect(notesOn(15)).toHaveLength(1);
    expect(aws.state.calls.list({ operation: 'StartAutomationExecution' })).toHaveLength(0);
  });

  it('shadow records only and touches nothing', async () => {
    const { lifecycle } = build(policyWith((p: PolicyJson) => { for (const k of Object.keys(p.actions) as (keyof PolicyJson['actions'])[]) p.actions[k].phase = 'shadow'; }));
    const out = await lifecycle.handleVerdict(verdict());
    expect(new Set(out.map((r) => r.state))).toEqual(new Set(['shadow']));
    expect(qradar.state.recordedWrites()).toHaveLength(0);
    expect(aws.state.calls.list()).toHaveLength(0);
  });

  it('auto: a denied instance is never touched; an allowed one is contained', async () => {
    const policy = policyWith((p) => {
      p.actions['ssm.automation'].phase = 'auto';
      p.deny = { instanceIds: ['i-0deadbeef0000000a'] };
    });
    const { lifecycle } = build(policy);
    const v = verdict({ actions: [
      { kind: 'ssm_automation', target: 'i-0deadbeef0000000a', parameters: { DocumentName: 'AWSSupport-ContainEC2Instance', InstanceId: 'i-0deadbeef0000000a', Action: 'Contain' }, rationale: 'x' },
      { kind: 'ssm_automation', target: 'i-0abc1234def567890', parameters: { DocumentName: 'AWSSupport-ContainEC2Instance', InstanceId: 'i-0abc1234def567890', Action: 'Contain' }, rationale: 'x' },
    ] });
    const out = await lifecycle.handleVerdict(v);
    const denied = out.find((r) => r.target === 'i-0deadbeef0000000a');
    expect(denied).toMatchObject({ state: 'rejected', actor: 'policy', policyRule: 'deny.instanceIds' });
    expect(states(out, actionIdFor('inc-1', 1, 'ssm.automation', 'i-0abc1234def567890'))).toEqual(['executing#1', 'succeeded#2']);
    const starts = aws.state.calls.list({ operation: 'StartAutomationExecution' });
    expect(starts).toHaveLength(1);
    expect(JSON.stringify(starts[0]?.params)).not.toContain('i-0deadbeef0000000a');
  });

  it('rate limit: past the window maximum an automatic action waits for approval', async () => {
    const policy = policyWith((p) => {
      p.actions['ssm.automation'].phase = 'auto';
      p.actions['ssm.automation'].rateLimit = { max: 1, windowMs: 3_600_000 };
    });
    const { lifecycle } = build(policy);
    const mk = (id: string) => ({ kind: 'ssm_automation' as const, target: id, parameters: { DocumentName: 'AWSSupport-ContainEC2Instance', InstanceId: id, Action: 'Contain' }, rationale: 'x' });
    const out = await lifecycle.handleVerdict(verdict({ actions: [mk('i-0abc1234def567890'), mk('i-0abc1234def567891')] }));
    expect(out.map((r) => `${r.target} ${r.state} ${r.policyRule}`)).toEqual([
      'i-0abc1234def567890 executing ssm.automation.phase=auto',
      'i-0abc1234def567891 proposed ssm.automation.rateLimit',
      'i-0abc1234def567890 succeeded ssm.automation.phase=auto',
    ]);
  });

  it('a later verdict version supersedes pending proposals of earlier ones', async () => {
    const { lifecycle, store } = build(policyWith());
    await lifecycle.handleVerdict(verdict());
    const old = actionIdFor('inc-1', 1, 'ssm.automation', 'i-0abc1234def567890');
    const out = await lifecycle.handleVerdict(verdict({ verdictVersion: 2 }));
    expect(out.find((r) => r.actionId === old)).toMatchObject({ state: 'rejected', policyRule: 'superseded', sequence: 2 });
    expect((await store.get(old))?.status).toBe('rejected');
    expect(await lifecycle.approve(old, alice)).toMatchObject({ ok: false, error: 'conflict' });
    // Version 1 again (replayed late): nothing new is proposed or executed.
    const writes = qradar.state.recordedWrites().length;
    const replay = await lifecycle.handleVerdict(verdict({ verdictVersion: 1, actions: [{ kind: 'qradar_note', target: '16', parameters: { note_text: 'late' }, rationale: 'r' }] }));
    expect(replay).toEqual([]);
    expect(qradar.state.recordedWrites()).toHaveLength(writes);
  });
});

describe('QRadar notes across verdict versions', () => {
  const noteOnly = (text: string) => [{ kind: 'qradar_note' as const, target: '15', parameters: { note_text: text }, rationale: 'record' }];

  it('a later version with the same note text writes no second note; a changed text writes a new one', async () => {
    const { lifecycle } = build(policyWith());
    const same = noteActionIdFor('inc-1', '15', 'Seam verdict: high');
    await lifecycle.handleVerdict(verdict({ verdictVersion: 1, actions: noteOnly('Seam verdict: high') }));
    const again = await lifecycle.handleVerdict(verdict({ verdictVersion: 2, actions: noteOnly('Seam verdict: high') }));
    // The existing action's states are produced again (same sequences), nothing is executed.
    expect(states(again, same)).toEqual(['executing#1', 'succeeded#2']);
    expect(notesOn(15)).toHaveLength(1);
    const changed = await lifecycle.handleVerdict(verdict({ verdictVersion: 3, actions: noteOnly('Seam verdict: critical') }));
    expect(states(changed, noteActionIdFor('inc-1', '15', 'Seam verdict: critical'))).toEqual(['executing#1', 'succeeded#2']);
    expect(notesOn(15)).toHaveLength(2);
  });

  it('a pending note proposal planned again by the next version stays pending; a changed text supersedes it', async () => {
    // Notes in auto phase below its minimum severity are proposed, not executed.
    const { lifecycle, store } = build(policyWith((p) => {
      p.actions['qradar.note'].phase = 'auto';
      p.actions['qradar.note'].auto = { minSeverity: 'critical', minConfidence: 0.5, tactics: [] };
    }));
    const first = noteActionIdFor('inc-1', '15', 'Seam verdict: high');
    await lifecycle.handleVerdict(verdict({ verdictVersion: 1, severity: 'high', actions: noteOnly('Seam verdict: high') }));
    expect((await store.get(first))?.status).toBe('proposed');
    const again = await lifecycle.handleVerdict(verdict({ verdictVersion: 2, severity: 'high', actions: noteOnly('Seam verdict: high') }));
    expect(states(again, first)).toEqual(['proposed#1']);
    expect((await store.get(first))?.status).toBe('proposed');
    const changed = await lifecycle.handleVerdict(verdict({ verdictVersion: 3, severity: 'high', actions: noteOnly('Seam verdict: high, more evidence') }));
    expect(changed.find((r) => r.actionId === first)).toMatchObject({ state: 'rejected', policyRule: 'superseded' });
    expect((await store.get(noteActionIdFor('inc-1', '15', 'Seam verdict: high, more evidence')))?.status).toBe('proposed');
    expect(notesOn(15)).toHaveLength(0);
  });
});

describe('approvals', () => {
  const ssmId = actionIdFor('inc-1', 1, 'ssm.automation', 'i-0abc1234def567890');

  it('needs N distinct approvers with the role; double clicks count once; viewers are refused', async () => {
    const { lifecycle, emitted } = build(policyWith());
    await lifecycle.handleVerdict(verdict());
    expect(await lifecycle.approve(ssmId, victor)).toMatchObject({ ok: false, error: 'forbidden' });
    expect(await lifecycle.approve('nope', alice)).toMatchObject({ ok: false, error: 'not_found' });
    const one = await lifecycle.approve(ssmId, alice, 'looks right');
    expect(one).toMatchObject({ ok: true, action: { status: 'proposed', approvals: ['bearer:alice'], approvalsRequired: 2 } });
    expect(await lifecycle.approve(ssmId, alice)).toMatchObject({ ok: true, action: { approvals: ['bearer:alice'] } });
    expect(aws.state.calls.list({ operation: 'StartAutomationExecution' })).toHaveLength(0);
    const two = await lifecycle.approve(ssmId, bob);
    expect(two).toMatchObject({ ok: true, action: { status: 'approved' } });
    await lifecycle.idle();
    expect(states(emitted, ssmId)).toEqual(['approved#2', 'executing#3', 'succeeded#4']);
    expect(emitted.find((r) => r.state === 'approved')?.actor).toBe('bearer:bob');
    expect(aws.state.calls.list({ operation: 'StartAutomationExecution' })).toHaveLength(1);
    expect(await lifecycle.approve(ssmId, alice)).toMatchObject({ ok: false, error: 'conflict' });
  });

  it('an expired approval never executes (fail closed); the sweeper expires pending ones', async () => {
    let now = T0;
    const { lifecycle, emitted } = build(policyWith(), { now: () => now });
    const v = verdict();
    await lifecycle.handleVerdict(verdict({ actions: [...v.recommendedActions, { kind: 'qradar_assign', target: '15', parameters: { team: 'soc', assigned_to: 'jdoe' }, rationale: 'r' }] }));
    await lifecycle.approve(ssmId, alice);
    now += 1_800_001;
    expect(await lifecycle.approve(ssmId, bob)).toMatchObject({ ok: false, error: 'conflict' });
    await lifecycle.idle();
    expect(states(emitted, ssmId)).toEqual(['expired#2']);
    expect(aws.state.calls.list({ operation: 'StartAutomationExecution' })).toHaveLength(0);
    const assign = actionIdFor('inc-1', 1, 'qradar.assign', '15');
    expect(await lifecycle.sweep()).toBe(0);
    now += 3_600_000;
    expect(await lifecycle.sweep()).toBe(1);
    expect(states(emitted, assign)).toEqual(['expired#2']);
    expect(await lifecycle.list({ status: 'proposed' })).toHaveLength(0);
    expect(qradar.state.recordedWrites('offense.update')).toHaveLength(0);
  });

  it('a state stored but never produced (crash before the emit) is produced by the sweeper after a lease, once', async () => {
    let now = T0;
    let failing = false;
    const { lifecycle, emitted } = build(policyWith(), { now: () => now, emitFails: () => failing });
    await lifecycle.handleVerdict(verdict());
    failing = true;
    // The decision stands although its record could not be produced now.
    expect(await lifecycle.reject(ssmId, alice, 'not this host')).toMatchObject({ ok: true, action: { status: 'rejected' } });
    failing = false;
    expect((await lifecycle.get(ssmId))?.status).toBe('rejected');
    await lifecycle.sweep();
    // Within the lease the writer may still be producing it itself.
    expect(states(emitted, ssmId)).toEqual([]);
    now += 5_001;
    // Two sweeps at once (the timer does not wait): one sweep, the records produced once.
    await Promise.all([lifecycle.sweep(), lifecycle.sweep()]);
    expect(states(emitted, ssmId)).toEqual(['proposed#1', 'rejected#2']);
    await lifecycle.sweep();
    expect(states(emitted, ssmId)).toEqual(['proposed#1', 'rejected#2']);
  });

  it('an approved action left executing (its executing record failed to produce): the sweeper produces it and finishes the execution once', async () => {
    let now = T0;
    let failing = false;
    const { lifecycle, emitted } = build(policyWith(), { now: () => now, emitFails: () => failing });
    await lifecycle.handleVerdict(verdict());
    await lifecycle.approve(ssmId, alice);
    await lifecycle.approve(ssmId, bob);
    failing = true;
    await lifecycle.idle();
    failing = false;
    expect((await lifecycle.get(ssmId))?.status).toBe('executing');
    expect(states(emitted, ssmId)).toEqual(['approved#2']);
    expect(aws.state.calls.list({ operation: 'StartAutomationExecution' })).toHaveLength(0);
    await lifecycle.sweep();
    await lifecycle.idle();
    expect(states(emitted, ssmId)).toEqual(['approved#2']);
    now += 5_001;
    await lifecycle.sweep();
    await lifecycle.idle();
    expect(states(emitted, ssmId)).toEqual(['approved#2', 'proposed#1', 'approved#2', 'executing#3', 'succeeded#4']);
    expect(aws.state.calls.list({ operation: 'StartAutomationExecution' })).toHaveLength(1);
    await lifecycle.sweep();
    await lifecycle.idle();
    expect(states(emitted, ssmId)).toHaveLength(5);
  });

  it('reject and edit: edits only within the policy bounds, and they reset approvals', async () => {
    const { lifecycle, emitted } = build(policyWith());
    await lifecycle.handleVerdict(verdict());
    await lifecycle.approve(ssmId, alice);
    expect(await lifecycle.edit(ssmId, alice, { Action: 'Release' })).toMatchObject({ ok: false, error: 'invalid' });
    expect(await lifecycle.edit(ssmId, alice, { InstanceId: 'i-0fff' })).toMatchObject({ ok: false, error: 'invalid' });
    const edited = await lifecycle.edit(ssmId, alice, { Action: 'Contain' });
    expect(edited).toMatchObject({ ok: true, action: { approvals: [], status: 'proposed' } });
    expect(await lifecycle.reject(ssmId, victor)).toMatchObject({ ok: false, error: 'forbidden' });
    expect(await lifecycle.reject(ssmId, alice, 'not this host')).toMatchObject({ ok: true, action: { status: 'rejected' } });
    expect(states(emitted, ssmId)).toEqual(['proposed#2', 'rejected#3']);
    const view = await lifecycle.get(ssmId);
    expect(view?.evidence[0]?.eventId).toBe('qradar:offense:15');
    expect(view?.editable.map((e) => e.name)).toEqual(['Action']);
  });

  it('re-checks the deny lists before an approved action runs', async () => {
    let policy = policyWith();
    const { lifecycle, emitted } = build(policy);
    const lc = lifecycle;
    await lc.handleVerdict(verdict());
    await lc.approve(ssmId, alice);
    policy = policyWith((p) => { p.deny = { instanceIds: ['i-0abc1234def567890'] }; });
    // Swap the policy the lifecycle sees (as a file reload would).
    (lc as unknown as { o: { policy: () => Policy } }).o.policy = () => policy;
    await lc.approve(ssmId, bob);
    await lc.idle();
    expect(states(emitted, ssmId)).toEqual(['approved#2', 'rejected#3']);
    expect(aws.state.calls.list({ operation: 'StartAutomationExecution' })).toHaveLength(0);
  });
});

describe('claims and crash reconciliation', () => {
  const waitFor = async (check: () => boolean, timeoutMs = 5_000) => {
    const end = Date.now() + timeoutMs;
    while (!check()) {
      if (Date.now() > end) throw new Error('timed out');
      await new Promise((r) => setTimeout(r, 20));
    }
  };

  function crashable(policy: Policy) {
    const first = build(policy, { leaseMs: 300, owner: 'first' });
    const paused = new ActionLifecycle({
      store: first.store, policy: () => policy, executors, securityHub: hub, log, emit: () => Promise.resolve(),
      owner: 'first', leaseMs: 300, pauseAfterExecuteMs: 1_500,
    });
    const second = build(policy, { leaseMs: 300, owner: 'second', store: first.store });
    return { paused, second };
  }

  it('a QRadar note executed but not committed is found by its marker and not added again', async () => {
    const policy = policyWith();
    const { paused, second } = crashable(policy);
    const v = verdict({ actions: [{ kind: 'qradar_note', target: '15', parameters: { note_text: 'n' }, rationale: 'r' }] });
    const id = noteActionIdFor('inc-1', '15', 'n');
    const stuck = paused.handleVerdict(v);
    await waitFor(() => notesOn(15).length === 1);
    // The "restarted" instance gets the redelivered verdict while the first one is frozen.
    const out = await second.lifecycle.handleVerdict(v);
    // The interrupted `executing` record is produced again (the crash may have lost it), then the outcome.
    expect(out.filter((r) => r.actionId === id).map((r) => `${r.state}#${r.sequence}`)).toEqual(['executing#1', 'succeeded#2']);
    expect(out.find((r) => r.actionId === id && r.state === 'succeeded')?.result?.message).toMatch(/reconciled/);
    await stuck;
    expect(notesOn(15)).toHaveLength(1);
    expect((await second.store.get(id))?.status).toBe('succeeded');
  });

  it('an SSM automation run again after a crash reuses its ClientToken: one execution', async () => {
    const policy = policyWith((p) => { p.actions['ssm.automation'].phase = 'auto'; });
    const { paused, second } = crashable(policy);
    const v = verdict({ actions: [{ kind: 'ssm_automation', target: 'i-0abc1234def567890', parameters: { DocumentName: 'AWSSupport-ContainEC2Instance', InstanceId: 'i-0abc1234def567890', Action: 'Contain' }, rationale: 'x' }] });
    const stuck = paused.handleVerdict(v);
    await waitFor(() => aws.state.calls.list({ operation: 'StartAutomationExecution' }).length === 1);
    const out = await second.lifecycle.handleVerdict(v);
    expect(out.map((r) => r.state)).toEqual(['executing', 'succeeded']);
    await stuck;
    const starts = aws.state.calls.list({ operation: 'StartAutomationExecution', status: 200 });
    expect(starts.length).toBeGreaterThanOrEqual(1);
    expect(new Set(starts.map((c) => (c.params as { ClientToken: string }).ClientToken)).size).toBe(1);
    expect(aws.state.ssm.list(Date.now())).toHaveLength(1);
  });

  it('a claim with a recorded outcome is never executed again', async () => {
    const policy = policyWith();
    const { store, lifecycle } = build(policy);
    const v = verdict({ actions: [{ kind: 'qradar_note', target: '16', parameters: { note_text: 'n' }, rationale: 'r' }] });
    const id = noteActionIdFor('inc-1', '16', 'n');
    await lifecycle.handleVerdict(v);
    // Lose the final state (as if its commit never happened), keep the claim.
    await store.update(id, (a) => {
      const { result: _lost, ...rest } = a;
      return { ...rest, status: 'executing', sequence: 1, history: a.history.slice(0, 1), records: a.records?.slice(0, 1) ?? [] };
    });
    const out = await lifecycle.handleVerdict(v);
    expect(states(out, id)).toEqual(['executing#1', 'succeeded#2']);
    expect(notesOn(16)).toHaveLength(1);
  });
});
