import { DLQ_HEADERS, type Codec } from '@seam/kit';
import type { OffenseRaw } from '@seam/schemas';
import type { Producer } from 'kafkajs';

/** One page element that failed validation, as it goes to the DLQ. */
export interface OffenseDlqEntry {
  /** The offense id when the element has a usable one (the record key), else null. */
  readonly key: string | null;
  /** The element's exact JSON text as QRadar delivered it. */
  readonly raw: string;
  readonly reason: string;
  /** Where it came from, e.g. `qradar:GET /api/siem/offenses`. */
  readonly source: string;
}

/** Produces OffenseRaw records keyed by offense id; resolves only when the broker acknowledged (acks=all). */
export interface OffenseSink {
  produce(records: readonly OffenseRaw[]): Promise<void>;
  /** Produces invalid offenses to the DLQ topic with the kit's DLQ headers; resolves after the ack. */
  dlq(entries: readonly OffenseDlqEntry[]): Promise<void>;
}

export const DLQ_STAGE = 'qradar-ingest';

/** The kit's DLQ headers for a record that was never read from a topic (partition/offset `0`, as aws-ingest). */
export function dlqHeaders(entry: OffenseDlqEntry, failedAt: string): Record<string, string> {
  return {
    [DLQ_HEADERS.errorClass]: 'poison',
    [DLQ_HEADERS.reason]: entry.reason.slice(0, 1000),
    [DLQ_HEADERS.sourceTopic]: entry.source,
    [DLQ_HEADERS.sourcePartition]: '0',
    [DLQ_HEADERS.sourceOffset]: '0',
    [DLQ_HEADERS.stage]: DLQ_STAGE,
    [DLQ_HEADERS.failedAt]: failedAt,
  };
}

export class KafkaOffenseSink implements OffenseSink {
  constructor(
    private readonly producer: Producer,
    private readonly codec: Codec<OffenseRaw>,
    private readonly topic: string,
    private readonly dlqTopic: string = `${topic}.dlq`,
  ) {}

  async produce(records: readonly OffenseRaw[]): Promise<void> {
    if (records.length === 0) return;
    const messages = await Promise.all(records.map(async (record) => ({ key: record.sourceId, value: await this.codec.encode(record, this.topic) })));
    await this.producer.send({ topic: this.topic, acks: -1, messages });
  }

  async dlq(entries: readonly OffenseDlqEntry[]): Promise<void> {
    if (entries.length === 0) return;
    const failedAt = new Date().toISOString();
    const messages = entries.map((entry) => ({ key: entry.key, value: Buffer.from(entry.raw, 'utf8'), headers: dlqHeaders(entry, failedAt) }));
    await this.producer.send({ topic: this.dlqTopic, acks: -1, messages });
  }
}
