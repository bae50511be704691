import { describe, expect, it } from 'vitest';
import { applyTopology, formatOutcomes } from '../src/apply';
import type { ClusterPort } from '../src/cluster';
import { planTopic, planTopology, summarize, type ActualTopic, type TopicChange } from '../src/plan';
import { desiredTopics } from '../src/topics';

const desired = desiredTopics({ prefix: 'p.' });
const byName = (name: string) => {
  const topic = desired.find((t) => t.name === name);
  if (topic === undefined) throw new Error(name);
  return topic;
};
const asActual = (name: string, overrides: Partial<ActualTopic> = {}): ActualTopic => {
  const d = byName(name);
  return { name, partitions: d.partitions, replicationFactor: d.replicationFactor, configs: { ...d.configs }, ...overrides };
};

describe('desiredTopics', () => {
  it('applies prefix, profile and partition overrides', () => {
    const prod = desiredTopics({ profile: 'production', partitions: { enriched: 12 } });
    const enriched = prod.find((t) => t.name === 'enriched');
    expect(enriched).toMatchObject({ partitions: 12, replicationFactor: 3 });
    expect(enriched?.configs).toMatchObject({ 'cleanup.policy': 'delete', 'retention.ms': '604800000', 'min.insync.replicas': '2' });
    expect(byName('p.verdicts').configs).not.toHaveProperty('retention.ms');
    expect(byName('p.verdicts').configs['min.insync.replicas']).toBe('1');
    expect(() => desiredTopics({ partitions: { nope: 1 } })).toThrow(/unknown topic/);
  });
});

describe('planTopic', () => {
  it('creates a missing topic with every managed config', () => {
    const plan = planTopic(byName('p.enriched'), undefined);
    expect(plan.change).toEqual({ kind: 'create', topic: 'p.enriched', partitions: 6, replicationFactor: 1, configs: byName('p.enriched').configs });
  });

  it('does nothing when in sync (cleanup.policy compared as a set)', () => {
    expect(planTopic(byName('p.enriched'), asActual('p.enriched'))).toEqual({ topic: 'p.enriched', change: null, drift: [] });
    const actual = asActual('p.enriched', { configs: { ...byName('p.enriched').configs, 'cleanup.policy': ' delete ' } });
    expect(planTopic(byName('p.enriched'), actual).drift).toEqual([]);
  });

  it('raises partitions on a delete topic', () => {
    const plan = planTopic(byName('p.enriched'), asActual('p.enriched', { partitions: 3 }));
    expect(plan.change).toEqual({ kind: 'add-partitions', topic: 'p.enriched', from: 3, to: 6 });
    expect(plan.drift).toEqual([]);
  });

  it('reports instead of raising partitions of a compacted topic, unless allowed', () => {
    const actual = asActual('p.verdicts', { partitions: 2 });
    expect(planTopic(byName('p.verdicts'), actual)).toMatchObject({ change: null, drift: [{ kind: 'partitions-compacted', desired: 6, actual: 2 }] });
    expect(planTopic(byName('p.verdicts'), actual, { allowCompactedRepartition: true }).change?.kind).toBe('add-partitions');
  });

  it('reports fewer partitions wanted, replication and config drift, and changes nothing', () => {
    const actual = asActual('p.enriched', {
      partitions: 10, replicationFactor: 3,
      configs: { ...byName('p.enriched').configs, 'cleanup.policy': 'compact', 'retention.ms': '1000' },
    });
    const plan = planTopic(byName('p.enriched'), actual);
    expect(plan.change).toBeNull();
    expect(plan.drift).toEqual([
      { kind: 'partitions-fewer-wanted', desired: 6, actual: 10 },
      { kind: 'replication-factor', desired: 1, actual: 3 },
      { kind: 'config', key: 'cleanup.policy', desired: 'delete', actual: 'compact' },
      { kind: 'config', key: 'retention.ms', desired: '604800000', actual: '1000' },
    ]);
  });

  it('summarizes a whole plan', () => {
    const actual = new Map([['p.enriched', asActual('p.enriched')], ['p.actions', asActual('p.actions', { partitions: 1 })]]);
    expect(summarize(planTopology(desired, actual))).toEqual({ create: desired.length - 2, addPartitions: 1, inSync: 1, drifted: 0 });
  });
});

/** In-memory twin of the cluster port. */
function memoryCluster(initial: ActualTopic[] = [], failOn?: string): ClusterPort & { topics: Map<string, ActualTopic>; changes: TopicChange[] } {
  const topics = new Map(initial.map((t) => [t.name, t]));
  const changes: TopicChange[] = [];
  return {
    topics, changes,
    describeTopics: (names) => Promise.resolve(new Map([...topics].filter(([name]) => names.includes(name)))),
    apply(change) {
      if (change.topic === failOn) return Promise.reject(new Error('broker says no'));
      changes.push(change);
      if (change.kind === 'create') topics.set(change.topic, { name: change.topic, partitions: change.partitions, replicationFactor: change.replicationFactor, configs: { ...change.configs } });
      else { const t = topics.get(change.topic); if (t) t.partitions = change.to; }
      return Promise.resolve();
    },
    close: () => Promise.resolve(),
  };
}

describe('applyTopology (in-memory cluster)', () => {
  it('creates everything once; a second run is a no-op', async () => {
    const cluster = memoryCluster();
    const first = await applyTopology(cluster, desired);
    expect(first.every((o) => o.result === 'created')).toBe(true);
    const second = await applyTopology(cluster, desired);
    expect(second.every((o) => o.result === 'unchanged' && o.plan.drift.length === 0)).toBe(true);
    expect(cluster.changes).toHaveLength(desired.length);
    expect(formatOutcomes(second)).toContain(`${desired.length} topics: 0 created, 0 raised, 0 failed, 0 with drift`);
  });

  it('dry run changes nothing; a failure is reported per topic and the rest continues', async () => {
    const dry = memoryCluster();
    await applyTopology(dry, desired, { dryRun: true });
    expect(dry.changes).toEqual([]);
    const failing = memoryCluster([], 'p.enriched');
    const outcomes = await applyTopology(failing, desired);
    expect(outcomes.find((o) => o.topic === 'p.enriched')).toMatchObject({ result: 'failed', error: 'broker says no' });
    expect(outcomes.filter((o) => o.result === 'created')).toHaveLength(desired.length - 1);
    expect(formatOutcomes(outcomes)).toContain('FAILED create: broker says no');
  });
});
