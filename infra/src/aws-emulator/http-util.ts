// Small node:http helpers for the API and admin layers: the emulator kit's, with this emulator's
// body limit.

import type { IncomingMessage } from 'node:http';
import { readBody as readBodyUpTo } from '../emulator-kit/http';

export { BodyError, header, parseJson, sendReply as send, sleep, type Reply } from '../emulator-kit/http';

const maxBodyBytes = 16 * 1024 * 1024;

/** The raw request body as text (empty string when there is none); BodyError over 16 MiB. */
export function readBody(req: IncomingMessage): Promise<string> {
  return readBodyUpTo(req, maxBodyBytes);
}
