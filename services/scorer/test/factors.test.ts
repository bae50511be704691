import { describe, expect, it } from 'vitest';
import { verdictSchema } from '@seam/schemas';
import { scoreBaseline } from '../src/domain/index';
import {
  actorIdentity, actorIp, asset, defaultModel, event, factorNamed, incidentOf, MINUTE, modelWith, STAMP, T0, targetIp,
} from './fixtures';

const score = (...args: Parameters<typeof incidentOf>) => {
  const [events] = args;
  return scoreBaseline({ incident: incidentOf(...args), events }, defaultModel, STAMP);
};

describe('baseline factors', () => {
  it('source severity: max severity times the weight, citing the strongest member', () => {
    const low = event({ sourceSeverity: 30 });
    const high = event({ sourceSeverity: 80 });
    const verdict = score([low, high]);
    expect(factorNamed(verdict, 'source-severity')).toEqual({ name: 'source-severity', points: 36, detail: 'max source severity 80 of 2 member(s)' });
    expect(verdict.evidence).toContain(high.eventId);
    expect(verdictSchema.parse(verdict)).toEqual(verdict);
  });

  it('severity spread: each extra member at or above the bar adds points, capped', () => {
    const events = [60, 70, 55, 90, 99].map((sourceSeverity) => event({ sourceSeverity }));
    expect(factorNamed(score(events.slice(0, 2)), 'severity-spread')?.points).toBe(3);
    expect(factorNamed(score(events), 'severity-spread')?.points).toBe(9);
    expect(factorNamed(score([event({ sourceSeverity: 90 }), event({ sourceSeverity: 10 })]), 'severity-spread')).toBeUndefined();
  });

  it('asset criticality of a targeted asset scales 1-5, and an actor-only asset does not count', () => {
    for (const [criticality, points] of [[1, 0], [2, 3], [3, 8], [4, 14], [5, 20]] as const) {
      const e = event({ entities: { ips: [targetIp('10.0.0.5')] }, enrichment: { assets: [asset('10.0.0.5', criticality)] } });
      expect(factorNamed(score([e]), 'asset-criticality')?.points).toBe(points);
    }
    const attackerBox = event({ entities: { ips: [actorIp('10.0.0.9', 'private')] }, enrichment: { assets: [asset('10.0.0.9', 5)] } });
    expect(factorNamed(score([attackerBox]), 'asset-criticality')).toBeUndefined();
  });

  it('exploitable vulnerability on a targeted host scales with CVSS; no exploit, no points', () => {
    const vuln = (cvss: number | null, exploitAvailable: boolean) => event({
      entities: { hosts: [{ name: 'web01.corp.example', role: 'target' }] },
      enrichment: { vulns: [{ cve: 'CVE-2021-44228', cvss, exploitAvailable, host: 'web01.corp.example' }] },
    });
    expect(factorNamed(score([vuln(10, true)]), 'exploitable-vulnerability')?.points).toBe(15);
    expect(factorNamed(score([vuln(8, true)]), 'exploitable-vulnerability')?.points).toBe(12);
    expect(factorNamed(score([vuln(2, true)]), 'exploitable-vulnerability')?.points).toBe(7.5);
    expect(factorNamed(score([vuln(null, true)]), 'exploitable-vulnerability')?.points).toBe(15);
    expect(factorNamed(score([vuln(10, false)]), 'exploitable-vulnerability')).toBeUndefined();
    expect(factorNamed(score([vuln(10, true)]), 'exploitable-vulnerability')?.detail).toContain('CVE-2021-44228');
  });

  it('threat intel: malicious outweighs suspicious, scaled by score; benign does not count', () => {
    const intel = (verdict: 'malicious' | 'suspicious' | 'benign', intelScore: number | null) =>
      event({ entities: { ips: [actorIp('198.51.100.7')] }, enrichment: { intel: [{ indicator: '198.51.100.7', verdict, score: intelScore, source: 'misp', tags: [] }] } });
    expect(factorNamed(score([intel('malicious', 90)]), 'threat-intel')?.points).toBe(18);
    expect(factorNamed(score([intel('malicious', null)]), 'threat-intel')?.points).toBe(20);
    expect(factorNamed(score([intel('suspicious', 50)]), 'threat-intel')?.points).toBe(5);
    expect(factorNamed(score([intel('benign', 100)]), 'threat-intel')).toBeUndefined();
    expect(factorNamed(score([intel('malicious', 90)]), 'threat-intel')?.detail).toBe('198.51.100.7 rated malicious (score 90) by misp');
  });

  it('privileged identity: root kind, admin-like names, or the directory flag', () => {
    const byRoot = event({ source: 'cloudtrail', entities: { identities: [actorIdentity('123456789012:root', 'root', 'root')] } });
    const byName = event({ entities: { identities: [actorIdentity('CORP\\Administrator')] } });
    const byFlag = event({ entities: { identities: [actorIdentity('bob@corp.example')] } });
    const plain = event({ entities: { identities: [actorIdentity('carol@corp.example')] } });
    expect(factorNamed(score([byRoot]), 'privileged-identity')?.points).toBe(12);
    expect(factorNamed(score([byName]), 'privileged-identity')?.points).toBe(12);
    expect(factorNamed(score([plain]), 'privileged-identity')).toBeUndefined();
    const flagged = scoreBaseline(
      { incident: incidentOf([byFlag]), events: [byFlag], context: { privilegedIdentities: new Set(['bob@corp.example']) } },
      defaultModel, STAMP,
    );
    expect(factorNamed(flagged, 'privileged-identity')?.detail).toBe('privileged identity bob@corp.example involved');
  });

  it('internet exposure of a targeted asset', () => {
    const e = event({ entities: { ips: [targetIp('10.0.0.5')] }, enrichment: { assets: [asset('10.0.0.5', 3, { internetFacing: true })] } });
    expect(factorNamed(score([e]), 'internet-exposure')?.points).toBe(8);
    const inside = event({ entities: { ips: [targetIp('10.0.0.6')] }, enrichment: { assets: [asset('10.0.0.6', 3)] } });
    expect(factorNamed(score([inside]), 'internet-exposure')).toBeUndefined();
  });

  it('hybrid link and source diversity cite one member per source', () => {
    const onPrem = event({ source: 'qradar' });
    const cloud = event({ source: 'cloudtrail' });
    const finding = event({ source: 'guardduty' });
    const verdict = score([onPrem, cloud, finding]);
    expect(factorNamed(verdict, 'hybrid-link')?.points).toBe(10);
    expect(factorNamed(verdict, 'source-diversity')).toEqual({ name: 'source-diversity', points: 8, detail: '3 distinct sources' });
    expect(verdict.evidence).toEqual([onPrem.eventId, cloud.eventId, finding.eventId]);
    const cloudOnly = score([cloud, finding], { hybrid: false });
    expect(factorNamed(cloudOnly, 'hybrid-link')).toBeUndefined();
  });

  it('tactic diversity counts distinct tactics across spellings (TA0006 = Credential Access)', () => {
    const a = event({ mitre: [{ tactic: 'TA0006', technique: 'T1110', name: 'Brute Force' }] });
    const b = event({ mitre: [{ tactic: 'Credential Access', technique: null, name: null }] });
    const c = event({ mitre: [{ tactic: 'lateral-movement', technique: 'T1021', name: null }] });
    expect(factorNamed(score([a, b]), 'tactic-diversity')).toBeUndefined();
    expect(factorNamed(score([a, b, c]), 'tactic-diversity')?.points).toBe(5);
    const many = score([a, c], { tactics: ['TA0001', 'TA0002', 'TA0040'] });
    expect(factorNamed(many, 'tactic-diversity')).toEqual({ name: 'tactic-diversity', points: 15, detail: '5 distinct ATT&CK tactics' });
    expect(many.mitre.map((m) => m.tactic)).toEqual(expect.arrayContaining(['TA0006', 'lateral-movement', 'TA0001', 'TA0002', 'TA0040']));
  });

  it('late members and hot keys are named (0 points by default, configurable)', () => {
    const e = event();
    const verdict = score([e], {
      late: [{ eventId: e.eventId, observedAt: T0, arrivedAt: T0 + 90 * MINUTE }],
      hotKeys: [{ kind: 'ip', value: '203.0.113.10', distinctIdentities: 57, detectedAt: T0 }],
    });
    expect(factorNamed(verdict, 'late-members')).toEqual({ name: 'late-members', points: 0, detail: '1 member(s) arrived after the grace period' });
    expect(factorNamed(verdict, 'hot-keys')?.detail).toContain('ip 203.0.113.10 seen with 57 identities');
    // A record cut to its size budget counts the hot keys it left out (Incident v3).
    const cut = score([e], { hotKeys: [{ kind: 'ip', value: '203.0.113.10', distinctIdentities: 57, detectedAt: T0 }], hotKeysOmitted: 2_499 });
    expect(factorNamed(cut, 'hot-keys')?.detail).toMatch(/^2500 hot key\(s\) stopped linking/);
    const tuned = modelWith((config) => ({ ...config, weights: { ...config.weights, hotKeys: -4 } }));
    const incident = incidentOf([e], { hotKeys: [{ kind: 'ip', value: '203.0.113.10', distinctIdentities: 57, detectedAt: T0 }] });
    expect(factorNamed(scoreBaseline({ incident, events: [e] }, tuned, STAMP), 'hot-keys')?.points).toBe(-4);
  });

  it('missing enrichment providers and unavailable member events lower the confidence and are named', () => {
    const full = event({ sourceSeverity: 50 });
    const gappy = event({ sourceSeverity: 50, enrichment: { missing: ['cmdb', 'intel'] } });
    const complete = score([full]);
    const partial = score([gappy]);
    expect(partial.confidence).toBeLessThan(complete.confidence);
    expect(factorNamed(partial, 'incomplete-context')?.detail).toBe('enrichment missing from cmdb, intel');
    const absent = scoreBaseline({ incident: incidentOf([full]), events: [] }, defaultModel, STAMP);
    expect(factorNamed(absent, 'incomplete-context')?.detail).toBe(`1 member event(s) unavailable (${full.eventId})`);
    expect(absent.riskScore).toBe(complete.riskScore);
  });

  it('confidence rises with independent evidence', () => {
    const one = score([event({ sourceSeverity: 50 })]);
    const corroborated = score([event({ sourceSeverity: 50 }), event({ source: 'cloudtrail', sourceSeverity: 50 })]);
    expect(corroborated.confidence).toBeGreaterThan(one.confidence);
    expect(one.confidence).toBe(0.5);
  });

  it('the score is the clamped, rounded sum of factor points', () => {
    const loaded = event({
      sourceSeverity: 100,
      entities: { ips: [targetIp('10.0.0.5'), actorIp('198.51.100.7')], identities: [actorIdentity('root', 'root', 'root')] },
      enrichment: {
        assets: [asset('10.0.0.5', 5, { internetFacing: true })],
        vulns: [{ cve: 'CVE-2024-0001', cvss: 9.8, exploitAvailable: true, host: '10.0.0.5' }],
        intel: [{ indicator: '198.51.100.7', verdict: 'malicious', score: 100, source: 'misp', tags: [] }],
      },
    });
    const verdict = score([loaded, event({ source: 'cloudtrail', sourceSeverity: 90 })]);
    const sum = verdict.factors.reduce((total, factor) => total + factor.points, 0);
    expect(sum).toBeGreaterThan(100);
    expect(verdict.riskScore).toBe(100);
    expect(verdict.severity).toBe('critical');
    const quiet = score([event({ sourceSeverity: 21 })]);
    expect(quiet.riskScore).toBe(Math.round(quiet.factors.reduce((t, f) => t + f.points, 0)));
  });

  it('an incident without members still gets a verdict', () => {
    const verdict = scoreBaseline({ incident: incidentOf([]), events: [] }, defaultModel, STAMP);
    expect(verdict).toMatchObject({ riskScore: 0, severity: 'info', evidence: [], factors: [] });
    expect(verdictSchema.safeParse(verdict).success).toBe(true);
  });
});
