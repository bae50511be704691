import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { verdictSchema } from '@seam/schemas';
import { scoreBaseline, severityFloor, severityOf, severityRank } from '../src/domain/index';
import { scenarioArb } from './arbitraries';
import { defaultModel, hasUnsafeCharacters, STAMP } from './fixtures';

const runs = { numRuns: 300 };

describe('baseline verdict properties', () => {
  it('riskScore is an integer in 0-100 and severity follows from it; probabilities stay in 0-1', () => {
    fc.assert(fc.property(scenarioArb, ({ incident, events }) => {
      const verdict = scoreBaseline({ incident, events }, defaultModel, STAMP);
      expect(Number.isInteger(verdict.riskScore)).toBe(true);
      expect(verdict.riskScore).toBeGreaterThanOrEqual(0);
      expect(verdict.riskScore).toBeLessThanOrEqual(100);
      expect(verdict.severity).toBe(severityOf(verdict.riskScore, defaultModel.config.thresholds));
      expect(verdict.riskScore).toBe(Math.min(100, Math.max(0, Math.round(verdict.factors.reduce((t, f) => t + f.points, 0)))));
      for (const p of [verdict.confidence, verdict.falsePositiveLikelihood]) {
        expect(p).toBeGreaterThanOrEqual(0);
        expect(p).toBeLessThanOrEqual(1);
      }
    }), runs);
  });

  it('evidence is a duplicate-free subset of the members', () => {
    fc.assert(fc.property(scenarioArb, ({ incident, events }) => {
      const verdict = scoreBaseline({ incident, events }, defaultModel, STAMP);
      const members = new Set(incident.members.map((m) => m.eventId));
      for (const id of verdict.evidence) expect(members.has(id)).toBe(true);
      expect(new Set(verdict.evidence).size).toBe(verdict.evidence.length);
      if (incident.members.length > 0) expect(verdict.evidence.length).toBeGreaterThan(0);
    }), runs);
  });

  it('never falls below the critical-asset floor', () => {
    fc.assert(fc.property(scenarioArb, ({ incident, events }) => {
      const floor = severityFloor({ incident, events }, defaultModel);
      const verdict = scoreBaseline({ incident, events }, defaultModel, STAMP);
      if (floor !== null) expect(severityRank(verdict.severity)).toBeGreaterThanOrEqual(severityRank(floor));
    }), runs);
  });

  it('is deterministic and independent of the order events are supplied in', () => {
    fc.assert(fc.property(scenarioArb, ({ incident, events }) => {
      const first = scoreBaseline({ incident, events }, defaultModel, STAMP);
      expect(scoreBaseline({ incident, events }, defaultModel, STAMP)).toEqual(first);
      expect(scoreBaseline({ incident, events: [...events].reverse() }, defaultModel, STAMP)).toEqual(first);
      expect(JSON.stringify(scoreBaseline({ incident: structuredClone(incident), events: structuredClone(events) }, defaultModel, STAMP)))
        .toBe(JSON.stringify(first));
    }), { numRuns: 150 });
  });

  it('produces a valid Verdict record with a single-line, bounded summary and plain details', () => {
    fc.assert(fc.property(scenarioArb, ({ incident, events }) => {
      const verdict = scoreBaseline({ incident, events }, defaultModel, STAMP);
      expect(verdictSchema.safeParse(verdict).success).toBe(true);
      expect(hasUnsafeCharacters(verdict.summary, '<>`')).toBe(false);
      expect(verdict.summary.length).toBeLessThanOrEqual(defaultModel.config.summary.maxLength);
      for (const factor of verdict.factors) expect(hasUnsafeCharacters(factor.detail, '<>`')).toBe(false);
      expect(hasUnsafeCharacters(verdict.owner.team, '<>')).toBe(false);
      for (const action of verdict.recommendedActions) {
        for (const value of Object.values(action.parameters)) expect(hasUnsafeCharacters(value, '<>`')).toBe(false);
      }
    }), runs);
  });
});
