import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Secret } from '@seam/kit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InvalidOffenseError, QradarClient } from '../src/adapters/qradar-client';

// A page with malformed elements, exactly as text (spacing kept), served by a loopback stub.
const PAGE = '[{"id":1,"last_persisted_time":10},\n  {"id":"x"} , 42,{"id":3,"last_persisted_time":30}]';
let server: Server;
let base = '';

beforeAll(async () => {
  server = createServer((req, res) => {
    if (req.url?.startsWith('/api/siem/offenses?')) {
      res.writeHead(200, { 'content-type': 'application/json', 'content-range': 'items 0-3/9' });
      res.end(PAGE);
    } else {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{"id":7,"start_time":"yesterday"}');
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

function client() {
  return new QradarClient({ baseUrl: base, token: new Secret('t'), apiVersion: '20.0', timeoutMs: 2000, retry: { maxAttempts: 1, initialDelayMs: 1, maxDelayMs: 1 }, logger: { warn: () => undefined, debug: () => undefined } });
}

describe('QradarClient page validation', () => {
  it('returns valid offenses and sets malformed elements aside, without failing the page', async () => {
    const c = client();
    const page = await c.listOffenses('id > 0', '+id', { from: 0, to: 3 });
    c.close();
    expect(page.items).toHaveLength(4);
    expect(page.offenses.map((o) => o.fields.id)).toEqual([1, 3]);
    expect(page.invalid.map((o) => o.raw)).toEqual(['{"id":"x"}', '42']);
    expect(page.total).toBe(9);
  });

  it('rejects a malformed single offense with InvalidOffenseError naming the field', async () => {
    const c = client();
    const error = await c.getOffense(7).catch((e: unknown) => e);
    c.close();
    expect(error).toBeInstanceOf(InvalidOffenseError);
    expect((error as InvalidOffenseError).reason).toMatch(/start_time: /);
  });
});
