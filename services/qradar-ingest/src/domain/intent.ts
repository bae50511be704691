/**
 * The produce-intent journal (pure): before a page is produced, the versions about to be produced
 * and the end offsets of every partition of the target topic are recorded; after the ack, the commit
 * that marks the versions produced also deletes the intent. An intent found at start-up means the
 * process died between the two: the topic is read from the recorded offsets and every version of the
 * intent found there is marked produced (the others were not produced; the unchanged cursor re-reads them).
 */
import type { OffenseVersion } from './cursors';
import { dedupKeySuffix } from './cursors';

export interface PartitionOffset {
  readonly partition: number;
  /** Kafka offset as a decimal string (kafkajs' representation). */
  readonly offset: string;
}

export interface ProduceIntent {
  readonly versions: readonly OffenseVersion[];
  /** End offsets (high watermarks) of every partition just before the produce. */
  readonly offsets: readonly PartitionOffset[];
}

export function serializeIntent(intent: ProduceIntent): string {
  return JSON.stringify({ versions: intent.versions.map(({ id, persistedAt }) => ({ id, persistedAt })), offsets: intent.offsets.map(({ partition, offset }) => ({ partition, offset })) });
}

const isInt = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v);

export function parseIntent(text: string): ProduceIntent {
  const value = JSON.parse(text) as unknown;
  if (typeof value !== 'object' || value === null) throw new Error('stored produce intent is not an object');
  const { versions, offsets } = value as { versions?: unknown; offsets?: unknown };
  if (!Array.isArray(versions) || !Array.isArray(offsets)) throw new Error('stored produce intent has the wrong shape');
  const vs = versions.map((v: unknown) => {
    const { id, persistedAt } = (typeof v === 'object' && v !== null ? v : {}) as { id?: unknown; persistedAt?: unknown };
    if (!isInt(id) || !isInt(persistedAt)) throw new Error('stored produce intent has a malformed version');
    return { id, persistedAt };
  });
  const os = offsets.map((o: unknown) => {
    const { partition, offset } = (typeof o === 'object' && o !== null ? o : {}) as { partition?: unknown; offset?: unknown };
    if (!isInt(partition) || typeof offset !== 'string' || !/^-?\d+$/.test(offset)) throw new Error('stored produce intent has a malformed offset');
    return { partition, offset };
  });
  return { versions: vs, offsets: os };
}

/**
 * The version an offenses.raw record carries, from its payload (the QRadar offense JSON), with the
 * same rule as `versionOf`: last_persisted_time, else last_updated_time, else 0. Undefined when the
 * payload has no usable id.
 */
export function versionOfPayload(payload: string): OffenseVersion | undefined {
  let value: unknown;
  try {
    value = JSON.parse(payload);
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null) return undefined;
  const { id, last_persisted_time: persisted, last_updated_time: updated } = value as Record<string, unknown>;
  if (!isInt(id)) return undefined;
  const persistedAt = isInt(persisted) ? persisted : isInt(updated) ? updated : 0;
  return { id, persistedAt };
}

/** Recovery decision: the versions of the intent that reached the topic (to mark produced), in intent order, once each. */
export function versionsToMark(intent: ProduceIntent, found: readonly OffenseVersion[]): OffenseVersion[] {
  const inTopic = new Set(found.map(dedupKeySuffix));
  const seen = new Set<string>();
  const out: OffenseVersion[] = [];
  for (const v of intent.versions) {
    const key = dedupKeySuffix(v);
    if (inTopic.has(key) && !seen.has(key)) {
      seen.add(key);
      out.push({ id: v.id, persistedAt: v.persistedAt });
    }
  }
  return out;
}

/** Partitions still to read: those whose end offset now is past the offset recorded in the intent. */
export function rangesToRead(intent: ProduceIntent, endNow: readonly PartitionOffset[]): { partition: number; from: bigint; to: bigint }[] {
  const recorded = new Map(intent.offsets.map((o) => [o.partition, BigInt(o.offset)]));
  const out: { partition: number; from: bigint; to: bigint }[] = [];
  for (const { partition, offset } of endNow) {
    const from = recorded.get(partition) ?? 0n;
    const to = BigInt(offset);
    if (to > from) out.push({ partition, from, to });
  }
  return out;
}
