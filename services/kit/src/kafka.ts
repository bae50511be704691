import { Kafka, Partitioners, logLevel, type Consumer, type KafkaConfig, type LogEntry, type Producer } from 'kafkajs';
import type { Logger } from 'pino';
import type { CommonConfig } from './config';
import type { ConsumerPort, ConsumerRunOptions, ProducerPort, TopicMessages } from './ports';
import { kafkaSasl, kafkaTls, type KafkaSecurityHooks } from './security';

function pinoLogCreator(logger: Logger) {
  return () =>
    ({ level, label, log }: LogEntry) => {
      const { message, ...extra } = log;
      const fields = { component: 'kafkajs', kafkajs: { ...extra, label } };
      switch (level) {
        case logLevel.ERROR:
          logger.error(fields, message);
          break;
        case logLevel.WARN:
          logger.warn(fields, message);
          break;
        case logLevel.INFO:
          logger.info(fields, message);
          break;
        case logLevel.DEBUG:
        case logLevel.NOTHING:
          logger.debug(fields, message);
          break;
      }
    };
}

export interface CreateKafkaOptions extends KafkaSecurityHooks {
  readonly clientId: string;
  readonly logger: Logger;
}

/** A kafkajs client with TLS and SASL from config. */
export function createKafka(config: CommonConfig, options: CreateKafkaOptions): Kafka {
  const kafkaConfig: KafkaConfig = {
    clientId: config.KAFKA_CLIENT_ID ?? options.clientId,
    brokers: config.KAFKA_BROKERS,
    logLevel: logLevel.WARN,
    logCreator: pinoLogCreator(options.logger),
    retry: { retries: config.KAFKA_RETRIES, initialRetryTime: config.KAFKA_RETRY_INITIAL_MS, maxRetryTime: config.KAFKA_RETRY_MAX_MS },
  };
  const ssl = kafkaTls(config);
  if (ssl) kafkaConfig.ssl = ssl;
  const sasl = kafkaSasl(config, options);
  if (sasl) kafkaConfig.sasl = sasl;
  return new Kafka(kafkaConfig);
}

export interface KafkaConsumerOptions {
  readonly groupId: string;
  readonly fromBeginning: boolean;
  readonly sessionTimeoutMs: number;
  readonly maxBytesPerPartition: number;
}

export class KafkaConsumerPort implements ConsumerPort {
  readonly consumer: Consumer;
  #topics: readonly string[] = [];

  constructor(
    kafka: Kafka,
    private readonly options: KafkaConsumerOptions,
  ) {
    this.consumer = kafka.consumer({
      groupId: options.groupId,
      sessionTimeout: options.sessionTimeoutMs,
      maxBytesPerPartition: options.maxBytesPerPartition,
      allowAutoTopicCreation: false,
    });
  }

  connect(): Promise<void> {
    return this.consumer.connect();
  }

  async subscribe(topics: readonly string[]): Promise<void> {
    this.#topics = topics;
    await this.consumer.subscribe({ topics: [...topics], fromBeginning: this.options.fromBeginning });
  }

  async run(options: ConsumerRunOptions): Promise<void> {
    const { events } = this.consumer;
    this.consumer.on(events.GROUP_JOIN, () => options.onGroupJoin?.());
    this.consumer.on(events.REBALANCING, () => options.onRebalancing?.());
    this.consumer.on(events.CRASH, (event) => {
      // With restart=true kafkajs recovers on its own; otherwise the consumer is gone for good.
      if (!event.payload.restart) options.onCrash?.(event.payload.error);
    });
    await this.consumer.run({
      partitionsConsumedConcurrently: options.concurrency,
      // Resolved offsets (only those whose outputs were acknowledged) are committed after each batch.
      autoCommit: true,
      eachBatchAutoResolve: false,
      eachBatch: async (payload) => {
        const { batch } = payload;
        await options.eachBatch(
          { topic: batch.topic, partition: batch.partition, highWatermark: batch.highWatermark, messages: batch.messages },
          {
            resolveOffset: (offset) => payload.resolveOffset(offset),
            heartbeat: () => payload.heartbeat(),
            isRunning: () => payload.isRunning(),
            isStale: () => payload.isStale(),
          },
        );
      },
    });
  }

  get topics(): readonly string[] {
    return this.#topics;
  }

  stop(): Promise<void> {
    return this.consumer.stop();
  }

  disconnect(): Promise<void> {
    return this.consumer.disconnect();
  }
}

export interface KafkaProducerOptions {
  /** Idempotent producer (kafkajs then requires maxInFlightRequests=1). */
  readonly idempotent: boolean;
}

export class KafkaProducerPort implements ProducerPort {
  readonly producer: Producer;

  constructor(kafka: Kafka, options: KafkaProducerOptions) {
    this.producer = kafka.producer({
      idempotent: options.idempotent,
      ...(options.idempotent ? { maxInFlightRequests: 1 } : {}),
      createPartitioner: Partitioners.DefaultPartitioner,
    });
  }

  connect(): Promise<void> {
    return this.producer.connect();
  }

  async sendBatch(topicMessages: readonly TopicMessages[]): Promise<void> {
    await this.producer.sendBatch({
      acks: -1,
      // The kit's messages already have kafkajs' shape: handed over as they are, no per-record copy.
      topicMessages: topicMessages.map(({ topic, messages }) => ({ topic, messages })),
    });
  }

  disconnect(): Promise<void> {
    return this.producer.disconnect();
  }
}
