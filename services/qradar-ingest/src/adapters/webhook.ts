import { createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { bearerTokenMatches, readBody, HttpError, type Secret } from '@seam/kit';
import type { Logger } from 'pino';
import { timestampFresh, webhookBodySchema } from '../domain/webhook';
import { InvalidOffenseError, QradarError, QradarNotFoundError } from './qradar-client';

export const SIGNATURE_HEADER = 'x-seam-signature';
export const TIMESTAMP_HEADER = 'x-seam-timestamp';

export interface WebhookAuth {
  readonly bearerTokens: readonly Secret[];
  /** HMAC-SHA256 over `<timestamp>.<raw body>`, header `X-Seam-Signature: sha256=<hex>`. */
  readonly hmacSecret?: Secret;
  readonly maxSkewMs: number;
}

export function signWebhook(secret: string, timestampSeconds: string, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(`${timestampSeconds}.${body}`).digest('hex')}`;
}

function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

function hmacMatches(req: IncomingMessage, body: Buffer, auth: WebhookAuth): boolean {
  if (auth.hmacSecret === undefined) return false;
  const timestamp = header(req, TIMESTAMP_HEADER);
  const signature = header(req, SIGNATURE_HEADER);
  if (signature === undefined || timestamp === undefined || !timestampFresh(timestamp, Date.now(), auth.maxSkewMs)) return false;
  const expected = Buffer.from(signWebhook(auth.hmacSecret.reveal(), timestamp, body.toString('utf8')));
  const presented = Buffer.from(signature);
  return presented.length === expected.length && timingSafeEqual(presented, expected);
}

function json(res: ServerResponse, status: number, body: object, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
}

export function webhookHandler(auth: WebhookAuth, ingest: (offenseId: number) => Promise<'produced' | 'duplicate'>, logger: Logger) {
  return async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const body = await readBody(req, 64 * 1024);
    const authorized = (auth.bearerTokens.length > 0 && bearerTokenMatches(req.headers.authorization, auth.bearerTokens)) || hmacMatches(req, body, auth);
    if (!authorized) {
      json(res, 401, { error: 'unauthorized: send Authorization: Bearer <token> or a fresh X-Seam-Signature' }, { 'www-authenticate': 'Bearer' });
      return;
    }
    let value: unknown;
    try {
      value = JSON.parse(body.toString('utf8'));
    } catch {
      throw new HttpError(400, 'body is not valid JSON');
    }
    const parsed = webhookBodySchema.safeParse(value);
    if (!parsed.success) {
      json(res, 400, { error: 'body must be a JSON object with a positive integer offense_id' });
      return;
    }
    const offenseId = parsed.data.offense_id;
    try {
      const result = await ingest(offenseId);
      json(res, 202, { offense_id: offenseId, result });
    } catch (error) {
      if (error instanceof QradarNotFoundError) {
        json(res, 404, { error: `offense ${offenseId} not found in QRadar` });
        return;
      }
      if (error instanceof InvalidOffenseError) {
        // QRadar's answer, not the caller's body, is at fault: a bad gateway, with the failing fields.
        logger.warn({ offenseId, reason: error.reason }, 'webhook: QRadar returned a malformed offense');
        json(res, 502, { error: `QRadar returned a malformed offense ${offenseId}`, reason: error.reason });
        return;
      }
      logger.warn({ offenseId, reason: error instanceof Error ? error.message : 'unknown' }, 'webhook ingest failed');
      const status = error instanceof QradarError && !error.retriable ? 502 : 503;
      json(res, status, { error: 'QRadar or the pipeline is unavailable; retry later' }, status === 503 ? { 'retry-after': '5' } : {});
    }
  };
}
