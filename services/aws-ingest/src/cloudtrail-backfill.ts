import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import { gunzipSync } from 'node:zlib';
import type { Logger } from '@seam/kit';
import type { FindingRaw } from '@seam/schemas';
import { cloudTrailFileSchema, cloudTrailRecordSchema, cloudTrailToRaw, describeIssues } from './domain/aws-shapes';
import type { DlqEntry, RawSink } from './sink';
import type { RedisFileLedger } from './watermark-store';

export interface CloudTrailBackfillOptions {
  readonly dir: string;
  readonly sink: RawSink;
  readonly ledger: RedisFileLedger;
  readonly logger: Logger;
  /** Records per produce call. */
  readonly batchSize?: number;
  readonly signal?: AbortSignal;
}

export interface BackfillResult {
  readonly files: number;
  readonly skipped: number;
  readonly produced: number;
  readonly dlq: number;
}

async function listFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true });
  return entries
    .filter((e) => e.isFile() && /\.json(\.gz)?$/i.test(e.name))
    .map((e) => join(e.parentPath, e.name))
    .sort();
}

/**
 * Reads CloudTrail log files (`{"Records": [...]}`, gzipped or not, as CloudTrail writes them to
 * S3) under a folder and produces each record keyed by eventID. A file is recorded in Redis (by
 * relative path + content hash) only after all its records were acknowledged, so a rerun skips it;
 * a file interrupted half-way is read again (at-least-once; the eventID key makes that harmless).
 */
export async function backfillCloudTrail(options: CloudTrailBackfillOptions): Promise<BackfillResult> {
  const { sink, ledger, logger } = options;
  const batchSize = options.batchSize ?? 500;
  let files = 0;
  let skipped = 0;
  let produced = 0;
  let dlq = 0;
  for (const path of await listFiles(options.dir)) {
    if (options.signal?.aborted) break;
    const name = relative(options.dir, path).split(sep).join('/');
    const bytes = await readFile(path);
    const fileId = `${name}#${createHash('sha256').update(bytes).digest('hex')}`;
    if (await ledger.isDone(fileId)) {
      skipped += 1;
      continue;
    }
    const source = `cloudtrail:${name}`;
    let records: unknown[];
    try {
      const text = (bytes[0] === 0x1f && bytes[1] === 0x8b ? gunzipSync(bytes) : bytes).toString('utf8');
      const parsed = cloudTrailFileSchema.safeParse(JSON.parse(text));
      if (!parsed.success) throw new Error(`not a CloudTrail log file: ${describeIssues(parsed.error)}`);
      records = parsed.data;
    } catch (error) {
      const reason = `ValidationError: ${error instanceof Error ? error.message : String(error)}`.slice(0, 500);
      logger.warn({ file: name, reason }, 'unreadable CloudTrail file sent to the DLQ');
      await sink.dlq([{ key: null, value: bytes, reason, source }]);
      await ledger.markDone(fileId);
      dlq += 1;
      files += 1;
      continue;
    }
    const receivedAt = Date.now();
    let batch: FindingRaw[] = [];
    const dead: DlqEntry[] = [];
    for (const [index, raw] of records.entries()) {
      const payload = JSON.stringify(raw);
      const record = cloudTrailRecordSchema.safeParse(raw);
      if (!record.success) {
        const key = typeof (raw as { eventID?: unknown } | null)?.eventID === 'string' ? (raw as { eventID: string }).eventID : null;
        dead.push({ key, value: Buffer.from(payload, 'utf8'), reason: `ValidationError: Records[${index}] is not a CloudTrail record: ${describeIssues(record.error)}`, source });
        continue;
      }
      batch.push(cloudTrailToRaw(record.data, 'file', receivedAt, payload, `file:${name}`));
      if (batch.length >= batchSize) {
        await sink.produce(batch);
        produced += batch.length;
        batch = [];
      }
    }
    await sink.produce(batch);
    produced += batch.length;
    await sink.dlq(dead);
    dlq += dead.length;
    await ledger.markDone(fileId);
    files += 1;
    logger.info({ file: name, records: records.length, invalid: dead.length }, 'CloudTrail file ingested');
  }
  return { files, skipped, produced, dlq };
}
