import type { Incident, Verdict } from '@seam/schemas';
import { describe, expect, it } from 'vitest';
import { renderReport } from './report';
import { RunResults } from './results';

const incident = (id: string, title: string, overrides: Partial<Incident> = {}): Incident => ({
    incidentId: id, version: 2, status: 'settled', firstSeen: 1, lastSeen: 2, updatedAt: 3,
    members: [{ eventId: `qradar:offense:${id}`, source: 'qradar', observedAt: 1, title, sourceSeverity: 50 }],
    keys: [], links: [], hybrid: false, sources: { qradar: 1 }, tactics: [], absorbed: [], mergedInto: null, hotKeys: [], late: [],
    membersOmitted: 0, linksOmitted: 0, keysOmitted: 0, absorbedOmitted: 0, hotKeysOmitted: 0, tacticsOmitted: 0,
  ...overrides,
});

const verdict = (incidentId: string, severity: Verdict['severity'], riskScore: number, summary: string): Verdict =>
  ({ incidentId, incidentVersion: 2, verdictVersion: 3, phase: 'baseline', severity, riskScore, confidence: 0.5, falsePositiveLikelihood: 0.1, summary, owner: { team: 'soc', person: null } }) as Verdict;

describe('the closing report', () => {
  it('orders by severity, strips terminal control characters from attacker strings, and groups repeated actions', () => {
    const results = new RunResults();
    results.addIncident(incident('a', 'low one'));
    results.addIncident(incident('b', 'evil \u001b[2J\u001b]0;pwned\u0007 title'));
    results.addIncident(incident('c', 'merged away', { mergedInto: 'b' }));
    results.addVerdict(verdict('a', 'low', 20, 'quiet'));
    results.addVerdict(verdict('b', 'critical', 95, 'loud \u001b[31mred\u001b[0m'));
    for (const id of ['n1', 'n2']) results.addAction({ actionId: id, incidentId: 'b', kind: 'qradar_note', target: '7', state: 'succeeded', sequence: 2, actor: 'system' });
    results.addAction({ actionId: 'p1', incidentId: 'b', kind: 'ssm_automation', target: 'i-1', state: 'proposed', sequence: 1, actor: 'system' });
    const text = renderReport(results);
    // eslint-disable-next-line no-control-regex
    expect(text).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f]/);
    expect(text.indexOf('critical 95')).toBeLessThan(text.indexOf('low 20'));
    expect(text).toContain('Incidents (2;');
    expect(text).not.toContain('merged away');
    expect(text).toMatch(/qradar\.note\s+7\s+succeeded\s+system\s+2/);
    expect(text).toMatch(/ssm\.automation\s+i-1\s+proposed\s+system\s+1/);
  });
});
