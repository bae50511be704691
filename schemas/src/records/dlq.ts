import { z } from 'zod';
import { avroBytes, avroInt, avroLong, nullable, stringMap, timestampMs } from './common';

/**
 * Headers every stage sets on a message it sends to `<topic>.dlq`. The DLQ message itself is the
 * original key and value bytes, unchanged; these headers say why it is there.
 */
export const DLQ_HEADERS = {
  errorClass: 'seam.error.class',
  errorReason: 'seam.error.reason',
  sourceTopic: 'seam.source.topic',
  sourcePartition: 'seam.source.partition',
  sourceOffset: 'seam.source.offset',
  stage: 'seam.stage',
  failedAt: 'seam.failed.at',
} as const;
export type DlqHeaderName = (typeof DLQ_HEADERS)[keyof typeof DLQ_HEADERS];

/** Decoded view of a DLQ message, for tooling; mirrors avro/DlqRecord.avsc. */
export const dlqRecordSchema = z.object({
  key: nullable(avroBytes()),
  value: nullable(avroBytes()),
  errorClass: z.string().min(1),
  errorReason: z.string(),
  sourceTopic: z.string().min(1),
  sourcePartition: avroInt().nonnegative(),
  sourceOffset: avroLong().nonnegative(),
  stage: z.string().min(1),
  failedAt: timestampMs(),
  headers: stringMap(z.string()),
});
export type DlqRecord = z.infer<typeof dlqRecordSchema>;

/** What a DLQ message carries besides the original bytes. */
export type DlqMetadata = Omit<DlqRecord, 'key' | 'value' | 'headers'>;

/** The seam.* headers for a DLQ message (string values, as Kafka clients accept them). */
export function dlqHeaders(meta: DlqMetadata): Record<DlqHeaderName, string> {
  return {
    [DLQ_HEADERS.errorClass]: meta.errorClass,
    [DLQ_HEADERS.errorReason]: meta.errorReason,
    [DLQ_HEADERS.sourceTopic]: meta.sourceTopic,
    [DLQ_HEADERS.sourcePartition]: String(meta.sourcePartition),
    [DLQ_HEADERS.sourceOffset]: String(meta.sourceOffset),
    [DLQ_HEADERS.stage]: meta.stage,
    [DLQ_HEADERS.failedAt]: String(meta.failedAt),
  };
}

/** Header values as Kafka clients (kafkajs IHeaders) hand them over. */
export type RawHeaders = Record<string, Buffer | string | (Buffer | string)[] | undefined>;

export interface RawDlqMessage {
  key: Buffer | null;
  value: Buffer | null;
  headers?: RawHeaders | undefined;
}

const headerText = (value: Buffer | string | (Buffer | string)[] | undefined): string | undefined => {
  const first = Array.isArray(value) ? value[0] : value;
  return first === undefined ? undefined : first.toString();
};

const decimal = (text: string | undefined): number | undefined =>
  text !== undefined && /^\d+$/.test(text) ? Number(text) : undefined;

/**
 * Reads a DLQ message into its decoded view. Fails (zod error) when a seam.* header is missing or
 * malformed, i.e. the message was not written by a Seam stage.
 */
export function decodeDlqMessage(message: RawDlqMessage): DlqRecord {
  const headers = message.headers ?? {};
  const text = (name: DlqHeaderName): string | undefined => headerText(headers[name]);
  const seamNames = new Set<string>(Object.values(DLQ_HEADERS));
  const others: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    const decoded = headerText(value);
    if (!seamNames.has(name) && decoded !== undefined) others[name] = decoded;
  }
  return dlqRecordSchema.parse({
    key: message.key,
    value: message.value,
    errorClass: text(DLQ_HEADERS.errorClass),
    errorReason: text(DLQ_HEADERS.errorReason),
    sourceTopic: text(DLQ_HEADERS.sourceTopic),
    sourcePartition: decimal(text(DLQ_HEADERS.sourcePartition)),
    sourceOffset: decimal(text(DLQ_HEADERS.sourceOffset)),
    stage: text(DLQ_HEADERS.stage),
    failedAt: decimal(text(DLQ_HEADERS.failedAt)),
    headers: others,
  });
}
