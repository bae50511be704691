// Small node:http helpers shared by the API and admin routes: the emulator kit's, with QRadar's
// body limit, content type and error envelope.

import type { IncomingMessage, ServerResponse } from 'node:http';
import { BodyError, parseJson, readBody, sendReply, type Reply } from '../emulator-kit/http';
import { QradarApiError, errors } from './errors';

export { header, sleep, type Reply } from '../emulator-kit/http';

export interface RequestContext {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: IncomingMessage['headers'];
  /** Parsed JSON body (undefined when there is none). */
  body: unknown;
}

const maxBodyBytes = 64 * 1024 * 1024;

/** The JSON body (undefined when blank); a too large or unparsable body is QRadar's 400/1001. */
export async function readJsonBody(req: IncomingMessage): Promise<unknown> {
  try {
    return parseJson((await readBody(req, maxBodyBytes)).trim());
  } catch (error) {
    if (!(error instanceof BodyError)) throw error;
    throw errors.invalidBody(error.problem === 'tooLarge' ? 'Request body too large' : 'An error occurred parsing the JSON formatted message body');
  }
}

export function send(res: ServerResponse, reply: Reply): void {
  sendReply(res, reply, 'application/json;charset=UTF-8');
}

export function errorReply(error: unknown): Reply {
  if (error instanceof QradarApiError) return { status: error.status, body: error.toBody(), headers: { ...error.headers } };
  const message = error instanceof Error ? error.message : String(error);
  return { status: 500, body: new QradarApiError(500, 1020, message, 'An unexpected error occurred in the emulator.').toBody() };
}

export function param(query: URLSearchParams, name: string): string | undefined {
  return query.get(name) ?? undefined;
}
