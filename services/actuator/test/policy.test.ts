import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger } from '@seam/kit';
import { afterEach, describe, expect, it } from 'vitest';
import { PolicyFile } from '../src/adapters/policy-file';
import { checkEdit, decide, parsePolicy, type DecideInput } from '../src/domain/policy';
import { DEFAULT_POLICY_PATH, policyWith, T0 } from './fixtures';

const none = { accounts: [], instanceIds: [], assetTags: [], identities: [] };
const input = (over: Partial<DecideInput> = {}): DecideInput => ({
  kind: 'ssm.automation',
  verdict: { severity: 'critical', confidence: 0.95, falsePositiveLikelihood: 0.05, tactics: ['TA0006'] },
  subjects: none,
  now: T0,
  autoExecutionsInWindow: 0,
  parameters: { DocumentName: 'AWSSupport-ContainEC2Instance', InstanceId: 'i-0abc1234def567890', Action: 'Contain' },
  ...over,
});
const auto = policyWith((p) => {
  p.actions['ssm.automation'].phase = 'auto';
  p.actions['ssm.automation'].auto = { minSeverity: 'high', minConfidence: 0.8, tactics: [] };
  p.deny = { instanceIds: ['i-0deadbeef0000000a'], accounts: ['999999999999'], assetTags: ['crown-jewel'], identities: ['root'] };
});

describe('policy file parsing', () => {
  it('accepts the shipped default policy', () => {
    const parsed = parsePolicy(readFileSync(DEFAULT_POLICY_PATH, 'utf8'));
    expect(parsed.ok).toBe(true);
  });

  it('refuses a bad policy naming the field', () => {
    const json = JSON.parse(readFileSync(DEFAULT_POLICY_PATH, 'utf8')) as { actions: Record<string, { phase: string }> };
    (json.actions['ssm.automation'] as { phase: string }).phase = 'yolo';
    const parsed = parsePolicy(JSON.stringify(json));
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) expect(parsed.message).toContain('actions.ssm.automation.phase');
  });

  it('refuses unknown keys, missing kinds and invalid JSON', () => {
    const json = JSON.parse(readFileSync(DEFAULT_POLICY_PATH, 'utf8')) as Record<string, unknown> & { actions: Record<string, unknown> };
    delete json.actions['notify'];
    json['surprise'] = 1;
    const parsed = parsePolicy(JSON.stringify(json));
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) {
      expect(parsed.message).toContain('actions.notify');
      expect(parsed.message).toContain('surprise');
    }
    expect(parsePolicy('{').ok).toBe(false);
  });
});

describe('decide', () => {
  it('never touches a denied instance, account, tag or identity in auto', () => {
    expect(decide(auto, input()).disposition).toBe('execute');
    for (const subjects of [
      { ...none, instanceIds: ['i-0deadbeef0000000a'] },
      { ...none, accounts: ['999999999999'] },
      { ...none, assetTags: ['crown-jewel'] },
      { ...none, identities: ['root'] },
    ]) {
      const d = decide(auto, input({ subjects }));
      expect(d.disposition).toBe('deny');
      expect(d.rule).toMatch(/^deny\./);
    }
  });

  it('allow lists restrict to the listed subjects', () => {
    const p = policyWith((j) => {
      j.actions['ssm.automation'].phase = 'auto';
      j.allow = { instanceIds: ['i-0abc1234def567890'] };
    });
    expect(decide(p, input({ subjects: { ...none, instanceIds: ['i-0abc1234def567890'] } })).disposition).toBe('execute');
    expect(decide(p, input({ subjects: { ...none, instanceIds: ['i-0fff1234def567890'] } })).rule).toBe('allow.instanceIds');
  });

  it('auto executes only when severity, confidence and tactics hold; else proposes', () => {
    expect(decide(auto, input({ verdict: { severity: 'medium', confidence: 0.95, falsePositiveLikelihood: 0, tactics: [] } }))).toMatchObject({ disposition: 'propose', rule: 'ssm.automation.auto.minSeverity' });
    expect(decide(auto, input({ verdict: { severity: 'critical', confidence: 0.5, falsePositiveLikelihood: 0, tactics: [] } }))).toMatchObject({ disposition: 'propose', rule: 'ssm.automation.auto.minConfidence' });
    const tactic = policyWith((j) => {
      j.actions['ssm.automation'].phase = 'auto';
      j.actions['ssm.automation'].auto = { minSeverity: 'high', minConfidence: 0.5, tactics: ['TA0040'] };
    });
    expect(decide(tactic, input()).rule).toBe('ssm.automation.auto.tactics');
  });

  it('shadow records only; assist executes QRadar notes and proposes everything else', () => {
    const shadow = policyWith((j) => { j.actions['ssm.automation'].phase = 'shadow'; });
    expect(decide(shadow, input()).disposition).toBe('shadow');
    const assist = policyWith();
    expect(decide(assist, input({ kind: 'qradar.note', parameters: {} })).disposition).toBe('execute');
    const proposal = decide(assist, input());
    expect(proposal).toMatchObject({ disposition: 'propose', approvers: { count: 2, role: 'approver' }, expiresAt: T0 + 1_800_000 });
  });

  it('rate limit: over the window maximum an automatic action is proposed instead', () => {
    expect(decide(auto, input({ autoExecutionsInWindow: 4 })).disposition).toBe('execute');
    expect(decide(auto, input({ autoExecutionsInWindow: 5 }))).toMatchObject({ disposition: 'propose', rule: 'ssm.automation.rateLimit' });
  });

  it('closes an offense only for a likely false positive; only allowed automation documents', () => {
    const p = policyWith();
    expect(decide(p, input({ kind: 'qradar.close', parameters: {}, verdict: { severity: 'low', confidence: 0.9, falsePositiveLikelihood: 0.5, tactics: [] } })).rule).toBe('qradar.closeMinFalsePositiveLikelihood');
    expect(decide(p, input({ kind: 'qradar.close', parameters: {}, verdict: { severity: 'low', confidence: 0.9, falsePositiveLikelihood: 0.9, tactics: [] } })).disposition).toBe('propose');
    expect(decide(auto, input({ parameters: { DocumentName: 'AWS-DeleteEverything' } })).rule).toBe('ssm.documents');
  });

  it('checks edits against the bounds', () => {
    const p = policyWith();
    expect(checkEdit(p.actions['ssm.automation'], { Action: 'Contain', InstanceId: 'i-1' }, { Action: 'Release' })).toMatch(/must be one of/);
    expect(checkEdit(p.actions['ssm.automation'], { Action: 'Contain', InstanceId: 'i-1' }, { InstanceId: 'i-2' })).toMatch(/not editable/);
    expect(checkEdit(p.actions['qradar.assign'], { assigned_to: 'a' }, { assigned_to: 'bob smith' })).toMatch(/pattern/);
    expect(checkEdit(p.actions['qradar.assign'], { assigned_to: 'a' }, { assigned_to: 'bob.smith' })).toBeNull();
  });
});

describe('PolicyFile reload', () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });

  it('reloads a good change, refuses a bad one and keeps the last good policy', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'actuator-policy-'));
    dirs.push(dir);
    const path = join(dir, 'policy.json');
    const json = JSON.parse(readFileSync(DEFAULT_POLICY_PATH, 'utf8')) as { actions: Record<string, { phase: string }> };
    writeFileSync(path, JSON.stringify(json));
    const file = new PolicyFile(path, createLogger({ service: 't', level: 'silent' }));
    file.start(50);
    try {
      expect(file.policy.actions['notify'].phase).toBe('auto');
      (json.actions['notify'] as { phase: string }).phase = 'shadow';
      writeFileSync(path, JSON.stringify(json));
      await expect.poll(() => file.policy.actions['notify'].phase, { timeout: 3000 }).toBe('shadow');
      (json.actions['notify'] as { phase: string }).phase = 'sometimes';
      writeFileSync(path, `${JSON.stringify(json)}\n`);
      await expect.poll(() => file.lastError, { timeout: 3000 }).toContain('actions.notify.phase');
      expect(file.policy.actions['notify'].phase).toBe('shadow');
    } finally {
      file.stop();
    }
  });

  it('refuses to start on a bad file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'actuator-policy-'));
    dirs.push(dir);
    const path = join(dir, 'policy.json');
    writeFileSync(path, '{"version": 2}');
    expect(() => new PolicyFile(path, createLogger({ service: 't', level: 'silent' }))).toThrow(/version/);
  });
});
