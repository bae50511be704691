import { describe, expect, it } from 'vitest';
import { scoreBaseline, severityRank } from '../src/domain/index';
import { actorIdentity, actorIp, defaultModel, event, factorNamed, incidentOf, modelWith, STAMP, targetIp } from './fixtures';
import type { SecurityEvent } from '@seam/schemas';

const verdictOf = (events: SecurityEvent[], context = {}) =>
  scoreBaseline({ incident: incidentOf(events), events, context }, defaultModel, STAMP);
const at = (iso: string) => Date.parse(iso);

// The same offense, once from an arbitrary address and once matching a pattern.
const offense = (more: Parameters<typeof event>[0] = {}) =>
  event({ sourceSeverity: 60, title: 'Multiple Login Failures for the Same User', ...more });

describe('known false-positive patterns', () => {
  it('scanner: an actor IP inside a scanner CIDR is named and lowers the score and severity', () => {
    const normal = verdictOf([offense({ entities: { ips: [actorIp('10.9.9.9', 'private'), targetIp('10.0.0.5')] } })]);
    const scan = verdictOf([offense({ entities: { ips: [actorIp('10.20.30.4', 'private'), targetIp('10.0.0.5')] } })]);
    expect(factorNamed(scan, 'known-fp:vuln-scanner')).toEqual({
      name: 'known-fp:vuln-scanner', points: -35, detail: 'scanner pattern vuln-scanner matched 1 of 1 member(s) (10.20.30.4)',
    });
    expect(scan.riskScore).toBeLessThan(normal.riskScore);
    expect(severityRank(scan.severity)).toBeLessThan(severityRank(normal.severity));
    expect(scan.falsePositiveLikelihood).toBeGreaterThan(normal.falsePositiveLikelihood);
    expect(scan.summary).toContain('known-fp:vuln-scanner -35');
  });

  it('scanner: a single-address entry matches exactly, and a target-only scanner address does not count', () => {
    expect(factorNamed(verdictOf([offense({ entities: { ips: [actorIp('192.0.2.10')] } })]), 'known-fp:vuln-scanner')).toBeDefined();
    expect(factorNamed(verdictOf([offense({ entities: { ips: [actorIp('192.0.2.11')] } })]), 'known-fp:vuln-scanner')).toBeUndefined();
    expect(factorNamed(verdictOf([offense({ entities: { ips: [targetIp('10.20.30.4')] } })]), 'known-fp:vuln-scanner')).toBeUndefined();
  });

  it('service account: an actor identity matching the globs is named', () => {
    const verdict = verdictOf([offense({ entities: { identities: [actorIdentity('svc-backup01@corp.example', 'CORP\\svc-backup01')] } })]);
    expect(factorNamed(verdict, 'known-fp:backup-service-account')?.points).toBe(-25);
    expect(factorNamed(verdict, 'known-fp:backup-service-account')?.detail).toContain('svc-backup01@corp.example');
    const person = verdictOf([offense({ entities: { identities: [actorIdentity('alice@corp.example')] } })]);
    expect(factorNamed(person, 'known-fp:backup-service-account')).toBeUndefined();
    expect(verdict.riskScore).toBe(person.riskScore - 25);
  });

  it('service account: an over-long name never matches, so a cut cannot forge a match', () => {
    const forged = `svc-backup${'x'.repeat(400)}`;
    const verdict = verdictOf([offense({ entities: { identities: [actorIdentity(forged)] } })]);
    expect(factorNamed(verdict, 'known-fp:backup-service-account')).toBeUndefined();
  });

  it('scheduled job: title and time window must both match (and the source)', () => {
    const inWindow = offense({ observedAt: at('2025-03-12T01:30:00Z') });
    const outside = offense({ observedAt: at('2025-03-12T03:00:00Z') });
    const otherTitle = offense({ title: 'Port scan detected', observedAt: at('2025-03-12T01:30:00Z') });
    const cloud = offense({ source: 'cloudtrail', observedAt: at('2025-03-12T01:30:00Z') });
    const hit = verdictOf([inWindow]);
    expect(factorNamed(hit, 'known-fp:nightly-ad-sync')?.detail).toBe('scheduled-job pattern nightly-ad-sync matched 1 of 1 member(s) (title and time window)');
    expect(hit.riskScore).toBeLessThan(verdictOf([outside]).riskScore);
    expect(factorNamed(verdictOf([outside]), 'known-fp:nightly-ad-sync')).toBeUndefined();
    expect(factorNamed(verdictOf([otherTitle]), 'known-fp:nightly-ad-sync')).toBeUndefined();
    expect(factorNamed(verdictOf([cloud]), 'known-fp:nightly-ad-sync')).toBeUndefined();
  });

  it('scheduled job: weekday, offset and past-midnight windows', () => {
    const model = modelWith((config) => ({
      ...config,
      falsePositivePatterns: [{
        kind: 'scheduled-job', name: 'weekend-batch', titles: ['*batch*'], identities: ['svc-batch'], sources: [],
        window: { days: ['sat'], start: '23:00', end: '01:00', utcOffsetMinutes: 60 },
        points: -20, likelihood: 0.6, closingReason: 'Non-Issue', description: '',
      }],
    }));
    const run = (iso: string, identity = 'svc-batch') => {
      const e = event({ title: 'Batch logon', observedAt: at(iso), entities: { identities: [actorIdentity(identity)] } });
      return factorNamed(scoreBaseline({ incident: incidentOf([e]), events: [e] }, model, STAMP), 'known-fp:weekend-batch') !== undefined;
    };
    // Saturday 2025-03-15 23:30 local (UTC+1) = 22:30Z; Sunday 00:30 local = Saturday 23:30Z.
    expect(run('2025-03-15T22:30:00Z')).toBe(true);
    expect(run('2025-03-15T23:30:00Z')).toBe(true);
    expect(run('2025-03-16T00:30:00Z')).toBe(false); // Sunday 01:30 local
    expect(run('2025-03-14T22:30:00Z')).toBe(false); // Friday 23:30 local
    expect(run('2025-03-15T22:30:00Z', 'alice')).toBe(false); // not the job's identity
  });

  it('benign user agent: matched from the scoring context', () => {
    const call = event({ source: 'cloudtrail', sourceSeverity: 40 });
    const verdict = verdictOf([call], { userAgents: new Map([[call.eventId, 'APN/1.0 HashiCorp/1.0 Terraform/1.9.5']]) });
    expect(factorNamed(verdict, 'known-fp:terraform-ci')?.points).toBe(-15);
    const browser = verdictOf([call], { userAgents: new Map([[call.eventId, 'Mozilla/5.0']]) });
    expect(factorNamed(browser, 'known-fp:terraform-ci')).toBeUndefined();
  });

  it('a pattern matching some members is scaled by coverage and never proposes a close', () => {
    const scan = offense({ entities: { ips: [actorIp('10.20.30.4', 'private')] } });
    const real = offense({ entities: { ips: [actorIp('10.9.9.9', 'private')] } });
    const verdict = verdictOf([scan, real]);
    expect(factorNamed(verdict, 'known-fp:vuln-scanner')?.points).toBe(-17.5);
    expect(verdict.recommendedActions.some((a) => a.kind === 'qradar_close')).toBe(false);
  });

  it('a full, confident match on a low-severity incident proposes qradar.close with the closing reason', () => {
    const scans = [1, 2].map(() => offense({ sourceSeverity: 40, entities: { ips: [actorIp('10.20.30.4', 'private')] } }));
    const verdict = verdictOf(scans);
    expect(verdict.severity).toBe('info');
    expect(verdict.falsePositiveLikelihood).toBeGreaterThanOrEqual(0.7);
    const closes = verdict.recommendedActions.filter((a) => a.kind === 'qradar_close');
    expect(closes.map((a) => a.target)).toEqual(scans.map((s) => s.sourceId));
    expect(closes[0]).toMatchObject({ parameters: { closing_reason: 'Non-Issue', pattern: 'vuln-scanner' } });
    expect(closes[0]?.rationale).toContain('vuln-scanner');
  });

  it('malicious threat intel halves the false-positive likelihood and blocks the close', () => {
    const scan = offense({
      sourceSeverity: 40,
      entities: { ips: [actorIp('10.20.30.4', 'private')] },
      enrichment: { intel: [{ indicator: '10.20.30.4', verdict: 'malicious', score: 80, source: 'feed', tags: [] }] },
    });
    const verdict = verdictOf([scan]);
    expect(verdict.falsePositiveLikelihood).toBeLessThan(0.5);
    expect(verdict.recommendedActions.some((a) => a.kind === 'qradar_close')).toBe(false);
  });
});
