import { randomBytes } from 'node:crypto';
import type { Codec } from '@seam/kit';
import { schemas, type OffenseRaw } from '@seam/schemas';
import type { Admin, Kafka } from 'kafkajs';
import type { OffenseVersion } from '../domain/cursors';
import { versionOfPayload, type PartitionOffset } from '../domain/intent';

/** What the ingestor needs to journal a produce: the current end offsets of the offenses topic. */
export interface EndOffsets {
  endOffsets(): Promise<PartitionOffset[]>;
}

/** Reads offenses.raw for intent recovery: end offsets (admin) and the versions in an offset range (throwaway consumer). */
export class OffenseTopicReader implements EndOffsets {
  #admin: Admin | undefined;

  constructor(
    private readonly kafka: Kafka,
    private readonly codec: Codec<OffenseRaw>,
    private readonly topic: string,
  ) {}

  async #connected(): Promise<Admin> {
    if (this.#admin === undefined) {
      const admin = this.kafka.admin();
      await admin.connect();
      this.#admin = admin;
    }
    return this.#admin;
  }

  async endOffsets(): Promise<PartitionOffset[]> {
    const admin = await this.#connected();
    const offsets = await admin.fetchTopicOffsets(this.topic);
    return offsets.map(({ partition, high }) => ({ partition, offset: high })).sort((a, b) => a.partition - b.partition);
  }

  /**
   * The offense versions of the records in [from, to) of each partition. Rejects when the ranges are
   * not read completely within timeoutMs (the caller must then not decide anything).
   */
  async versionsIn(ranges: readonly { partition: number; from: bigint; to: bigint }[], timeoutMs: number): Promise<OffenseVersion[]> {
    if (ranges.length === 0) return [];
    const groupId = `qradar-ingest-recovery-${randomBytes(6).toString('hex')}`;
    const consumer = this.kafka.consumer({ groupId, allowAutoTopicCreation: false });
    const pending = new Map(ranges.map((r) => [r.partition, r]));
    const found: OffenseVersion[] = [];
    let finish!: () => void;
    let fail!: (error: Error) => void;
    const done = new Promise<void>((resolve, reject) => {
      finish = resolve;
      fail = reject;
    });
    const timer = setTimeout(() => fail(new Error(`intent recovery: reading ${this.topic} did not complete within ${timeoutMs} ms`)), timeoutMs);
    try {
      await consumer.connect();
      await consumer.subscribe({ topics: [this.topic], fromBeginning: true });
      await consumer.run({
        autoCommit: false,
        eachBatch: async (payload) => {
          const { batch } = payload;
          const range = pending.get(batch.partition);
          if (range === undefined) return;
          for (const message of batch.messages) {
            const offset = BigInt(message.offset);
            if (offset < range.from || offset >= range.to || message.value === null) continue;
            const record = schemas.OffenseRaw.validator.parse(await this.codec.decode(message.value, this.topic));
            const version = versionOfPayload(record.payload);
            if (version !== undefined) found.push(version);
          }
          const last = batch.messages.at(-1);
          if (last !== undefined && BigInt(last.offset) + 1n >= range.to) {
            pending.delete(batch.partition);
            if (pending.size === 0) finish();
          }
          await payload.heartbeat();
        },
      });
      for (const r of ranges) consumer.seek({ topic: this.topic, partition: r.partition, offset: r.from.toString() });
      await done;
      return found;
    } finally {
      clearTimeout(timer);
      await consumer.disconnect().catch(() => undefined);
      const admin = await this.#connected().catch(() => undefined);
      await admin?.deleteGroups([groupId]).catch(() => undefined);
    }
  }

  async close(): Promise<void> {
    await this.#admin?.disconnect().catch(() => undefined);
    this.#admin = undefined;
  }
}
