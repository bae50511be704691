import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { request as httpsRequest, Agent as HttpsAgent } from 'node:https';
import { Agent as HttpAgent } from 'node:http';
import type { Secret } from '@seam/kit';
import type { DeliveredOffense } from '../domain/offense';
import { parseOffenseElement, partitionItems, type InvalidOffense, type PageItem } from '../domain/validation';
import { splitJsonArray } from '../domain/json-array';
import { classifyStatus, parseRetryAfter, retryDelayMs, type RetryPolicy } from '../domain/retry';

/** Minimal logger surface (pino-compatible). */
export interface ClientLogger {
  warn(obj: object, msg: string): void;
  debug(obj: object, msg: string): void;
}

export interface QradarClientOptions {
  /** Console base URL, e.g. https://qradar.example.com (the API is under /api). */
  readonly baseUrl: string;
  readonly token: Secret;
  /** QRadar API version header; e.g. "20.0". */
  readonly apiVersion: string;
  /** PEM CA bundle for the console's certificate (else the system store). */
  readonly caPem?: string;
  /** Skips certificate verification. Only for labs; logs a loud warning at start. */
  readonly insecureSkipVerify?: boolean;
  readonly timeoutMs: number;
  readonly retry: RetryPolicy;
  readonly logger: ClientLogger;
  readonly sleep?: (ms: number) => Promise<void>;
  readonly random?: () => number;
}

/** A QRadar error answer, parsed from its JSON envelope. Never carries the token. */
export class QradarError extends Error {
  constructor(
    message: string,
    readonly status: number,
    readonly code: number | undefined,
    readonly retriable: boolean,
    readonly retryAfterMs: number | undefined,
    readonly endpoint: string,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

export class QradarUnauthorizedError extends QradarError {}
export class QradarRateLimitedError extends QradarError {}
export class QradarServerError extends QradarError {}
export class QradarNotFoundError extends QradarError {}
export class QradarRequestError extends QradarError {}
/** Connection refused/reset, TLS failure, timeout: no HTTP answer at all. */
export class QradarUnavailableError extends QradarError {}

interface Response {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}

export interface RequestOptions {
  readonly query?: Readonly<Record<string, string>>;
  readonly range?: { readonly from: number; readonly to: number };
  readonly headers?: Readonly<Record<string, string>>;
}

function headerValue(headers: IncomingHttpHeaders, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
}

function errorFor(status: number, body: string, endpoint: string, retryAfterMs: number | undefined): QradarError {
  let code: number | undefined;
  let detail = '';
  try {
    const parsed = JSON.parse(body) as { code?: unknown; message?: unknown; description?: unknown; http_response?: { message?: unknown } };
    if (typeof parsed.code === 'number') code = parsed.code;
    const message = typeof parsed.message === 'string' ? parsed.message : typeof parsed.http_response?.message === 'string' ? parsed.http_response.message : '';
    detail = message.slice(0, 300);
  } catch {
    detail = 'non-JSON error body';
  }
  const text = `QRadar ${endpoint} answered ${status}${code === undefined ? '' : ` (code ${code})`}: ${detail}`;
  const retriable = classifyStatus(status) === 'retriable';
  if (status === 401) return new QradarUnauthorizedError(text, status, code, retriable, retryAfterMs, endpoint);
  if (status === 429) return new QradarRateLimitedError(text, status, code, retriable, retryAfterMs, endpoint);
  if (status >= 500) return new QradarServerError(text, status, code, retriable, retryAfterMs, endpoint);
  if (status === 404) return new QradarNotFoundError(text, status, code, retriable, retryAfterMs, endpoint);
  return new QradarRequestError(text, status, code, retriable, retryAfterMs, endpoint);
}

/** QRadar answered 2xx but the offense it returned fails validation (the webhook answers 502). */
export class InvalidOffenseError extends Error {
  constructor(
    readonly offenseId: number,
    readonly reason: string,
  ) {
    super(`QRadar returned a malformed offense ${offenseId}: ${reason}`);
    this.name = 'InvalidOffenseError';
  }
}

export interface OffensePage {
  /** Every element in page order (valid or not); `length` is what decides whether more pages follow. */
  readonly items: PageItem[];
  readonly offenses: DeliveredOffense[];
  /** Elements that failed validation, with their exact JSON text and the reason. */
  readonly invalid: InvalidOffense[];
  /** Total from Content-Range (`items x-y/total`), when the console sent it. */
  readonly total: number | undefined;
}

export interface ArielSample {
  /** JSON text of the rows array, or null when the search did not complete. */
  readonly rows: string | null;
  readonly count: number;
}

/**
 * The QRadar REST client: SEC token + Version headers, TLS with a configurable CA, per-request
 * timeouts, typed errors from QRadar's error JSON, and bounded retries (401/429/5xx/no answer)
 * with backoff that honours Retry-After. The token is only ever placed in the SEC header.
 */
export class QradarClient {
  readonly #base: URL;
  readonly #agent: HttpAgent | HttpsAgent;
  readonly #sleep: (ms: number) => Promise<void>;
  readonly #random: () => number;

  constructor(private readonly options: QradarClientOptions) {
    this.#base = new URL(options.baseUrl.replace(/\/+$/, '') + '/');
    this.#sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
    this.#random = options.random ?? Math.random;
    if (this.#base.protocol === 'https:') {
      if (options.insecureSkipVerify === true) {
        options.logger.warn(
          { qradar: this.#base.host, tls: 'verification disabled' },
          'QRADAR_TLS_INSECURE is set: the QRadar certificate is NOT verified; the SEC token can be intercepted by anyone on the path. Use QRADAR_CA_FILE instead.',
        );
      }
      this.#agent = new HttpsAgent({
        keepAlive: true,
        maxSockets: 32,
        rejectUnauthorized: options.insecureSkipVerify !== true,
        ...(options.caPem === undefined ? {} : { ca: options.caPem }),
      });
    } else if (this.#base.protocol === 'http:') {
      const loopback = ['127.0.0.1', 'localhost', '[::1]'].includes(this.#base.hostname);
      if (!loopback) options.logger.warn({ qradar: this.#base.host }, 'QRADAR_URL is plain http to a non-loopback host: the SEC token travels unencrypted');
      this.#agent = new HttpAgent({ keepAlive: true, maxSockets: 32 });
    } else {
      throw new Error('QRADAR_URL must be http(s)');
    }
  }

  get origin(): string {
    return this.#base.hostname;
  }

  close(): void {
    this.#agent.destroy();
  }

  /** One request with bounded retries; throws a QradarError when it finally fails. */
  async request(method: 'GET' | 'POST' | 'DELETE', path: string, options: RequestOptions = {}): Promise<Response> {
    const endpoint = `${method} ${path.replace(/\/\d+(?=\/|$)/g, '/{id}')}`;
    for (let attempt = 1; ; attempt += 1) {
      let error: QradarError;
      try {
        const response = await this.#once(method, path, options, endpoint);
        if (response.status < 300) return response;
        const retryAfterMs = parseRetryAfter(headerValue(response.headers, 'retry-after'), Date.now());
        error = errorFor(response.status, response.body, endpoint, retryAfterMs);
      } catch (caught) {
        if (caught instanceof QradarError) error = caught;
        else throw caught;
      }
      if (!error.retriable || attempt >= this.options.retry.maxAttempts) throw error;
      const delay = retryDelayMs(this.options.retry, attempt, error.retryAfterMs, this.#random);
      this.options.logger.debug({ endpoint, status: error.status, attempt, delayMs: delay }, 'QRadar request failed; retrying');
      await this.#sleep(delay);
    }
  }

  #once(method: string, path: string, options: RequestOptions, endpoint: string): Promise<Response> {
    const url = new URL(path.replace(/^\/+/, ''), this.#base);
    for (const [key, value] of Object.entries(options.query ?? {})) url.searchParams.set(key, value);
    const headers: Record<string, string> = {
      Accept: 'application/json',
      Version: this.options.apiVersion,
      ...options.headers,
      SEC: this.options.token.reveal(),
    };
    if (options.range) headers['Range'] = `items=${options.range.from}-${options.range.to}`;
    const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
    return new Promise<Response>((resolve, reject) => {
      const req = send(url, { method, headers, agent: this.#agent, timeout: this.options.timeoutMs }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', () => reject(new QradarUnavailableError(`QRadar ${endpoint}: response aborted`, 0, undefined, true, undefined, endpoint)));
      });
      req.on('timeout', () => req.destroy(new Error('timeout')));
      req.on('error', (cause: NodeJS.ErrnoException) => {
        // Only the error code: messages of TLS errors can quote hosts but never headers; keep it terse anyway.
        const reason = cause.message === 'timeout' ? `timed out after ${this.options.timeoutMs} ms` : (cause.code ?? 'connection failed');
        reject(new QradarUnavailableError(`QRadar ${endpoint}: ${reason}`, 0, undefined, true, undefined, endpoint));
      });
      req.end();
    });
  }

  async listOffenses(filter: string, sort: string, range: { from: number; to: number }): Promise<OffensePage> {
    const response = await this.request('GET', 'api/siem/offenses', { query: { filter, sort }, range });
    // A body that is not one JSON array fails the whole page (retried); a bad element never does.
    const items = splitJsonArray(response.body).map(parseOffenseElement);
    const match = /\/(\d+)\s*$/.exec(headerValue(response.headers, 'content-range') ?? '');
    const { valid, invalid } = partitionItems(items);
    return { items, offenses: valid, invalid, total: match?.[1] === undefined ? undefined : Number(match[1]) };
  }

  /** One offense; throws InvalidOffenseError when QRadar's answer fails validation. */
  async getOffense(id: number): Promise<DeliveredOffense> {
    const response = await this.request('GET', `api/siem/offenses/${id}`);
    const item = parseOffenseElement(response.body);
    if (!item.valid) throw new InvalidOffenseError(id, item.invalid.reason);
    return item.offense;
  }

  /** id → IP for the given address ids (one request per call: callers batch). */
  async addresses(side: 'source' | 'local', filter: string, count: number): Promise<Map<number, string>> {
    const path = side === 'source' ? 'api/siem/source_addresses' : 'api/siem/local_destination_addresses';
    const ipField = side === 'source' ? 'source_ip' : 'local_destination_ip';
    const response = await this.request('GET', path, { query: { filter, fields: `id,${ipField}` }, range: { from: 0, to: Math.max(0, count - 1) } });
    const rows = JSON.parse(response.body) as unknown;
    const map = new Map<number, string>();
    if (Array.isArray(rows)) {
      for (const row of rows as Record<string, unknown>[]) {
        const id = row['id'];
        const ip = row[ipField];
        if (typeof id === 'number' && typeof ip === 'string') map.set(id, ip);
      }
    }
    return map;
  }

  /**
   * Runs one Ariel search and returns its rows as delivered. Waits with `Prefer: wait=N` until the
   * search completes or `deadlineMs` passes; deletes the search afterwards (best effort).
   */
  async arielSample(query: string, limit: number, waitSeconds: number, deadlineMs: number): Promise<ArielSample> {
    const created = await this.request('POST', 'api/ariel/searches', { query: { query_expression: query } });
    const searchId = (JSON.parse(created.body) as { search_id?: unknown }).search_id;
    if (typeof searchId !== 'string') throw new QradarRequestError('QRadar POST /api/ariel/searches: answer has no search_id', created.status, undefined, false, undefined, 'POST /api/ariel/searches');
    const searchPath = `api/ariel/searches/${encodeURIComponent(searchId)}`;
    try {
      const end = Date.now() + deadlineMs;
      for (;;) {
        const status = await this.request('GET', searchPath, { headers: { Prefer: `wait=${waitSeconds}` } });
        const state = (JSON.parse(status.body) as { status?: unknown }).status;
        if (state === 'COMPLETED') break;
        if (state === 'ERROR' || state === 'CANCELED') return { rows: null, count: 0 };
        if (Date.now() >= end) return { rows: null, count: 0 };
      }
      const results = await this.request('GET', `${searchPath}/results`, { range: { from: 0, to: Math.max(0, limit - 1) } });
      const parsed = JSON.parse(results.body) as { events?: unknown };
      const rows = Array.isArray(parsed.events) ? parsed.events : [];
      return { rows: JSON.stringify(rows), count: rows.length };
    } finally {
      await this.request('DELETE', searchPath).catch(() => undefined);
    }
  }
}
