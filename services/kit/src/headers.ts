import type { RawHeaders } from './ports';

/** Header names on every DLQ record. Consumers of `<topic>.dlq` rely on them. */
export const DLQ_HEADER_ERROR_CLASS = 'seam.error.class';
export const DLQ_HEADER_ERROR_REASON = 'seam.error.reason';
export const DLQ_HEADER_SOURCE_TOPIC = 'seam.source.topic';
export const DLQ_HEADER_SOURCE_PARTITION = 'seam.source.partition';
export const DLQ_HEADER_SOURCE_OFFSET = 'seam.source.offset';
export const DLQ_HEADER_STAGE = 'seam.stage';
export const DLQ_HEADER_FAILED_AT = 'seam.failed.at';

export const DLQ_HEADERS = {
  errorClass: DLQ_HEADER_ERROR_CLASS,
  reason: DLQ_HEADER_ERROR_REASON,
  sourceTopic: DLQ_HEADER_SOURCE_TOPIC,
  sourcePartition: DLQ_HEADER_SOURCE_PARTITION,
  sourceOffset: DLQ_HEADER_SOURCE_OFFSET,
  stage: DLQ_HEADER_STAGE,
  failedAt: DLQ_HEADER_FAILED_AT,
} as const;

export function dlqTopicFor(sourceTopic: string): string {
  return `${sourceTopic}.dlq`;
}

/** First value of a header as UTF-8 text. */
export function headerText(headers: RawHeaders | undefined, name: string): string | undefined {
  const value = headers?.[name];
  const first = Array.isArray(value) ? value[0] : value;
  if (first === undefined) return undefined;
  return typeof first === 'string' ? first : first.toString('utf8');
}
