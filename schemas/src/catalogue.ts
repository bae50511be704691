import type avro from 'avsc';
import type { z } from 'zod';
import { type AvroRecordJson, fullNameOf, parseAvro, readAvsc } from './avro';
import { actionRecordSchema } from './records/action';
import { dlqRecordSchema } from './records/dlq';
import { incidentSchema } from './records/incident';
import { llmInferenceSchema } from './records/llm-inference';
import { findingRawSchema, offenseRawSchema } from './records/raw';
import { securityEventSchema } from './records/security-event';
import { verdictSchema } from './records/verdict';

/** zod validator per Avro record name; the file is `schemas/avro/<name>.avsc`. */
const validators = {
  OffenseRaw: offenseRawSchema,
  FindingRaw: findingRawSchema,
  SecurityEvent: securityEventSchema,
  Incident: incidentSchema,
  Verdict: verdictSchema,
  ActionRecord: actionRecordSchema,
  LlmInference: llmInferenceSchema,
  DlqRecord: dlqRecordSchema,
} as const;
type Validators = typeof validators;

export type SchemaName = keyof Validators;
export const SCHEMA_NAMES = Object.keys(validators) as SchemaName[];
/** The TypeScript type of a record, by schema name (e.g. RecordOf<'Verdict'>). */
export type RecordOf<N extends SchemaName> = z.output<Validators[N]>;

export interface RecordSchema<N extends SchemaName = SchemaName> {
  name: N;
  /** Avro full name, e.g. dev.seam.Verdict. */
  fullName: string;
  /** The .avsc JSON, as registered. */
  avsc: AvroRecordJson;
  /** Parsed avsc type: toBuffer/fromBuffer/isValid/createResolver. */
  type: avro.Type;
  validator: Validators[N];
}

function defineSchema<N extends SchemaName>(name: N): RecordSchema<N> {
  const avsc = readAvsc(name);
  return { name, fullName: fullNameOf(avsc), avsc, type: parseAvro(avsc), validator: validators[name] };
}

export const schemas: { readonly [N in SchemaName]: RecordSchema<N> } = {
  OffenseRaw: defineSchema('OffenseRaw'),
  FindingRaw: defineSchema('FindingRaw'),
  SecurityEvent: defineSchema('SecurityEvent'),
  Incident: defineSchema('Incident'),
  Verdict: defineSchema('Verdict'),
  ActionRecord: defineSchema('ActionRecord'),
  LlmInference: defineSchema('LlmInference'),
  DlqRecord: defineSchema('DlqRecord'),
};

/** Value schema of every Avro topic (DESIGN.md section 1, plus llm.audit). */
export const TOPIC_VALUE_SCHEMAS = {
  'offenses.raw': 'OffenseRaw',
  'findings.raw': 'FindingRaw',
  enriched: 'SecurityEvent',
  correlated: 'Incident',
  verdicts: 'Verdict',
  actions: 'ActionRecord',
  'llm.audit': 'LlmInference',
} as const satisfies Record<string, SchemaName>;

export type SeamTopic = keyof typeof TOPIC_VALUE_SCHEMAS;
export const SEAM_TOPICS = Object.keys(TOPIC_VALUE_SCHEMAS) as SeamTopic[];
export type TopicSchemaName<T extends SeamTopic> = (typeof TOPIC_VALUE_SCHEMAS)[T];
/** The TypeScript type of a topic's value, e.g. TopicValue<'verdicts'> is Verdict. */
export type TopicValue<T extends SeamTopic> = RecordOf<TopicSchemaName<T>>;

/** `<topic>.dlq` carries the original bytes plus seam.* headers; DlqRecord is its decoded view. */
export const DLQ_SUFFIX = '.dlq';
export const dlqTopicOf = <T extends string>(topic: T): `${T}.dlq` => `${topic}${DLQ_SUFFIX}`;
export const DLQ_VIEW_SCHEMA: SchemaName = 'DlqRecord';

/** TopicNameStrategy: the value subject of a topic. */
export const valueSubjectOf = <T extends string>(topic: T): `${T}-value` => `${topic}-value`;

export interface TopicEntry<T extends SeamTopic = SeamTopic> {
  topic: T;
  subject: `${T}-value`;
  schema: RecordSchema<TopicSchemaName<T>>;
}

export function topicEntry<T extends SeamTopic>(topic: T): TopicEntry<T> {
  const name: TopicSchemaName<T> = TOPIC_VALUE_SCHEMAS[topic];
  return { topic, subject: valueSubjectOf(topic), schema: schemas[name] };
}

/** Every topic with its subject, Avro schema and zod validator. */
export const topicCatalogue: readonly TopicEntry[] = SEAM_TOPICS.map((topic) => topicEntry(topic));

export interface SubjectEntry {
  subject: string;
  schema: RecordSchema;
  /** The topic whose value it describes; null for DlqRecord, which no topic carries on the wire. */
  topic: SeamTopic | null;
}

/**
 * What `cli.ts register` registers: every topic value subject, plus DlqRecord under its record
 * name (RecordNameStrategy) so tooling can fetch the decoded view from the registry too.
 */
export function registrySubjects(subjectPrefix = ''): SubjectEntry[] {
  const dlq: RecordSchema = schemas.DlqRecord;
  return [
    ...topicCatalogue.map((entry): SubjectEntry => ({
      subject: `${subjectPrefix}${entry.subject}`, schema: entry.schema, topic: entry.topic,
    })),
    { subject: `${subjectPrefix}${dlq.fullName}`, schema: dlq, topic: null },
  ];
}

export const isSeamTopic = (name: string): name is SeamTopic => Object.hasOwn(TOPIC_VALUE_SCHEMAS, name);
export const isSchemaName = (name: string): name is SchemaName => Object.hasOwn(validators, name);
