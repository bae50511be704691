import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Secret } from './secret';

function digest(value: string): Buffer {
  return createHash('sha256').update(value, 'utf8').digest();
}

/**
 * True when the Authorization header carries one of the tokens. Compares fixed-length digests with
 * timingSafeEqual, so neither the token's content nor its length leaks through timing.
 */
export function bearerTokenMatches(authorization: string | undefined, tokens: readonly Secret[]): boolean {
  if (authorization === undefined) return false;
  const match = /^Bearer[ ]+(\S+)\s*$/i.exec(authorization);
  if (!match?.[1]) return false;
  const presented = digest(match[1]);
  let ok = false;
  for (const token of tokens) {
    // No early exit: every configured token is compared.
    if (timingSafeEqual(presented, digest(token.reveal()))) ok = true;
  }
  return ok;
}

export type RouteHandler = (req: IncomingMessage, res: ServerResponse) => void | Promise<void>;

/** Wraps a route so that it answers 401 unless a valid bearer token is presented. */
export function requireBearer(tokens: readonly Secret[], handler: RouteHandler): RouteHandler {
  if (tokens.length === 0) throw new Error('requireBearer needs at least one token');
  return (req, res) => {
    if (!bearerTokenMatches(req.headers.authorization, tokens)) {
      res.writeHead(401, { 'content-type': 'application/json', 'www-authenticate': 'Bearer' });
      res.end('{"error":"unauthorized"}');
      return;
    }
    return handler(req, res);
  };
}
