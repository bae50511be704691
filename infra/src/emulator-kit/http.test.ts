import { request, type IncomingMessage } from 'node:http';
import { Readable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { adminAuthFailure, adminFailure, adminNoRoute } from './admin';
import { BodyError, header, parseJson, readBody, sendReply } from './http';
import { listen, type Listening } from './listen';
import { matchRoute } from './routes';

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
}

function call(url: string, method: string, body?: string, headers: Record<string, string> = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text: Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('error', reject);
    if (body !== undefined) req.write(body);
    req.end();
  });
}

let server: Listening | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

/** A server that answers what readBody made of the request body, with a 10-byte limit. */
async function bodyEcho(): Promise<Listening> {
  return listen((req, res) => {
    readBody(req, 10).then(
      (text) => sendReply(res, { status: 200, body: { text } }),
      (error: unknown) => sendReply(res, { status: 413, body: { problem: error instanceof BodyError ? error.problem : 'other' } }),
    );
  });
}

describe('readBody', () => {
  it('reads a body up to the limit, in several chunks', async () => {
    server = await bodyEcho();
    expect(JSON.parse((await call(server.url, 'POST', '0123456789')).text)).toEqual({ text: '0123456789' });
    expect(JSON.parse((await call(server.url, 'POST')).text)).toEqual({ text: '' });
  });

  it('refuses one byte over the limit with BodyError tooLarge', async () => {
    server = await bodyEcho();
    const answer = await call(server.url, 'POST', '0123456789A').catch((error: unknown) => error);
    // The server stops reading; depending on timing the client sees the 413 or a reset socket.
    if (answer instanceof Error) expect(answer.message).toMatch(/ECONNRESET|socket hang up|EPIPE/);
    else expect(answer).toMatchObject({ status: 413, text: '{"problem":"tooLarge"}' });
  });

  it('counts bytes, not characters, and stops pulling chunks once over the limit', async () => {
    let pulled = 0;
    function* chunks(parts: string[]) {
      for (const part of parts) {
        pulled += 1;
        yield Buffer.from(part);
      }
    }
    const stream = (parts: string[]) => Readable.from(chunks(parts)) as unknown as IncomingMessage;
    await expect(readBody(stream(['ééé', 'éé']), 10)).resolves.toBe('ééééé'); // 10 bytes
    pulled = 0;
    const over = readBody(stream(['ééé', 'ééa', 'never', 'read']), 10); // 11 bytes after two chunks
    await expect(over).rejects.toThrow(BodyError);
    await expect(over).rejects.toMatchObject({ problem: 'tooLarge', message: 'request body too large' });
    expect(pulled).toBeLessThanOrEqual(3);
  });
});

describe('parseJson', () => {
  it('parses JSON, treats a blank text as no body, and refuses the rest with BodyError invalidJson', () => {
    expect(parseJson(' {"a":[1]} ')).toEqual({ a: [1] });
    expect(parseJson('')).toBeUndefined();
    expect(parseJson(' \n\t')).toBeUndefined();
    expect(() => parseJson('{bad')).toThrow(BodyError);
    try {
      parseJson('{bad');
    } catch (error) {
      expect(error).toMatchObject({ problem: 'invalidJson', message: 'body is not valid JSON' });
    }
  });
});

describe('sendReply, listen', () => {
  it('sends JSON with the given content type and a byte Content-Length; no body, no content headers', async () => {
    server = await listen((req, res) => {
      if (req.url === '/empty') sendReply(res, { status: 204, headers: { 'X-A': '1' } });
      else if (req.url === '/default') sendReply(res, { status: 200, body: 1 });
      else sendReply(res, { status: 201, body: { s: 'é' }, headers: { 'Retry-After': '3' } }, 'application/json;charset=UTF-8');
    });
    expect(server.url).toBe(`http://127.0.0.1:${server.port}`);
    const full = await call(`${server.url}/`, 'GET');
    expect(full).toMatchObject({ status: 201, text: '{"s":"é"}' });
    expect(full.headers).toMatchObject({ 'content-type': 'application/json;charset=UTF-8', 'content-length': '10', 'retry-after': '3' });
    const empty = await call(`${server.url}/empty`, 'GET');
    expect(empty).toMatchObject({ status: 204, text: '' });
    expect(empty.headers['x-a']).toBe('1');
    expect(empty.headers['content-type']).toBeUndefined();
    expect((await call(`${server.url}/default`, 'GET')).headers['content-type']).toBe('application/json');
  });

  it('close() ends promptly although a client keeps its connection alive', async () => {
    const listening = await listen((_req, res) => sendReply(res, { status: 200, body: {} }));
    const agentCall = await fetch(listening.url, { headers: { Connection: 'keep-alive' } });
    expect(agentCall.status).toBe(200);
    const started = Date.now();
    await listening.close();
    expect(Date.now() - started).toBeLessThan(2000);
    await expect(fetch(listening.url)).rejects.toThrow();
  });

  it('rejects when the port is taken', async () => {
    server = await listen((_req, res) => res.end());
    await expect(listen((_req, res) => res.end(), { port: server.port })).rejects.toThrow(/EADDRINUSE/);
  });
});

describe('header', () => {
  it('is case-insensitive and takes the first of repeated values', () => {
    expect(header({ sec: 'x' }, 'SEC')).toBe('x');
    expect(header({ 'set-cookie': ['a', 'b'] }, 'Set-Cookie')).toBe('a');
    expect(header({}, 'sec')).toBeUndefined();
  });
});

describe('matchRoute', () => {
  const routes = [
    { method: 'GET', pattern: /^\/sets\/([^/]+)$/, name: 'get' },
    { method: 'POST', pattern: /^\/sets\/([^/]+)$/, name: 'post' },
    { method: 'GET', pattern: /^\/sets\/(.+)$/, name: 'later' },
  ];

  it('takes the first route matching path and method, with decoded params', () => {
    const found = matchRoute(routes, 'POST', '/sets/a%20b');
    expect(found).toEqual({ route: routes[1], params: ['a b'] });
  });

  it('tells a path served with other methods (405) from an unknown one (404)', () => {
    expect(matchRoute(routes, 'DELETE', '/sets/x')).toEqual({ pathMatched: true });
    expect(matchRoute(routes, 'GET', '/nope')).toEqual({ pathMatched: false });
  });

  it('throws URIError on a malformed escape in a param', () => {
    expect(() => matchRoute(routes, 'GET', '/sets/%E0%A4%A')).toThrow(URIError);
  });
});

describe('admin helpers', () => {
  it('checks X-Emulator-Token', () => {
    expect(adminAuthFailure({ 'x-emulator-token': 'adm' }, 'adm')).toBeUndefined();
    expect(adminAuthFailure({ 'x-emulator-token': 'other' }, 'adm')).toEqual({ status: 401, body: { error: 'X-Emulator-Token header missing or wrong' } });
    expect(adminAuthFailure({}, 'adm')?.status).toBe(401);
  });

  it('answers unknown routes 404, other methods 405', () => {
    expect(adminNoRoute('GET', '/_emulator/x', false)).toEqual({ status: 404, body: { error: 'no admin route GET /_emulator/x' } });
    expect(adminNoRoute('PATCH', '/_emulator/state', true).status).toBe(405);
  });

  it('maps zod issues first, then the emulator’s own errors, else 400 with the message', () => {
    class OwnError extends Error {}
    const own = (e: unknown) => (e instanceof OwnError ? { status: 409, body: { own: e.message } } : undefined);
    const zodError = z.object({ a: z.number() }).safeParse({}).error;
    expect(adminFailure(zodError, own)).toMatchObject({ status: 400, body: { error: 'invalid request', issues: [{ path: ['a'] }] } });
    expect(adminFailure(new OwnError('mine'), own)).toEqual({ status: 409, body: { own: 'mine' } });
    expect(adminFailure(new Error('plain'), own)).toEqual({ status: 400, body: { error: 'plain' } });
    expect(adminFailure('text', own)).toEqual({ status: 400, body: { error: 'text' } });
  });
});
