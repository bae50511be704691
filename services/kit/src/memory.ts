import type { BatchControls, ConsumerPort, ConsumerRunOptions, HeaderValue, ProducerPort, RawMessage, TopicMessages } from './ports';

/**
 * In-memory twins of the Kafka ports, for unit tests of the loop without a broker. They model what
 * the loop relies on: ordered partitions, batches, resolved-offset commits after each batch, and a
 * producer whose sends can be made to fail.
 */

export interface StoredMessage extends RawMessage {
  readonly partition: number;
  readonly headers: Record<string, HeaderValue>;
}

function keyHash(key: Buffer | string | null): number {
  if (key === null) return 0;
  const bytes = typeof key === 'string' ? Buffer.from(key) : key;
  let hash = 0;
  for (const byte of bytes) hash = (hash * 31 + byte) >>> 0;
  return hash;
}

export class InMemoryBroker {
  readonly #topics = new Map<string, StoredMessage[][]>();
  readonly #committed = new Map<string, number>();

  createTopic(topic: string, partitions = 1): void {
    if (!this.#topics.has(topic)) this.#topics.set(topic, Array.from({ length: partitions }, () => []));
  }

  partitions(topic: string): number {
    return this.#topics.get(topic)?.length ?? 0;
  }

  append(topic: string, message: { key: Buffer | string | null; value: Buffer | null; headers?: Record<string, HeaderValue>; partition?: number }): StoredMessage {
    this.createTopic(topic);
    const partitions = this.#topics.get(topic) ?? [];
    const partition = message.partition ?? keyHash(message.key) % partitions.length;
    const log = partitions[partition];
    if (log === undefined) throw new Error(`no partition ${partition} in ${topic}`);
    const stored: StoredMessage = {
      partition,
      offset: String(log.length),
      key: typeof message.key === 'string' ? Buffer.from(message.key) : message.key,
      value: message.value,
      headers: { ...message.headers },
      timestamp: String(Date.now()),
    };
    log.push(stored);
    return stored;
  }

  /** Messages of a partition from an offset on. */
  read(topic: string, partition: number, fromOffset: number, max: number): StoredMessage[] {
    return (this.#topics.get(topic)?.[partition] ?? []).slice(fromOffset, fromOffset + max);
  }

  highWatermark(topic: string, partition: number): number {
    return this.#topics.get(topic)?.[partition]?.length ?? 0;
  }

  /** Every message of a topic, partition by partition. */
  messages(topic: string): StoredMessage[] {
    return (this.#topics.get(topic) ?? []).flat();
  }

  committed(group: string, topic: string, partition: number): number | undefined {
    return this.#committed.get(`${group}/${topic}/${partition}`);
  }

  commit(group: string, topic: string, partition: number, nextOffset: number): void {
    this.#committed.set(`${group}/${topic}/${partition}`, nextOffset);
  }
}

export class InMemoryProducer implements ProducerPort {
  readonly sent: TopicMessages[][] = [];
  connected = false;
  /** Makes the next `n` sendBatch calls fail before anything is appended. */
  failNextSends = 0;

  constructor(private readonly broker: InMemoryBroker) {}

  connect(): Promise<void> {
    this.connected = true;
    return Promise.resolve();
  }

  async sendBatch(topicMessages: readonly TopicMessages[]): Promise<void> {
    await Promise.resolve();
    if (!this.connected) throw new Error('producer is not connected');
    if (this.failNextSends > 0) {
      this.failNextSends--;
      throw new Error('simulated broker failure');
    }
    this.sent.push([...topicMessages]);
    for (const { topic, messages } of topicMessages) {
      for (const message of messages) this.broker.append(topic, { key: message.key, value: message.value, headers: message.headers });
    }
  }

  disconnect(): Promise<void> {
    this.connected = false;
    return Promise.resolve();
  }
}

export interface InMemoryConsumerOptions {
  readonly groupId: string;
  readonly maxBatchSize?: number;
  readonly pollIntervalMs?: number;
}

export class InMemoryConsumer implements ConsumerPort {
  readonly #broker: InMemoryBroker;
  readonly #options: InMemoryConsumerOptions;
  #topics: readonly string[] = [];
  #running = false;
  #loops: Promise<void>[] = [];

  constructor(broker: InMemoryBroker, options: InMemoryConsumerOptions) {
    this.#broker = broker;
    this.#options = options;
  }

  connect(): Promise<void> {
    return Promise.resolve();
  }

  subscribe(topics: readonly string[]): Promise<void> {
    this.#topics = topics;
    return Promise.resolve();
  }

  run(options: ConsumerRunOptions): Promise<void> {
    this.#running = true;
    const slots = { free: options.concurrency, waiters: [] as (() => void)[] };
    const acquire = async () => {
      while (slots.free === 0) await new Promise<void>((resolve) => slots.waiters.push(resolve));
      slots.free--;
    };
    const release = () => {
      slots.free++;
      slots.waiters.shift()?.();
    };
    for (const topic of this.#topics) {
      this.#broker.createTopic(topic);
      for (let partition = 0; partition < this.#broker.partitions(topic); partition++) {
        this.#loops.push(this.#partitionLoop(topic, partition, options, acquire, release));
      }
    }
    options.onGroupJoin?.();
    return Promise.resolve();
  }

  async #partitionLoop(topic: string, partition: number, options: ConsumerRunOptions, acquire: () => Promise<void>, release: () => void): Promise<void> {
    const group = this.#options.groupId;
    let position = this.#broker.committed(group, topic, partition) ?? 0;
    while (this.#running) {
      const messages = this.#broker.read(topic, partition, position, this.#options.maxBatchSize ?? 100);
      if (messages.length === 0) {
        await new Promise((resolve) => setTimeout(resolve, this.#options.pollIntervalMs ?? 2));
        continue;
      }
      await acquire();
      let resolved: number | undefined;
      const controls: BatchControls = {
        resolveOffset: (offset) => {
          resolved = Number(offset);
        },
        heartbeat: () => Promise.resolve(),
        isRunning: () => this.#running,
        isStale: () => false,
      };
      try {
        await options.eachBatch({ topic, partition, highWatermark: String(this.#broker.highWatermark(topic, partition)), messages }, controls);
      } catch (error) {
        if (resolved !== undefined) this.#broker.commit(group, topic, partition, resolved + 1);
        this.#running = false;
        release();
        options.onCrash?.(error);
        return;
      }
      release();
      // Like kafkajs: the fetch position moves past the batch; resolved offsets are committed.
      if (resolved !== undefined) this.#broker.commit(group, topic, partition, resolved + 1);
      position += messages.length;
    }
  }

  async stop(): Promise<void> {
    this.#running = false;
    await Promise.all(this.#loops);
    this.#loops = [];
  }

  disconnect(): Promise<void> {
    return this.stop();
  }
}
