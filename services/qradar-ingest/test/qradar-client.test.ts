import { startQradarEmulator, type QradarEmulator } from '@seam/infra/qradar-emulator/index';
import { Secret } from '@seam/kit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { QradarClient, QradarNotFoundError, QradarRateLimitedError, QradarRequestError, QradarServerError, QradarUnauthorizedError, QradarUnavailableError } from '../src/adapters/qradar-client';

const TOKEN = 'very-secret-sec-token';
let emu: QradarEmulator;
const warnings: string[] = [];
const logger = { warn: (_o: object, m: string) => warnings.push(m), debug: () => undefined };
const sleeps: number[] = [];

function client(extra: Partial<ConstructorParameters<typeof QradarClient>[0]> = {}) {
  return new QradarClient({
    baseUrl: emu.url,
    token: new Secret(TOKEN),
    apiVersion: '20.0',
    timeoutMs: 2000,
    retry: { maxAttempts: 3, initialDelayMs: 1, maxDelayMs: 5 },
    logger,
    sleep: (ms) => {
      sleeps.push(ms);
      return Promise.resolve();
    },
    random: () => 0.5,
    ...extra,
  });
}

beforeAll(async () => {
  emu = await startQradarEmulator({ token: TOKEN, seeds: [] });
  emu.state.generateSynthetic({ count: 30, firstId: 1 });
});
afterAll(() => emu.close());

describe('QradarClient', () => {
  it('lists a keyset page with the exact payload text and the Content-Range total', async () => {
    const page = await client().listOffenses('id > 10', '+id', { from: 0, to: 4 });
    expect(page.offenses.map((o) => o.fields.id)).toEqual([11, 12, 13, 14, 15]);
    expect(page.total).toBe(20);
    expect(JSON.parse(page.offenses[0]?.raw ?? '')).toEqual(emu.state.getOffense(11));
  });

  it('parses QRadar error JSON into typed errors without the token', async () => {
    const error = await client().getOffense(999).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(QradarNotFoundError);
    expect((error as QradarNotFoundError).code).toBe(1002);
    const bad = await client().listOffenses('id ilike 3', '+id', { from: 0, to: 1 }).catch((e: unknown) => e);
    expect(bad).toBeInstanceOf(QradarRequestError);
    const unauthorized = await client({ token: new Secret('wrong-token') }).getOffense(1).catch((e: unknown) => e);
    expect(unauthorized).toBeInstanceOf(QradarUnauthorizedError);
    for (const e of [error, bad, unauthorized]) {
      expect(String(e)).not.toContain(TOKEN);
      expect(JSON.stringify(e)).not.toContain(TOKEN);
    }
  });

  it('retries 5xx, 401 and 429 and honours Retry-After', async () => {
    sleeps.length = 0;
    emu.faults.set({ fail5xx: { next: 1, status: 502 }, unauthorizedNext: 1 });
    expect((await client().getOffense(1)).fields.id).toBe(1);
    expect(sleeps).toHaveLength(2);
    sleeps.length = 0;
    emu.faults.set({ rateLimit: { next: 1, retryAfterSeconds: 3 } });
    expect((await client().getOffense(2)).fields.id).toBe(2);
    expect(sleeps).toEqual([3000]);
    emu.faults.set({ fail5xx: { next: 5, status: 503 } });
    await expect(client().getOffense(3)).rejects.toBeInstanceOf(QradarServerError);
    emu.faults.set({ rateLimit: { next: 5, retryAfterSeconds: 1 } });
    await expect(client().getOffense(3)).rejects.toBeInstanceOf(QradarRateLimitedError);
    emu.faults.set({});
  });

  it('times out slow answers and reports no-answer failures as unavailable', async () => {
    emu.faults.set({ delayMs: 500 });
    await expect(client({ timeoutMs: 100 }).getOffense(1)).rejects.toBeInstanceOf(QradarUnavailableError);
    emu.faults.set({});
    await expect(client({ baseUrl: 'http://127.0.0.1:1' }).getOffense(1)).rejects.toBeInstanceOf(QradarUnavailableError);
  });

  it('warns loudly when TLS verification is disabled', () => {
    warnings.length = 0;
    client({ baseUrl: 'https://127.0.0.1:9', insecureSkipVerify: true }).close();
    expect(warnings.join(' ')).toMatch(/NOT verified/);
  });

  it('resolves address ids and samples Ariel events', async () => {
    const c = client();
    const ids = emu.state.getOffense(1)['source_address_ids'] as number[];
    const map = await c.addresses('source', `id in (${ids.join(',')})`, ids.length);
    expect([...map.values()]).toEqual(['10.20.0.1']);
    emu.state.addEvents(1, [{ qidname_qid: 'x', starttime: Date.now() }]);
    const sample = await c.arielSample(`SELECT * FROM events WHERE INOFFENSE(1) LIMIT 5 LAST 1 HOURS`, 5, 1, 5000);
    expect(sample.count).toBe(1);
    expect(JSON.parse(sample.rows ?? 'null')).toEqual([{ qidname_qid: 'x', starttime: expect.any(Number) as number }]);
  });
});
