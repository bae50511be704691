// Small node:http helpers shared by the API and admin routes.

import type { IncomingMessage, ServerResponse } from 'node:http';
import { QradarApiError, errors } from './errors';

export interface Reply {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

export interface RequestContext {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: IncomingMessage['headers'];
  /** Parsed JSON body (undefined when there is none). */
  body: unknown;
}

const maxBodyBytes = 64 * 1024 * 1024;

export async function readJsonBody(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const buffer = Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk));
    size += buffer.length;
    if (size > maxBodyBytes) throw errors.invalidBody('Request body too large');
    chunks.push(buffer);
  }
  const text = Buffer.concat(chunks).toString('utf8').trim();
  if (text === '') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw errors.invalidBody('An error occurred parsing the JSON formatted message body');
  }
}

export function send(res: ServerResponse, reply: Reply): void {
  const headers: Record<string, string> = { ...reply.headers };
  if (reply.body === undefined) {
    res.writeHead(reply.status, headers);
    res.end();
    return;
  }
  const text = JSON.stringify(reply.body);
  headers['Content-Type'] = 'application/json;charset=UTF-8';
  headers['Content-Length'] = String(Buffer.byteLength(text));
  res.writeHead(reply.status, headers);
  res.end(text);
}

export function errorReply(error: unknown): Reply {
  if (error instanceof QradarApiError) return { status: error.status, body: error.toBody(), headers: { ...error.headers } };
  const message = error instanceof Error ? error.message : String(error);
  return { status: 500, body: new QradarApiError(500, 1020, message, 'An unexpected error occurred in the emulator.').toBody() };
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export function param(query: URLSearchParams, name: string): string | undefined {
  return query.get(name) ?? undefined;
}

export function header(headers: IncomingMessage['headers'], name: string): string | undefined {
  const value = headers[name.toLowerCase()];
  return Array.isArray(value) ? value[0] : value;
}
