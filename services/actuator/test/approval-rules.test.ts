import { describe, expect, it } from 'vitest';
import type { Actor } from '../src/approvals/backend';
import { recordsOf, toRecord, type StoredAction } from '../src/domain/action';
import { approve, edit, expireIfDue, reject } from '../src/domain/approval';
import { policyWith, T0 } from './fixtures';

const alice: Actor = { name: 'alice', role: 'approver', via: 'bearer' };
const bob: Actor = { name: 'bob', role: 'admin', via: 'slack' };
const vera: Actor = { name: 'vera', role: 'viewer', via: 'bearer' };

const proposal = (over: Partial<StoredAction> = {}): StoredAction => ({
  actionId: 'a1', kind: 'ssm.automation', target: 'i-0abc1234def567890',
  parameters: { DocumentName: 'AWSSupport-ContainEC2Instance', InstanceId: 'i-0abc1234def567890', Action: 'Contain' },
  status: 'proposed', sequence: 1, policyRule: 'ssm.automation.phase=assist', actor: 'system', at: T0, proposedAt: T0, expiresAt: T0 + 1_000,
  approvalsRequired: 2, approverRole: 'approver', approvals: [], editable: [],
  verdict: { incidentId: 'inc-1', incidentVersion: 1, verdictVersion: 1, severity: 'critical', riskScore: 90, confidence: 0.9, summary: 's', rationale: 'r' },
  evidence: [], history: [],
  ...over,
});

const asAction = (o: ReturnType<typeof approve>): StoredAction => {
  if (o === 'same' || 'error' in o) throw new Error(`expected an action, got ${JSON.stringify(o)}`);
  return o;
};

describe('approval rules', () => {
  it('needs N distinct approvers; the same approver twice counts once', () => {
    const one = asAction(approve(proposal(), alice, T0 + 10));
    expect(one).toMatchObject({ status: 'proposed', sequence: 1, approvals: ['bearer:alice'] });
    expect(approve(one, alice, T0 + 20)).toBe('same');
    const two = asAction(approve(one, bob, T0 + 30, 'ok'));
    expect(two).toMatchObject({ status: 'approved', sequence: 2, actor: 'slack:bob', approvals: ['bearer:alice', 'slack:bob'] });
    expect(toRecord(two)).toMatchObject({ kind: 'ssm_automation', state: 'approved', sequence: 2, actor: 'slack:bob' });
    expect(approve(two, alice, T0 + 40)).toMatchObject({ error: 'conflict' });
  });

  it('an expired approval never executes: approving after the window is refused and the proposal expires', () => {
    const one = asAction(approve(proposal(), alice, T0 + 10));
    expect(approve(one, bob, T0 + 1_001)).toMatchObject({ error: 'conflict' });
    expect(expireIfDue(one, T0 + 1_000)).toBeNull();
    expect(expireIfDue(one, T0 + 1_001)).toMatchObject({ status: 'expired', sequence: 2, result: { ok: false } });
    expect(expireIfDue(asAction(approve(one, bob, T0 + 20)), T0 + 5_000)).toBeNull();
  });

  it('roles: viewers cannot decide; an admin-only action refuses approvers', () => {
    expect(approve(proposal(), vera, T0)).toMatchObject({ error: 'forbidden' });
    expect(reject(proposal(), vera, T0)).toMatchObject({ error: 'forbidden' });
    expect(approve(proposal({ approverRole: 'admin' }), alice, T0)).toMatchObject({ error: 'forbidden' });
    expect(asAction(approve(proposal({ approverRole: 'admin', approvalsRequired: 1 }), bob, T0)).status).toBe('approved');
  });

  it('reject records who and why; edits stay within bounds and reset approvals', () => {
    expect(asAction(reject(proposal(), alice, T0, 'wrong host'))).toMatchObject({ status: 'rejected', actor: 'bearer:alice', result: { message: 'rejected by bearer:alice: wrong host' } });
    const policy = policyWith();
    const approved = asAction(approve(proposal(), alice, T0));
    expect(edit(approved, alice, T0, policy.actions['ssm.automation'], { Action: 'Release' })).toMatchObject({ error: 'invalid' });
    expect(edit(approved, alice, T0, policy.actions['ssm.automation'], { DocumentName: 'AWS-Other' })).toMatchObject({ error: 'invalid' });
    expect(asAction(edit(approved, alice, T0, policy.actions['ssm.automation'], { Action: 'Contain' }))).toMatchObject({ status: 'proposed', sequence: 2, approvals: [] });
  });

  it('keeps the record of every sequence, so a redelivery can produce the whole history again', () => {
    // An action stored before `records` existed: only its current record is known.
    expect(recordsOf(proposal()).map((r) => `${r.state}#${r.sequence}`)).toEqual(['proposed#1']);
    const start = proposal();
    const created = { ...start, records: [toRecord(start)] };
    const edited = asAction(edit(created, alice, T0 + 10, policyWith().actions['ssm.automation'], { Action: 'Contain' }));
    const one = asAction(approve(edited, alice, T0 + 20));
    const two = asAction(approve(one, bob, T0 + 30));
        expect(recordsOf(two).map((r) => `${r.state}#${r.sequence}`)).toEqual(['proposed#1', 'proposed#2', 'approved#3']);
    // Each one as produced at its time, not the current state relabelled.
    expect(recordsOf(two).map((r) => r.actor)).toEqual(['system', 'bearer:alice', 'slack:bob']);
    expect(recordsOf(two).map((r) => r.at)).toEqual([T0, T0 + 10, T0 + 30]);
    expect(recordsOf(two).at(-1)).toEqual(toRecord(two));
  });
});
