import { isSchemaName } from '@seam/schemas';
import { z } from 'zod';

// The shape of the topology data (topics.ts), validated when it is built.

export const SEAM_SERVICES = ['qradar-ingest', 'aws-ingest', 'enricher', 'correlator', 'scorer', 'actuator'] as const;
export type SeamService = (typeof SEAM_SERVICES)[number];
/** Readers outside Seam that rely on a topic's contract. */
export const EXTERNAL_CONSUMERS = ['analytics', 'audit'] as const;
export type ExternalConsumer = (typeof EXTERNAL_CONSUMERS)[number];
/** The services that bring data in: every other service must be reachable from them. */
export const INGEST_SERVICES: readonly SeamService[] = ['qradar-ingest', 'aws-ingest'];

export const groupIdOf = (service: SeamService): `seam.${SeamService}` => `seam.${service}`;

const serviceSchema = z.enum(SEAM_SERVICES);
const consumerSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('stage'), service: serviceSchema, group: z.string().min(1) }),
  z.object({ kind: z.literal('external'), name: z.enum(EXTERNAL_CONSUMERS), note: z.string() }),
]);
export type TopicConsumer = z.infer<typeof consumerSchema>;

export const cleanupPolicySchema = z.enum(['delete', 'compact']);
export type CleanupPolicy = z.infer<typeof cleanupPolicySchema>;

const topicNamePattern = /^[a-zA-Z0-9._-]{1,249}$/;

export const topicSpecSchema = z.object({
  /** Name without the environment prefix. */
  name: z.string().regex(topicNamePattern),
  kind: z.enum(['pipeline', 'dlq', 'audit']),
  partitions: z.int().min(1).max(1000),
  key: z.string().min(1),
  cleanupPolicy: cleanupPolicySchema,
  /** retention.ms for delete topics; -1 keeps forever; null for compacted topics (latest per key stays). */
  retentionMs: z.int().min(-1).nullable(),
  /** Further topic configs, as Kafka spells them. */
  configs: z.record(z.string(), z.string()),
  /** Name in the @seam/schemas catalogue. For a DLQ it is DlqRecord, the decoded view (see wire). */
  valueSchema: z.string().refine(isSchemaName, 'not in the @seam/schemas catalogue'),
  /** avro: Confluent-framed Avro of valueSchema; original-bytes: the failed message's bytes plus seam.* headers. */
  wire: z.enum(['avro', 'original-bytes']),
  producers: z.array(serviceSchema),
  consumers: z.array(consumerSchema),
  /** For a DLQ: the topic whose failed messages it holds. */
  dlqOf: z.string().nullable(),
}).superRefine((spec, ctx) => {
  if (spec.cleanupPolicy === 'compact' && spec.retentionMs !== null) {
    ctx.addIssue({ code: 'custom', message: 'compacted topics keep the latest value per key: retentionMs must be null' });
  }
  if (spec.cleanupPolicy === 'delete' && spec.retentionMs === null) {
    ctx.addIssue({ code: 'custom', message: 'delete topics need a retentionMs' });
  }
  if ((spec.kind === 'dlq') !== (spec.dlqOf !== null)) ctx.addIssue({ code: 'custom', message: 'dlqOf is set exactly on DLQ topics' });
});
export type TopicSpec = z.infer<typeof topicSpecSchema>;

export const topologySchema = z.array(topicSpecSchema).superRefine((topics, ctx) => {
  const names = new Set<string>();
  for (const topic of topics) {
    if (names.has(topic.name)) ctx.addIssue({ code: 'custom', message: `duplicate topic ${topic.name}` });
    names.add(topic.name);
  }
});

export const topologyOptionsSchema = z.object({
  /** Prepended to every topic name (environments, tests). */
  prefix: z.string().regex(/^[a-zA-Z0-9._-]*$/).default(''),
  /** dev: one broker (RF 1, min ISR 1). production: RF 3, min ISR 2. */
  profile: z.enum(['dev', 'production']).default('dev'),
  replicationFactor: z.int().min(1).optional(),
  /** Partition count per topic name (without prefix). */
  partitions: z.record(z.string(), z.int().min(1)).default({}),
});
export type TopologyOptions = z.input<typeof topologyOptionsSchema>;

/** A topic as it should exist on a cluster: full name, replication and every managed config. */
export interface DesiredTopic {
  name: string;
  spec: TopicSpec;
  partitions: number;
  replicationFactor: number;
  /** The configs apply manages and compares: cleanup.policy, retention.ms, min.insync.replicas, spec.configs. */
  configs: Record<string, string>;
}
