// Small node:http helpers the emulators share: replies, headers, bodies with a size limit, JSON
// answers. Error envelopes are the emulators' own; these helpers only carry them.

import type { IncomingMessage, ServerResponse } from 'node:http';

/** One HTTP answer; a `body` is sent as JSON. */
export interface Reply {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

export type BodyProblem = 'tooLarge' | 'invalidJson';

/** A request body the emulator cannot take: over the size limit, or not JSON. */
export class BodyError extends Error {
  constructor(
    readonly problem: BodyProblem,
    message: string,
  ) {
    super(message);
    this.name = 'BodyError';
  }
}

/**
 * The raw request body as text (empty string when there is none). Stops reading, and throws
 * BodyError('tooLarge'), as soon as more than `maxBytes` have arrived.
 */
export async function readBody(req: IncomingMessage, maxBytes: number): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const buffer = Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk));
    size += buffer.length;
    if (size > maxBytes) throw new BodyError('tooLarge', 'request body too large');
    chunks.push(buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** JSON.parse, or BodyError('invalidJson'); a blank text is undefined. */
export function parseJson(text: string): unknown {
  if (text.trim() === '') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new BodyError('invalidJson', 'body is not valid JSON');
  }
}

/** Writes `reply`: its body as JSON with `contentType` (default application/json) and Content-Length, or no body at all. */
export function sendReply(res: ServerResponse, reply: Reply, contentType = 'application/json'): void {
  const headers: Record<string, string> = { ...reply.headers };
  if (reply.body === undefined) {
    res.writeHead(reply.status, headers);
    res.end();
    return;
  }
  const text = JSON.stringify(reply.body);
  headers['Content-Type'] = contentType;
  headers['Content-Length'] = String(Buffer.byteLength(text));
  res.writeHead(reply.status, headers);
  res.end(text);
}

/** A request header's value (the first one when repeated). */
export function header(headers: IncomingMessage['headers'], name: string): string | undefined {
  const value = headers[name.toLowerCase()];
  return Array.isArray(value) ? value[0] : value;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
