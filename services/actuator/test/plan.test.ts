import { describe, expect, it } from 'vitest';
import { clientTokenFor, noteActionIdFor, plan } from '../src/domain/plan';
import { policyWith, verdict } from './fixtures';

describe('plan', () => {
  it('gives stable ids from (incident, verdict version, kind, target), notes from (incident, offense, text)', () => {
    const p = policyWith();
    const a = plan(verdict(), p);
    const b = plan(verdict(), p);
    expect(a.map((c) => c.actionId)).toEqual(b.map((c) => c.actionId));
    expect(a[0]?.actionId).toBe(noteActionIdFor('inc-1', '15', 'Seam verdict: critical'));
    const v2 = plan(verdict({ verdictVersion: 2 }), p);
    const first = new Set(a.map((c) => c.actionId));
    // A later version is a new action, except a note that says the same on the same offense.
    expect(v2.filter((c) => first.has(c.actionId)).map((c) => c.kind)).toEqual(['qradar.note']);
    const changed = plan(verdict({ verdictVersion: 2, actions: [{ kind: 'qradar_note', target: '15', parameters: { note_text: 'Seam verdict: high' }, rationale: 'r' }] }), p);
    expect(changed[0]?.actionId).toBe(noteActionIdFor('inc-1', '15', 'Seam verdict: high'));
    expect(first.has(changed[0]?.actionId ?? '')).toBe(false);
    // Without note_text the note writes the summary, so the summary keys it.
    const bare = (summary: string) => plan(verdict({ summary, actions: [{ kind: 'qradar_note', target: '15', parameters: {}, rationale: 'r' }] }), p)[0]?.actionId;
    expect(bare('one')).toBe(noteActionIdFor('inc-1', '15', 'one'));
    expect(bare('one')).not.toBe(bare('two'));
    expect(noteActionIdFor('inc-2', '15', 'one')).not.toBe(noteActionIdFor('inc-1', '15', 'one'));
  });

  it('maps Avro kinds to design names, adds the reference-set upsert, dedupes', () => {
    const v = verdict({ actions: [
      { kind: 'qradar_note', target: '15', parameters: { note_text: 'x' }, rationale: 'r' },
      { kind: 'qradar_note', target: '15', parameters: { note_text: 'y' }, rationale: 'dup' },
      { kind: 'unknown', target: 'z', parameters: {}, rationale: 'ignored' },
    ] });
    const out = plan(v, policyWith());
    expect(out.map((c) => `${c.kind} ${c.target}`)).toEqual(['qradar.note 15', 'qradar.reference_set Seam AI Critical Offenses/15']);
    expect(out[1]?.parameters).toEqual({ set: 'Seam AI Critical Offenses', value: '15', source: 'seam:critical:92' });
    expect(plan(verdict({ severity: 'low', actions: v.recommendedActions }), policyWith()).map((c) => c.kind)).toEqual(['qradar.note']);
  });

  it('finds the subjects the deny lists look at', () => {
    const out = plan(verdict(), policyWith());
    expect(out.find((c) => c.kind === 'ssm.automation')?.subjects.instanceIds).toEqual(['i-0abc1234def567890']);
  });

  it('derives a UUID client token per action', () => {
    const token = clientTokenFor('abc');
    expect(token).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(clientTokenFor('abc')).toBe(token);
    expect(clientTokenFor('abd')).not.toBe(token);
  });
});
