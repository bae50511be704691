import type { Codec } from '@seam/kit';
import type { OffenseRaw } from '@seam/schemas';
import type { Producer } from 'kafkajs';

/** Produces OffenseRaw records keyed by offense id; resolves only when the broker acknowledged (acks=all). */
export interface OffenseSink {
  produce(records: readonly OffenseRaw[]): Promise<void>;
}

export class KafkaOffenseSink implements OffenseSink {
  constructor(
    private readonly producer: Producer,
    private readonly codec: Codec<OffenseRaw>,
    private readonly topic: string,
  ) {}

  async produce(records: readonly OffenseRaw[]): Promise<void> {
    if (records.length === 0) return;
    const messages = await Promise.all(records.map(async (record) => ({ key: record.sourceId, value: await this.codec.encode(record, this.topic) })));
    await this.producer.send({ topic: this.topic, acks: -1, messages });
  }
}
