import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { HttpError, bearerTokenMatches, errorReason, readBody, type Logger, type RouteHandler, type Secret } from '@seam/kit';
import { eventBridgeToRaw } from './domain/aws-shapes';
import type { RawSink } from './sink';

export const EVENTBRIDGE_PATH = '/eventbridge';
/** Default header an EventBridge API destination connection (auth type API_KEY) sends. */
export const DEFAULT_API_KEY_HEADER = 'x-seam-eventbridge-key';

export interface EventBridgeIntakeOptions {
  readonly sink: RawSink;
  readonly logger: Logger;
  /** Accepted as `Authorization: Bearer <token>` or as the value of `apiKeyHeader`. */
  readonly tokens: readonly Secret[];
  readonly apiKeyHeader?: string;
  readonly maxBodyBytes?: number;
  readonly now?: () => number;
}

const digest = (value: string): Buffer => createHash('sha256').update(value, 'utf8').digest();

/** Constant-time check of an API-destination header against every configured token. */
function apiKeyMatches(presented: string | string[] | undefined, tokens: readonly Secret[]): boolean {
  if (typeof presented !== 'string' || presented.length === 0) return false;
  const given = digest(presented);
  let ok = false;
  for (const token of tokens) {
    if (timingSafeEqual(given, digest(token.reveal()))) ok = true;
  }
  return ok;
}

function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
}

/**
 * POST /eventbridge: one EventBridge event (GuardDuty Finding, Security Hub Findings - Imported,
 * AWS API Call / Console Sign In via CloudTrail). 401 without a valid token, 400 with a reason for
 * an invalid event, 202 once every record is acknowledged by Kafka, 503 when Kafka did not ack
 * (EventBridge then retries).
 */
export function eventBridgeHandler(options: EventBridgeIntakeOptions): RouteHandler {
  if (options.tokens.length === 0) throw new Error('the EventBridge intake needs at least one token');
  const header = (options.apiKeyHeader ?? DEFAULT_API_KEY_HEADER).toLowerCase();
  return async (req: IncomingMessage, res: ServerResponse) => {
    const authorized = bearerTokenMatches(req.headers.authorization, options.tokens) || apiKeyMatches(req.headers[header], options.tokens);
    if (!authorized) {
      req.resume();
      sendJson(res, 401, { error: 'unauthorized' }, { 'www-authenticate': 'Bearer' });
      return;
    }
    let body: unknown;
    try {
      const bytes = await readBody(req, options.maxBodyBytes ?? 1_048_576);
      body = JSON.parse(bytes.toString('utf8')) as unknown;
    } catch (error) {
      if (error instanceof HttpError) {
        sendJson(res, error.status, { error: error.message });
        return;
      }
      sendJson(res, 400, { error: 'invalid payload', reason: 'body is not valid JSON' });
      return;
    }
    const result = eventBridgeToRaw(body, options.now?.() ?? Date.now());
    if (!result.ok) {
      options.logger.warn({ reason: result.reason }, 'EventBridge event refused');
      sendJson(res, 400, { error: 'invalid payload', reason: result.reason });
      return;
    }
    try {
      await options.sink.produce(result.records);
    } catch (error) {
      // The reason (kit's errorReason: name and message, control characters stripped) says whether
      // the registry, the broker or the encoding failed; neither carries a secret.
      options.logger.error({ errorName: error instanceof Error ? error.name : 'Error', reason: errorReason(error) }, 'EventBridge records not acknowledged by Kafka');
      sendJson(res, 503, { error: 'not accepted, retry later' }, { 'retry-after': '5' });
      return;
    }
    sendJson(res, 202, { accepted: result.records.length, ids: result.records.map((r) => r.sourceId) });
  };
}
