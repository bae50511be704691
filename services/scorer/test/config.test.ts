import { describe, expect, it } from 'vitest';
import defaults from '../config/risk-model.default.json' with { type: 'json' };
import { parseRiskModelConfig, RiskModelConfigError } from '../src/domain/index';

const clone = (): Record<string, unknown> => JSON.parse(JSON.stringify(defaults)) as Record<string, unknown>;
const issuesOf = (json: unknown): readonly string[] => {
  try {
    parseRiskModelConfig(json);
    return [];
  } catch (error) {
    if (error instanceof RiskModelConfigError) return error.issues;
    throw error;
  }
};

describe('risk model config', () => {
  it('the shipped default file is valid and names every pattern kind', () => {
    const config = parseRiskModelConfig(defaults);
    expect(config.thresholds).toEqual({ critical: 85, high: 65, medium: 40, low: 15 });
    expect(new Set(config.falsePositivePatterns.map((p) => p.kind))).toEqual(new Set(['scanner', 'service-account', 'scheduled-job', 'benign-user-agent']));
  });

  it('rejects thresholds out of order', () => {
    const json = clone();
    json.thresholds = { critical: 60, high: 65, medium: 40, low: 15 };
    expect(issuesOf(json).join()).toContain('thresholds must satisfy');
  });

  it('rejects malformed CIDRs, clocks, positive false-positive points and duplicate names, with paths', () => {
    const json = clone();
    json.falsePositivePatterns = [
      { kind: 'scanner', name: 'a', cidrs: ['10.0.0.0/33'], points: -10, likelihood: 0.5 },
      { kind: 'scheduled-job', name: 'b', titles: ['x'], window: { start: '25:00', end: '01:00' }, points: -10, likelihood: 0.5 },
      { kind: 'service-account', name: 'c', identities: ['svc'], points: 10, likelihood: 0.5 },
      { kind: 'service-account', name: 'c', identities: ['svc'], points: -10, likelihood: 0.5 },
      { kind: 'unknown-kind', name: 'd' },
    ];
    const issues = issuesOf(json);
    expect(issues).toEqual(expect.arrayContaining([
      'falsePositivePatterns.0.cidrs.0: expected an IPv4/IPv6 address or CIDR',
      'falsePositivePatterns.1.window.start: expected HH:MM (00:00-24:00)',
    ]));
    expect(issues.some((issue) => issue.startsWith('falsePositivePatterns.2.points'))).toBe(true);
    expect(issues.some((issue) => issue.startsWith('falsePositivePatterns.4'))).toBe(true);
  });

  it('reports duplicates once the rest is valid', () => {
    const json = clone();
    const pattern = { kind: 'service-account', name: 'c', identities: ['svc'], points: -10, likelihood: 0.5 };
    json.falsePositivePatterns = [pattern, pattern];
    expect(issuesOf(json)).toEqual(['falsePositivePatterns.1.name: duplicate pattern name c']);
  });

  it('rejects missing sections and non-objects', () => {
    expect(issuesOf(null).length).toBeGreaterThan(0);
    const json = clone();
    delete json.weights;
    expect(issuesOf(json).join()).toContain('weights');
  });
});
