import { describe, expect, it } from 'vitest';
import { CRITICAL_ASSET_CRITICALITY, scoreBaseline, severityFloor, severityRank } from '../src/domain/index';
import { actorIp, asset, defaultModel, event, factorNamed, incidentOf, modelWith, STAMP, targetIp } from './fixtures';

describe('critical-asset severity floor', () => {
  const onCrownJewel = (more: Parameters<typeof event>[0] = {}) => event({
    sourceSeverity: 5,
    entities: { ips: [actorIp('10.20.30.4', 'private'), targetIp('10.0.0.2')] },
    enrichment: { assets: [asset('10.0.0.2', CRITICAL_ASSET_CRITICALITY)] },
    ...more,
  });

  it('is exported and applies only when a criticality-5 asset is targeted', () => {
    const e = onCrownJewel();
    expect(severityFloor({ incident: incidentOf([e]), events: [e] }, defaultModel)).toBe('medium');
    const lesser = event({ entities: { ips: [targetIp('10.0.0.3')] }, enrichment: { assets: [asset('10.0.0.3', 4)] } });
    expect(severityFloor({ incident: incidentOf([lesser]), events: [lesser] }, defaultModel)).toBeNull();
  });

  it('lifts even a scanner hit on a critical asset to the floor, as a named factor, with the score to match', () => {
    const e = onCrownJewel();
    const verdict = scoreBaseline({ incident: incidentOf([e]), events: [e] }, defaultModel, STAMP);
    expect(factorNamed(verdict, 'known-fp:vuln-scanner')).toBeDefined();
    expect(verdict.severity).toBe('medium');
    expect(verdict.riskScore).toBe(40);
    const floorFactor = factorNamed(verdict, 'critical-asset-floor');
    expect(floorFactor?.detail).toBe('an asset of criticality 5 is targeted: severity at least medium');
    expect(Math.round(verdict.factors.reduce((t, f) => t + f.points, 0))).toBe(40);
    expect(verdict.recommendedActions.some((a) => a.kind === 'qradar_close')).toBe(false);
  });

  it('adds nothing when the score already reaches the floor', () => {
    const e = onCrownJewel({ sourceSeverity: 90, entities: { ips: [targetIp('10.0.0.2')] } });
    const verdict = scoreBaseline({ incident: incidentOf([e]), events: [e] }, defaultModel, STAMP);
    expect(factorNamed(verdict, 'critical-asset-floor')).toBeUndefined();
    expect(severityRank(verdict.severity)).toBeGreaterThanOrEqual(severityRank('medium'));
  });

  it('is configurable', () => {
    const model = modelWith((config) => ({ ...config, criticalAssetFloor: { criticality: 4, severity: 'high' } }));
    const e = event({ entities: { ips: [targetIp('10.0.0.3')] }, enrichment: { assets: [asset('10.0.0.3', 4)] } });
    const verdict = scoreBaseline({ incident: incidentOf([e]), events: [e] }, model, STAMP);
    expect(verdict.severity).toBe('high');
    expect(verdict.riskScore).toBe(65);
  });
});
