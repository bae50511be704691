import type { Logger } from 'pino';
import type { StateStore } from './adapters/state-store';
import type { OffenseTopicReader } from './adapters/topic-reader';
import { rangesToRead, versionsToMark } from './domain/intent';

/**
 * Start-up recovery of a produce intent left by a crash between the Kafka ack of a page and the Redis
 * commit: reads the topic from the offsets recorded in the intent up to the end offsets now, marks
 * every version of the intent found there as produced (no cursor move) and deletes the intent. The
 * versions not found were not produced; the unchanged cursor makes the poller produce them again.
 * Must run before either poller or the webhook. Throws (intent kept) when the topic cannot be read
 * completely within timeoutMs. Returns the number of versions marked, or undefined with no intent.
 */
export async function recoverIntent(store: StateStore, reader: OffenseTopicReader, logger: Logger, timeoutMs: number): Promise<number | undefined> {
  const intent = await store.readIntent();
  if (intent === undefined) return undefined;
  const ranges = rangesToRead(intent, await reader.endOffsets());
  const found = await reader.versionsIn(ranges, timeoutMs);
  const mark = versionsToMark(intent, found);
  await store.commit(mark);
  logger.info({ intended: intent.versions.length, alreadyProduced: mark.length, partitionsRead: ranges.length }, 'recovered a produce intent left by a crash');
  return mark.length;
}
