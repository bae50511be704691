// The parts of the test-side control API (/_emulator) that both emulators answer alike: the
// X-Emulator-Token check, unknown admin routes, and zod/other failures as 400 {error}.
// What each emulator's own errors look like there is passed in.

import type { IncomingMessage } from 'node:http';
import { ZodError } from 'zod';
import { header, type Reply } from './http';

export const adminTokenHeader = 'x-emulator-token';

/** The 401 answer when the X-Emulator-Token header is missing or wrong; undefined when it is right. */
export function adminAuthFailure(headers: IncomingMessage['headers'], adminToken: string): Reply | undefined {
  if (header(headers, adminTokenHeader) === adminToken) return undefined;
  return { status: 401, body: { error: 'X-Emulator-Token header missing or wrong' } };
}

/** 405 when the path exists with another method, else 404. */
export function adminNoRoute(method: string, path: string, pathMatched: boolean): Reply {
  return { status: pathMatched ? 405 : 404, body: { error: `no admin route ${method} ${path}` } };
}

/**
 * The answer for an admin handler's failure: a ZodError lists its issues; `own` maps the
 * emulator's API errors (undefined for anything else); anything else is 400 with its message.
 */
export function adminFailure(error: unknown, own: (error: unknown) => Reply | undefined): Reply {
  if (error instanceof ZodError) return { status: 400, body: { error: 'invalid request', issues: error.issues } };
  const mapped = own(error);
  if (mapped !== undefined) return mapped;
  return { status: 400, body: { error: error instanceof Error ? error.message : String(error) } };
}
