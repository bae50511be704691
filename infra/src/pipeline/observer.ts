/**
 * Reads a run's output topics (correlated, verdicts, actions) and every DLQ from the beginning,
 * decodes them through the schema registry, validates them with the schemas' zod validators and
 * folds them into RunResults. A record that does not validate is itself reported as a dead letter:
 * the run's output must be exactly what the contract says.
 */
import { randomUUID } from 'node:crypto';
import { SchemaRegistry } from '@kafkajs/confluent-schema-registry';
import { actionRecordSchema, incidentSchema, llmInferenceSchema, verdictSchema } from '@seam/schemas';
import { Kafka, logLevel, type Consumer } from 'kafkajs';
import { RunResults } from './results';
import { runTopics } from './services';

/**
 * The retry budget of the pipeline's own Kafka clients: ~1 minute without the broker, as the kit's
 * defaults give the services (kafkajs's own ~9 s made the observer's consumer give up silently
 * during a broker restart, so a replay stopped seeing its records).
 */
export const RIDE_OUT_RETRY = { retries: 8, initialRetryTime: 300, maxRetryTime: 30_000 } as const;

export interface ObserverOptions {
  readonly brokers: readonly string[];
  readonly registryUrl: string;
  readonly prefix: string;
  readonly onChange?: () => void;
}

export class RunObserver {
  readonly results = new RunResults();
  /** Keys (event ids) seen on `enriched`: the feeder waits for them to pace the input in event time. */
  readonly enrichedKeys = new Set<string>();
  /** Keys seen on any DLQ (the source's record id: offense id, CloudTrail eventID, finding id). */
  readonly deadLetterKeys = new Set<string>();
  #consumer: Consumer | undefined;

  constructor(private readonly options: ObserverOptions) {}

  async start(): Promise<void> {
    const topics = runTopics(this.options.prefix);
    const dlqs = [topics.offensesRaw, topics.findingsRaw, topics.enriched, topics.correlated, topics.verdicts].map((t) => `${t}.dlq`);
    const kafka = new Kafka({ clientId: `${this.options.prefix}observer`, brokers: [...this.options.brokers], logLevel: logLevel.NOTHING, retry: RIDE_OUT_RETRY });
    const registry = new SchemaRegistry({ host: this.options.registryUrl });
    const consumer = kafka.consumer({ groupId: `${this.options.prefix}observer-${randomUUID().slice(0, 8)}`, maxWaitTimeInMs: 200 });
    this.#consumer = consumer;
    await consumer.connect();
    await consumer.subscribe({ topics: [topics.enriched, topics.correlated, topics.verdicts, topics.actions, topics.llmAudit, ...dlqs], fromBeginning: true });
    const { results } = this;
    await consumer.run({
      autoCommit: false,
      eachMessage: async ({ topic, message }) => {
        const key = message.key?.toString('utf8') ?? null;
        if (topic === topics.enriched) {
          if (key !== null) this.enrichedKeys.add(key);
          return;
        }
        if (topic.endsWith('.dlq')) {
          if (key !== null) this.deadLetterKeys.add(key);
          const reason = message.headers?.['seam.error.reason'];
          results.addDeadLetter({ topic, key, reason: reason === undefined ? 'no reason header' : String(Array.isArray(reason) ? reason[0] : reason) });
          this.options.onChange?.();
          return;
        }
        if (message.value === null) return;
        let value: unknown;
        try {
          value = await registry.decode(message.value);
        } catch (error) {
          results.addDeadLetter({ topic, key, reason: `observer cannot decode: ${error instanceof Error ? error.message : String(error)}` });
          return;
        }
        const invalid = (issues: string) => results.addDeadLetter({ topic, key, reason: `observer: record does not match its schema: ${issues}` });
        if (topic === topics.correlated) {
          const parsed = incidentSchema.safeParse(value);
          if (parsed.success) results.addIncident(parsed.data);
          else invalid(parsed.error.message);
        } else if (topic === topics.verdicts) {
          const parsed = verdictSchema.safeParse(value);
          if (parsed.success) results.addVerdict(parsed.data);
          else invalid(parsed.error.message);
        } else if (topic === topics.llmAudit) {
          const parsed = llmInferenceSchema.safeParse(value);
          if (parsed.success) results.addAudit(parsed.data.incidentId, parsed.data.incidentVersion);
          else invalid(parsed.error.message);
        } else if (topic === topics.actions) {
          const parsed = actionRecordSchema.safeParse(value);
          if (parsed.success) {
            const a = parsed.data;
            results.addAction({ actionId: a.actionId, incidentId: a.verdict.incidentId, kind: a.kind, target: a.target, state: a.state, sequence: a.sequence, actor: a.actor });
          } else invalid(parsed.error.message);
        }
        this.options.onChange?.();
      },
    });
  }

  async stop(): Promise<void> {
    await this.#consumer?.disconnect();
    this.#consumer = undefined;
  }
}
