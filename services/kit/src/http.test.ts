import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { bearerTokenMatches, requireBearer } from './auth';
import { HttpServer, readJsonBody } from './http';
import { createLogger } from './logger';
import { createMetrics } from './metrics';
import { Secret } from './secret';

let server: HttpServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function start(isReady: () => boolean) {
  const metrics = createMetrics({ defaultMetrics: false });
  server = new HttpServer({ host: '127.0.0.1', port: 0, registry: metrics.registry, isReady, logger: createLogger({ service: 't', level: 'silent' }) });
  const port = await server.listen();
  return { base: `http://127.0.0.1:${port}`, metrics, server };
}

describe('HttpServer', () => {
  it('serves healthz, readyz and metrics', async () => {
    let ready = false;
    const { base, metrics } = await start(() => ready);
    metrics.consumed.inc({ stage: 's', topic: 't' }, 3);
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    expect((await fetch(`${base}/readyz`)).status).toBe(503);
    ready = true;
    expect((await fetch(`${base}/readyz`)).status).toBe(200);
    const text = await (await fetch(`${base}/metrics`)).text();
    expect(text).toContain('seam_records_consumed_total{stage="s",topic="t"} 3');
    expect((await fetch(`${base}/nope`)).status).toBe(404);
    expect((await fetch(`${base}/healthz`, { method: 'POST' })).status).toBe(405);
  });

  it('reports not ready once closing starts', async () => {
    const { base, server: s } = await start(() => true);
    s.markClosing();
    expect((await fetch(`${base}/readyz`)).status).toBe(503);
  });

  it('serves stage routes, with bearer auth and validated JSON bodies', async () => {
    const { base, server: s } = await start(() => true);
    const received: unknown[] = [];
    s.addRoute(
      'POST',
      '/webhook',
      requireBearer([new Secret('t0ken-A'), new Secret('t0ken-B')], async (req, res) => {
        received.push(await readJsonBody(req, z.object({ id: z.string() })));
        res.writeHead(202).end();
      }),
    );
    const post = (headers: Record<string, string>, body: string) => fetch(`${base}/webhook`, { method: 'POST', headers, body });
    expect((await post({}, '{"id":"1"}')).status).toBe(401);
    expect((await post({ authorization: 'Bearer wrong' }, '{"id":"1"}')).status).toBe(401);
    expect((await post({ authorization: 'Bearer t0ken-B' }, '{"id":"1"}')).status).toBe(202);
    expect((await post({ authorization: 'Bearer t0ken-A' }, 'nope')).status).toBe(400);
    expect((await post({ authorization: 'Bearer t0ken-A' }, '{"id":2}')).status).toBe(400);
    expect(received).toEqual([{ id: '1' }]);
  });
});

describe('bearerTokenMatches', () => {
  const tokens = [new Secret('abc')];
  it.each([
    [undefined, false],
    ['abc', false],
    ['Bearer abc', true],
    ['bearer abc', true],
    ['Bearer abcd', false],
    ['Bearer ab', false],
    ['Basic abc', false],
    ['Bearer ', false],
  ])('%s -> %s', (header, expected) => {
    expect(bearerTokenMatches(header, tokens)).toBe(expected);
  });
});
