import { SCHEMA_NAMES, TOPIC_VALUE_SCHEMAS, dlqTopicOf, isSeamTopic } from '@seam/schemas';
import { describe, expect, it } from 'vitest';
import { renderMermaid, renderTable } from '../src/render';
import { INGEST_SERVICES, SEAM_SERVICES, groupIdOf } from '../src/spec';
import { TOPICS, desiredTopics } from '../src/topics';

const stageConsumers = (name: string) =>
  TOPICS.find((t) => t.name === name)?.consumers.flatMap((c) => (c.kind === 'stage' ? [c.service] : [])) ?? [];

describe('topology graph', () => {
  it('has every topic of DESIGN.md section 1 plus llm.audit', () => {
    const names = TOPICS.map((t) => t.name);
    for (const topic of ['offenses.raw', 'findings.raw', 'enriched', 'correlated', 'verdicts', 'actions', 'llm.audit']) expect(names).toContain(topic);
  });

  it('every consumed topic has a producer', () => {
    expect(TOPICS.filter((t) => t.consumers.length > 0 && t.producers.length === 0).map((t) => t.name)).toEqual([]);
  });

  it('every service is reachable from the ingest services', () => {
    const reached = new Set<string>(INGEST_SERVICES);
    let grew = true;
    while (grew) {
      grew = false;
      for (const topic of TOPICS) {
        if (!topic.producers.some((p) => reached.has(p))) continue;
        for (const service of stageConsumers(topic.name)) if (!reached.has(service)) { reached.add(service); grew = true; }
      }
    }
    expect([...reached].sort()).toEqual([...SEAM_SERVICES].sort());
  });

  it('every topic a stage consumes has a DLQ, written by exactly those stages', () => {
    for (const topic of TOPICS.filter((t) => t.kind !== 'dlq' && stageConsumers(t.name).length > 0)) {
      const dlq = TOPICS.find((t) => t.name === dlqTopicOf(topic.name));
      expect(dlq, topic.name).toBeDefined();
      expect(dlq?.producers.sort()).toEqual(stageConsumers(topic.name).sort());
      expect(dlq?.dlqOf).toBe(topic.name);
      // A DLQ carries the original bytes, so it must accept messages as large as its source.
      expect(dlq?.configs['max.message.bytes']).toBe(topic.configs['max.message.bytes']);
    }
  });

  it('every value schema exists in the schemas catalogue and matches the catalogue topic', () => {
    for (const topic of TOPICS) {
      expect(SCHEMA_NAMES).toContain(topic.valueSchema);
      if (topic.wire === 'avro') {
        expect(isSeamTopic(topic.name), topic.name).toBe(true);
        if (isSeamTopic(topic.name)) expect(TOPIC_VALUE_SCHEMAS[topic.name]).toBe(topic.valueSchema);
      } else expect(topic.valueSchema).toBe('DlqRecord');
    }
  });

  it('stage consumer groups are seam.<service>, or seam.<service>.<part> for a second consumer of the same service', () => {
    for (const topic of TOPICS) {
      for (const c of topic.consumers) if (c.kind === 'stage') expect(c.group === groupIdOf(c.service) || c.group.startsWith(`${groupIdOf(c.service)}.`), c.group).toBe(true);
    }
  });

  it('renders a table and a Mermaid flowchart', () => {
    const topics = desiredTopics();
    expect(renderTable(topics).split('\n')).toHaveLength(topics.length + 2);
    const mermaid = renderMermaid(topics);
    expect(mermaid.startsWith('flowchart LR')).toBe(true);
    expect(mermaid).toContain('svc_scorer --> topic_verdicts');
    expect(mermaid).toContain('topic_verdicts --> ext_analytics');
    expect(mermaid).toContain('svc_actuator -.-> topic_verdicts_dlq');
  });
});
