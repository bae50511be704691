import { DLQ_HEADERS, type Codec, type OutgoingMessage, type ProducerPort } from '@seam/kit';
import { findingRawSchema, type FindingRaw } from '@seam/schemas';

export interface RawSinkOptions {
  readonly producer: ProducerPort;
  readonly codec: Codec<FindingRaw>;
  /** findings.raw (or a test's prefixed name). */
  readonly topic: string;
  /** findings.raw.dlq (or a test's prefixed name). */
  readonly dlqTopic: string;
  readonly stage: string;
  readonly now?: () => Date;
}

export interface DlqEntry {
  readonly key: string | null;
  /** The offending payload, as received. */
  readonly value: Buffer;
  readonly reason: string;
  /** Where it came from: `securityhub:GetFindings`, `cloudtrail:<file>`. */
  readonly source: string;
}

/**
 * Produces findings.raw records (Avro, keyed by sourceId) and DLQ entries. Both resolve only once
 * the broker acknowledged every message (acks=all), so callers advance their state after it.
 */
export class RawSink {
  constructor(private readonly options: RawSinkOptions) {}

  get topic(): string {
    return this.options.topic;
  }

  async produce(records: readonly FindingRaw[]): Promise<void> {
    if (records.length === 0) return;
    const messages: OutgoingMessage[] = [];
    for (const record of records) {
      const value = findingRawSchema.parse(record);
      messages.push({ key: value.sourceId, value: await this.options.codec.encode(value, this.options.topic), headers: {} });
    }
    await this.options.producer.sendBatch([{ topic: this.options.topic, messages }]);
  }

  async dlq(entries: readonly DlqEntry[]): Promise<void> {
    if (entries.length === 0) return;
    const failedAt = (this.options.now?.() ?? new Date()).toISOString();
    const messages: OutgoingMessage[] = entries.map((entry) => ({
      key: entry.key,
      value: entry.value,
      headers: {
        [DLQ_HEADERS.errorClass]: 'poison',
        [DLQ_HEADERS.reason]: entry.reason.slice(0, 1000),
        // Not read from a topic: the source names the AWS operation or file; partition/offset are 0.
        [DLQ_HEADERS.sourceTopic]: entry.source,
        [DLQ_HEADERS.sourcePartition]: '0',
        [DLQ_HEADERS.sourceOffset]: '0',
        [DLQ_HEADERS.stage]: this.options.stage,
        [DLQ_HEADERS.failedAt]: failedAt,
      },
    }));
    await this.options.producer.sendBatch([{ topic: this.options.dlqTopic, messages }]);
  }
}
