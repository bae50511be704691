import { describe, expect, it } from 'vitest';
import { scoreBaseline } from '../src/domain/index';
import { actorIp, asset, defaultModel, event, incidentOf, modelWith, STAMP, targetIp } from './fixtures';
import type { SecurityEvent } from '@seam/schemas';

const verdictOf = (events: SecurityEvent[], model = defaultModel) =>
  scoreBaseline({ incident: incidentOf(events), events }, model, STAMP);

describe('owner routing', () => {
  it('takes the support group and person of the most critical targeted asset', () => {
    const e = event({
      entities: { ips: [targetIp('10.0.0.1'), targetIp('10.0.0.2')] },
      enrichment: {
        assets: [
          asset('10.0.0.1', 3, { supportGroup: 'web-ops', owner: 'dave@corp.example' }),
          asset('10.0.0.2', 5, { supportGroup: 'ad-ops', owner: 'erin@corp.example' }),
        ],
      },
    });
    expect(verdictOf([e]).owner).toEqual({ team: 'ad-ops', person: 'erin@corp.example' });
  });

  it('an owner that is a team name becomes the team when there is no support group', () => {
    const e = event({ entities: { ips: [targetIp('10.0.0.1')] }, enrichment: { assets: [asset('10.0.0.1', 4, { owner: 'Identity team' })] } });
    expect(verdictOf([e]).owner).toEqual({ team: 'Identity team', person: null });
  });

  it('falls back to the routing table by category of the most severe member, then the default queue', () => {
    const login = event({ category: 'credential-access', sourceSeverity: 70 });
    const other = event({ category: 'exfiltration', sourceSeverity: 30 });
    expect(verdictOf([other, login]).owner).toEqual({ team: 'identity-security', person: null });
    expect(verdictOf([event({ category: 'unmapped' })]).owner).toEqual({ team: 'soc-tier1', person: null });
    expect(verdictOf([event({ category: 'constructor' })]).owner.team).toBe('soc-tier1');
  });

  it('sanitizes CMDB-provided names', () => {
    const e = event({ entities: { ips: [targetIp('10.0.0.1')] }, enrichment: { assets: [asset('10.0.0.1', 4, { supportGroup: 'ops\n[click](http://x)' })] } });
    expect(verdictOf([e]).owner.team).toBe('ops click http://x');
  });
});

describe('recommended actions', () => {
  it('every QRadar member gets a note carrying the verdict line', () => {
    const a = event({ sourceId: '101' });
    const b = event({ sourceId: '102' });
    const notes = verdictOf([a, b]).recommendedActions.filter((x) => x.kind === 'qradar_note');
    expect(notes.map((n) => n.target)).toEqual(['101', '102']);
    expect(notes[0]?.parameters.note_text).toMatch(/^Seam baseline: \w+ \(risk \d+, confidence [\d.]+\) for incident inc-test v1\. /);
  });

  it('Security Hub and GuardDuty members get a securityhub.update NOTIFIED on their finding id', () => {
    const gd = event({ source: 'guardduty', sourceId: '46ba0ac2845071e23ccdeb2ae03bfdea' });
    const sh = event({ source: 'securityhub', sourceId: 'arn:aws:securityhub:us-east-1:123456789012:subscription/x/finding/1' });
    const ct = event({ source: 'cloudtrail' });
    const updates = verdictOf([gd, sh, ct]).recommendedActions.filter((x) => x.kind === 'securityhub_update');
    expect(updates.map((u) => [u.target, u.parameters.workflowStatus, u.parameters.source])).toEqual([
      ['46ba0ac2845071e23ccdeb2ae03bfdea', 'NOTIFIED', 'guardduty'],
      ['arn:aws:securityhub:us-east-1:123456789012:subscription/x/finding/1', 'NOTIFIED', 'securityhub'],
    ]);
  });

  it('a critical incident involving an EC2 instance proposes containment and a notification', () => {
    const gd = event({
      source: 'guardduty', sourceSeverity: 90,
      entities: { ips: [actorIp('198.51.100.7')], cloudResources: ['i-0c10c2c7863d1a356', 'arn:aws:ec2:us-east-1:123456789012:instance/i-0abcdef1234567890'] },
      enrichment: {
        assets: [asset('i-0c10c2c7863d1a356', 5, { internetFacing: true })],
        intel: [{ indicator: '198.51.100.7', verdict: 'malicious', score: 100, source: 'feed', tags: [] }],
      },
    });
    const verdict = verdictOf([gd, event({ source: 'qradar', sourceSeverity: 70 })]);
    expect(verdict.severity).toBe('critical');
    const kinds = verdict.recommendedActions.map((a) => a.kind);
    expect(kinds[0]).toBe('notify');
    const ssm = verdict.recommendedActions.filter((a) => a.kind === 'ssm_automation');
    expect(ssm.map((a) => a.target)).toEqual(['i-0abcdef1234567890', 'i-0c10c2c7863d1a356']);
    expect(ssm[0]?.parameters).toEqual({ DocumentName: 'AWSSupport-ContainEC2Instance', InstanceId: 'i-0abcdef1234567890', Action: 'Contain' });
    expect(verdict.recommendedActions.find((a) => a.kind === 'notify')).toMatchObject({ target: '#soc-critical', parameters: { severity: 'critical' } });
  });

  it('no containment below the configured severity', () => {
    const gd = event({ source: 'guardduty', sourceSeverity: 60, entities: { cloudResources: ['i-0c10c2c7863d1a356'] } });
    const kinds = verdictOf([gd]).recommendedActions.map((a) => a.kind);
    expect(kinds).not.toContain('ssm_automation');
    expect(kinds).not.toContain('notify');
  });

  it('medium and above assign QRadar offenses to the owner team (and person)', () => {
    const e = event({
      sourceId: '77', sourceSeverity: 80,
      entities: { ips: [targetIp('10.0.0.1')] },
      enrichment: { assets: [asset('10.0.0.1', 4, { supportGroup: 'web-ops', owner: 'dave@corp.example' })] },
    });
    const assign = verdictOf([e]).recommendedActions.find((a) => a.kind === 'qradar_assign');
    expect(assign).toMatchObject({ target: '77', parameters: { team: 'web-ops', assigned_to: 'dave@corp.example' } });
    expect(verdictOf([event({ sourceSeverity: 10 })]).recommendedActions.map((a) => a.kind)).toEqual(['qradar_note']);
  });

  it('honours configured limits', () => {
    const model = modelWith((config) => ({ ...config, actions: { ...config.actions, containAtOrAbove: 'info', maxContainments: 1, noteMaxLength: 64 } }));
    const gd = event({ source: 'qradar', entities: { cloudResources: ['i-0000000000000000a', 'i-0000000000000000b'] } });
    const actions = verdictOf([gd], model).recommendedActions;
    expect(actions.filter((a) => a.kind === 'ssm_automation')).toHaveLength(1);
    expect(actions.find((a) => a.kind === 'qradar_note')?.parameters.note_text?.length).toBeLessThanOrEqual(64);
  });
});
