import { describe, expect, expectTypeOf, it } from 'vitest';
import {
  SEAM_TOPICS, dlqTopicOf, registrySubjects, schemas, topicCatalogue, topicEntry, type TopicValue,
} from '../src/catalogue';
import { actionKindFromDesignName, identityKindFromDesignName, rawKindFromReplayName } from '../src/design-names';
import type { Verdict } from '../src/records/verdict';

describe('catalogue', () => {
  it('lists every topic of the pipeline with its TopicNameStrategy subject', () => {
    expect(topicCatalogue.map((e) => [e.topic, e.subject, e.schema.fullName])).toEqual([
      ['offenses.raw', 'offenses.raw-value', 'dev.seam.OffenseRaw'],
      ['findings.raw', 'findings.raw-value', 'dev.seam.FindingRaw'],
      ['enriched', 'enriched-value', 'dev.seam.SecurityEvent'],
      ['correlated', 'correlated-value', 'dev.seam.Incident'],
      ['verdicts', 'verdicts-value', 'dev.seam.Verdict'],
      ['actions', 'actions-value', 'dev.seam.ActionRecord'],
      ['llm.audit', 'llm.audit-value', 'dev.seam.LlmInference'],
    ]);
    expect(SEAM_TOPICS.map(dlqTopicOf)).toContain('verdicts.dlq');
  });

  it('types topic values', () => {
    const entry = topicEntry('verdicts');
    expectTypeOf<TopicValue<'verdicts'>>().toEqualTypeOf<Verdict>();
    expect(entry.schema).toBe(schemas.Verdict);
  });

  it('registers topic subjects plus the DLQ view, with an optional prefix', () => {
    const subjects = registrySubjects('t1-').map((s) => s.subject);
    expect(subjects).toContain('t1-verdicts-value');
    expect(subjects).toContain('t1-dev.seam.DlqRecord');
    expect(subjects).toHaveLength(SEAM_TOPICS.length + 1);
  });

  it('maps DESIGN names to Avro symbols', () => {
    expect(actionKindFromDesignName('qradar.note')).toBe('qradar_note');
    expect(actionKindFromDesignName('ssm.automation')).toBe('ssm_automation');
    expect(identityKindFromDesignName('iam-role-session')).toBe('iam_role_session');
    expect(rawKindFromReplayName('cloudtrail.event')).toBe('cloudtrail_event');
    expect(rawKindFromReplayName('nope')).toBeUndefined();
  });
});
