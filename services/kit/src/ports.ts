/**
 * The small Kafka-facing interfaces the loop is written against. The kafkajs adapters live in
 * kafka.ts; in-memory twins for unit tests live in memory.ts.
 */
export type HeaderValue = Buffer | string;
export type RawHeaders = Record<string, HeaderValue | HeaderValue[] | undefined>;

export interface RawMessage {
  readonly offset: string;
  readonly key: Buffer | null;
  readonly value: Buffer | null;
  readonly headers?: RawHeaders;
  readonly timestamp?: string;
}

export interface InputBatch {
  readonly topic: string;
  readonly partition: number;
  /** Offset of the next record the broker would append (lag = highWatermark - next offset). */
  readonly highWatermark: string;
  readonly messages: readonly RawMessage[];
}

export interface BatchControls {
  /** Marks this offset (and all before it in the partition) processed; committed after the batch. */
  resolveOffset(offset: string): void;
  heartbeat(): Promise<void>;
  isRunning(): boolean;
  /** True when a rebalance or seek made the rest of this batch obsolete. */
  isStale(): boolean;
}

export interface OutgoingMessage {
  readonly key: Buffer | string | null;
  readonly value: Buffer | null;
  readonly headers: Record<string, HeaderValue>;
}

export interface TopicMessages {
  readonly topic: string;
  readonly messages: OutgoingMessage[];
}

export interface ProducerPort {
  connect(): Promise<void>;
  /** Resolves once the broker acknowledged every message (acks=all). */
  sendBatch(topicMessages: readonly TopicMessages[]): Promise<void>;
  disconnect(): Promise<void>;
}

export interface ConsumerRunOptions {
  /** How many partitions are processed at once; one partition is always processed in order. */
  readonly concurrency: number;
  eachBatch(batch: InputBatch, controls: BatchControls): Promise<void>;
  onGroupJoin?(): void;
  onRebalancing?(): void;
  /** The consumer stopped on its own (it will not restart). */
  onCrash?(error: unknown): void;
}

export interface ConsumerPort {
  connect(): Promise<void>;
  subscribe(topics: readonly string[]): Promise<void>;
  run(options: ConsumerRunOptions): Promise<void>;
  /** Stops fetching, waits for the batches in progress, commits resolved offsets. */
  stop(): Promise<void>;
  disconnect(): Promise<void>;
}
