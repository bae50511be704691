import { GetFindingsCommand, type AwsSecurityFindingFilters, type SecurityHubClient } from '@aws-sdk/client-securityhub';
import { backoffDelay, type BackoffPolicy, type Logger } from '@seam/kit';
import type { FindingRaw } from '@seam/schemas';
import { advanceWatermark, asffFindingSchema, asffToRaw, describeIssues, isAfterWatermark, timeMs } from './domain/aws-shapes';
import type { DlqEntry, RawSink } from './sink';
import type { WatermarkState, WatermarkStore } from './watermark-store';

export interface SecurityHubPollerOptions {
  readonly client: SecurityHubClient;
  readonly sink: RawSink;
  readonly store: WatermarkStore;
  readonly logger: Logger;
  /** Our own backoff around each GetFindings call, on top of the SDK's adaptive retry. */
  readonly backoff: BackoffPolicy;
  readonly intervalMs: number;
  /** 1..100 (the API's maximum is 100). */
  readonly pageSize?: number;
  /** Extra filters ANDed with the UpdatedAt watermark (e.g. RecordState ACTIVE). */
  readonly extraFilters?: AwsSecurityFindingFilters;
  /** Where to start when Redis holds no watermark (ISO time); all findings when absent. */
  readonly startAt?: string;
  readonly sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
  readonly onPage?: (info: { produced: number; dlq: number; state: WatermarkState }) => void;
}

export interface PollResult {
  readonly pages: number;
  readonly produced: number;
  readonly dlq: number;
  readonly retries: number;
}

const THROTTLING = new Set(['TooManyRequestsException', 'LimitExceededException', 'ThrottlingException', 'ThrottledException', 'RequestLimitExceeded']);

/** True for errors worth retrying: throttling, 5xx, network. 4xx other than throttling are not. */
export function isRetriableAwsError(error: unknown): boolean {
  const e = error as { name?: unknown; $metadata?: { httpStatusCode?: unknown }; $retryable?: unknown } | null;
  if (e === null || typeof e !== 'object') return false;
  if (typeof e.name === 'string' && THROTTLING.has(e.name)) return true;
  const status = e.$metadata?.httpStatusCode;
  if (typeof status === 'number') return status === 429 || status >= 500;
  return true; // no HTTP answer at all: network error
}

/** Error summary safe for logs: name, status and message of the AWS error (never request data). */
function errorSummary(error: unknown): Record<string, unknown> {
  const e = error as { name?: unknown; message?: unknown; $metadata?: { httpStatusCode?: unknown } } | null;
  return { errorName: e?.name, status: e?.$metadata?.httpStatusCode, message: typeof e?.message === 'string' ? e.message.slice(0, 300) : undefined };
}

function defaultSleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done(): void {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}

/**
 * Polls Security Hub GetFindings with an UpdatedAt watermark (DateFilter Start, inclusive), sorted
 * by UpdatedAt ascending, 100 per page, following NextToken. Each page is produced to findings.raw
 * and acknowledged before the watermark (highest UpdatedAt + the ids seen at it) is saved in Redis,
 * so a crash re-reads at most one page (at-least-once) and a restart resumes where it stopped.
 */
export class SecurityHubPoller {
  readonly #abort = new AbortController();
  #loop: Promise<void> | undefined;

  constructor(private readonly options: SecurityHubPollerOptions) {}

  async pollOnce(signal: AbortSignal = this.#abort.signal): Promise<PollResult> {
    const { client, sink, store, logger } = this.options;
    const start = await store.load();
    let running: WatermarkState = start;
    if (start.watermarkMs === null && this.options.startAt !== undefined) {
      running = { watermarkMs: Date.parse(this.options.startAt) - 1, seen: new Set() };
    }
    const filterFrom = running;
    const filters: AwsSecurityFindingFilters = {
      ...this.options.extraFilters,
      ...(filterFrom.watermarkMs !== null ? { UpdatedAt: [{ Start: new Date(filterFrom.watermarkMs).toISOString() }] } : {}),
    };
    let nextToken: string | undefined;
    let pages = 0;
    let produced = 0;
    let dlq = 0;
    let retries = 0;
    do {
      if (signal.aborted) break;
      const input = {
        Filters: filters,
        SortCriteria: [{ Field: 'UpdatedAt', SortOrder: 'asc' as const }],
        MaxResults: this.options.pageSize ?? 100,
        ...(nextToken !== undefined ? { NextToken: nextToken } : {}),
      };
      let attempt = 0;
      let response;
      for (;;) {
        try {
          response = await client.send(new GetFindingsCommand(input), { abortSignal: signal });
          break;
        } catch (error) {
          attempt += 1;
          const delay = isRetriableAwsError(error) && !signal.aborted ? backoffDelay(this.options.backoff, attempt) : undefined;
          if (delay === undefined) throw error;
          retries += 1;
          logger.warn({ ...errorSummary(error), attempt, delayMs: delay }, 'GetFindings failed; backing off');
          await (this.options.sleep ?? defaultSleep)(delay, signal);
          if (signal.aborted) throw error;
        }
      }
      pages += 1;
      const records: FindingRaw[] = [];
      const dead: DlqEntry[] = [];
      const advancedBy: { id: string; updatedAtMs: number }[] = [];
      const receivedAt = Date.now();
      for (const finding of response.Findings ?? []) {
        const raw = finding as unknown;
        const id = typeof finding.Id === 'string' ? finding.Id : null;
        const updatedAtMs = typeof finding.UpdatedAt === 'string' ? timeMs(finding.UpdatedAt) : Number.NaN;
        if (id !== null && Number.isFinite(updatedAtMs)) {
          if (!isAfterWatermark(updatedAtMs, id, filterFrom.watermarkMs, filterFrom.seen)) continue;
          advancedBy.push({ id, updatedAtMs });
        }
        const payload = JSON.stringify(raw);
        const parsed = asffFindingSchema.safeParse(raw);
        if (!parsed.success) {
          dead.push({ key: id, value: Buffer.from(payload, 'utf8'), reason: `ValidationError: not an ASFF finding: ${describeIssues(parsed.error)}`, source: 'securityhub:GetFindings' });
          continue;
        }
        records.push(asffToRaw(parsed.data, 'poll', receivedAt, payload));
      }
      await sink.produce(records);
      await sink.dlq(dead);
      produced += records.length;
      dlq += dead.length;
      if (advancedBy.length > 0) {
        running = advanceWatermark(running, advancedBy);
        await store.save(running);
      }
      if (dead.length > 0) logger.warn({ count: dead.length }, 'invalid findings sent to the DLQ');
      this.options.onPage?.({ produced: records.length, dlq: dead.length, state: running });
      nextToken = response.NextToken !== undefined && response.NextToken !== '' ? response.NextToken : undefined;
    } while (nextToken !== undefined);
    return { pages, produced, dlq, retries };
  }

  /** Polls every intervalMs until stop(); a failed cycle is logged and retried at the next tick. */
  start(): void {
    if (this.#loop) return;
    const signal = this.#abort.signal;
    this.#loop = (async () => {
      while (!signal.aborted) {
        try {
          const result = await this.pollOnce(signal);
          if (result.produced > 0 || result.dlq > 0) this.options.logger.info(result, 'Security Hub poll cycle');
        } catch (error) {
          if (!signal.aborted) this.options.logger.error(errorSummary(error), 'Security Hub poll cycle failed');
        }
        await (this.options.sleep ?? defaultSleep)(this.options.intervalMs, signal);
      }
    })();
  }

  /** Stops polling; resolves once the cycle in progress ended (its acknowledged pages are saved). */
  async stop(): Promise<void> {
    this.#abort.abort();
    await this.#loop;
  }
}
