import { dlqTopicOf, type SchemaName } from '@seam/schemas';
import {
  groupIdOf, topologyOptionsSchema, topologySchema, type DesiredTopic, type SeamService, type TopicConsumer,
  type TopicSpec, type TopologyOptions,
} from './spec';

// DESIGN.md section 1 as data. Partition counts: 6 on the hot path (each stage scales to 6
// consumers), 3 for the low-volume topics. Compacted topics (correlated, verdicts) keep the latest
// version per incident; `actions` is the audit trail and keeps a year.

const day = 24 * 60 * 60 * 1000;
const HOT_PATH_PARTITIONS = 6;
const LOW_VOLUME_PARTITIONS = 3;

const stage = (service: SeamService): TopicConsumer => ({ kind: 'stage', service, group: groupIdOf(service) });

/** Compaction settings: tombstones kept a day, segments rolled every 6 h so compaction can run. */
const compacted = { 'delete.retention.ms': String(day), 'segment.ms': String(6 * 60 * 60 * 1000), 'min.cleanable.dirty.ratio': '0.5' };

type PipelineTopic = Omit<TopicSpec, 'kind' | 'wire' | 'dlqOf' | 'configs'> & { configs?: Record<string, string>; dlq: boolean; kind?: 'pipeline' | 'audit' };

const pipeline: PipelineTopic[] = [
  {
    name: 'offenses.raw', partitions: HOT_PATH_PARTITIONS, key: 'QRadar offense id', cleanupPolicy: 'delete',
    retentionMs: 7 * day, valueSchema: 'OffenseRaw' satisfies SchemaName,
    producers: ['qradar-ingest'], consumers: [stage('enricher')], dlq: true,
  },
  {
    name: 'findings.raw', partitions: HOT_PATH_PARTITIONS, key: 'ASFF finding Id / GuardDuty finding id / CloudTrail eventID',
    cleanupPolicy: 'delete', retentionMs: 7 * day, valueSchema: 'FindingRaw' satisfies SchemaName,
    producers: ['aws-ingest'], consumers: [stage('enricher')], dlq: true,
  },
  {
    name: 'enriched', partitions: HOT_PATH_PARTITIONS, key: 'eventId (qradar:offense:<id>, cloudtrail:<eventID>, ...)',
    cleanupPolicy: 'delete', retentionMs: 7 * day, valueSchema: 'SecurityEvent' satisfies SchemaName,
    // The scorer keeps a compact copy of each event (its own group, `seam.scorer.events`) to score
    // incidents with their members' enrichment.
    producers: ['enricher'], consumers: [stage('correlator'), { kind: 'stage', service: 'scorer', group: `${groupIdOf('scorer')}.events` }], dlq: true,
  },
  {
    name: 'correlated', partitions: HOT_PATH_PARTITIONS, key: 'incidentId', cleanupPolicy: 'compact', retentionMs: null,
    configs: compacted, valueSchema: 'Incident' satisfies SchemaName,
    producers: ['correlator'], consumers: [stage('scorer')], dlq: true,
  },
  {
    name: 'verdicts', partitions: HOT_PATH_PARTITIONS, key: 'incidentId', cleanupPolicy: 'compact', retentionMs: null,
    configs: compacted, valueSchema: 'Verdict' satisfies SchemaName,
    producers: ['scorer'],
    consumers: [stage('actuator'), { kind: 'external', name: 'analytics', note: 'Avro contract, BACKWARD evolution only' }],
    dlq: true,
  },
  {
    name: 'actions', partitions: LOW_VOLUME_PARTITIONS, key: 'actionId', cleanupPolicy: 'delete', retentionMs: 365 * day,
    valueSchema: 'ActionRecord' satisfies SchemaName, producers: ['actuator'],
    consumers: [
      { kind: 'external', name: 'audit', note: 'audit trail of every action state change' },
      { kind: 'external', name: 'analytics', note: 'action outcomes' },
    ],
    // No Seam stage consumes actions, so nothing would ever write an actions.dlq.
    dlq: false,
  },
  {
    name: 'llm.audit', kind: 'audit', partitions: LOW_VOLUME_PARTITIONS, key: 'incidentId', cleanupPolicy: 'delete',
    retentionMs: 90 * day, valueSchema: 'LlmInference' satisfies SchemaName, producers: ['scorer'],
    consumers: [{ kind: 'external', name: 'audit', note: 'every inference: prompt version, model, input hash, output, tokens, latency' }],
    dlq: false,
  },
];

function toSpecs(topics: readonly PipelineTopic[]): TopicSpec[] {
  const specs: TopicSpec[] = [];
  for (const { dlq, kind, configs, ...topic } of topics) {
    specs.push({ ...topic, kind: kind ?? 'pipeline', configs: configs ?? {}, wire: 'avro', dlqOf: null });
    if (!dlq) continue;
    specs.push({
      name: dlqTopicOf(topic.name),
      kind: 'dlq',
      partitions: LOW_VOLUME_PARTITIONS,
      key: `original key of ${topic.name}`,
      cleanupPolicy: 'delete',
      retentionMs: 30 * day,
      // A DLQ carries the original bytes, so it accepts messages as large as its source does.
      configs: configs?.['max.message.bytes'] === undefined ? {} : { 'max.message.bytes': configs['max.message.bytes'] },
      valueSchema: 'DlqRecord' satisfies SchemaName,
      wire: 'original-bytes',
      // The stages that consume the topic are the ones that give up on its messages.
      producers: topic.consumers.flatMap((c) => (c.kind === 'stage' ? [c.service] : [])),
      consumers: [],
      dlqOf: topic.name,
    });
  }
  return specs;
}

/** The topology, validated. */
export const TOPICS: readonly TopicSpec[] = topologySchema.parse(toSpecs(pipeline));

/** The topics as they should exist on a cluster, for a profile, prefix and overrides. */
export function desiredTopics(input: TopologyOptions = {}, topics: readonly TopicSpec[] = TOPICS): DesiredTopic[] {
  const options = topologyOptionsSchema.parse(input);
  const unknown = Object.keys(options.partitions).filter((name) => !topics.some((t) => t.name === name));
  if (unknown.length > 0) throw new Error(`partition override for unknown topic(s): ${unknown.join(', ')}`);
  const replicationFactor = options.replicationFactor ?? (options.profile === 'production' ? 3 : 1);
  // A write needs min.insync.replicas acks (acks=all): with RF 3 one broker may be down.
  const minInsync = replicationFactor >= 3 ? 2 : 1;
  return topics.map((spec) => {
    const configs: Record<string, string> = {
      'cleanup.policy': spec.cleanupPolicy,
      'min.insync.replicas': String(minInsync),
      ...spec.configs,
    };
    if (spec.retentionMs !== null) configs['retention.ms'] = String(spec.retentionMs);
    return {
      name: `${options.prefix}${spec.name}`,
      spec,
      partitions: options.partitions[spec.name] ?? spec.partitions,
      replicationFactor,
      configs,
    };
  });
}
