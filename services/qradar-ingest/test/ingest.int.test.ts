import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { startQradarEmulator, type QradarEmulator } from '@seam/infra/qradar-emulator/index';
import { afterEach, describe, expect, it } from 'vitest';
import { signWebhook } from '../src/adapters/webhook';
import { cleanupRedis, countBy, createTopic, deleteTopic, startService, suffix, TopicCollector, versionKey, type ServiceHandle } from './harness';

const scenarioPath = fileURLToPath(new URL('../../../infra/scenarios/qradar-sample.jsonl', import.meta.url));
const TOKEN = `sec-${suffix()}`;
const WEBHOOK_TOKEN = `wh-${suffix()}`;

interface Ctx {
  emu: QradarEmulator;
  topic: string;
  prefix: string;
  collector: TopicCollector;
  services: ServiceHandle[];
}
let ctx: Ctx | undefined;

async function setup(options: { scenario: boolean; eventLagMs?: number }): Promise<Ctx> {
  const emu = await startQradarEmulator({
    token: TOKEN,
    ...(options.scenario ? { scenarioPath } : { seeds: [] }),
    state: { searchDurationMs: 0, eventLagMs: options.eventLagMs ?? 0 },
  });
  const id = suffix();
  const topic = `test.qradar-ingest.${id}`;
  await createTopic(topic);
  const collector = new TopicCollector();
  await collector.start(topic);
  ctx = { emu, topic, prefix: `test:qi:${id}:`, collector, services: [] };
  return ctx;
}

function run(c: Ctx, extra: Record<string, string> = {}): ServiceHandle {
  const service = startService({
    QRADAR_URL: c.emu.url,
    QRADAR_TOKEN: TOKEN,
    OFFENSES_RAW_TOPIC: c.topic,
    REDIS_KEY_PREFIX: c.prefix,
    WEBHOOK_TOKEN,
    ...extra,
  });
  c.services.push(service);
  return service;
}

afterEach(async () => {
  if (!ctx) return;
  const c = ctx;
  ctx = undefined;
  for (const s of c.services) await s.kill('SIGTERM');
  await c.collector.stop();
  await c.emu.close();
  await deleteTopic(c.topic);
  await cleanupRedis(c.prefix);
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('qradar-ingest against the emulator, Kafka and Redis', () => {
  it('passes every reference offense into offenses.raw unchanged, with addresses and events', async () => {
    const c = await setup({ scenario: true });
    const service = run(c);
    await c.collector.waitFor((r) => r.length >= 2, 30_000, 'two reference offenses');
    await sleep(1500); // a few more poll rounds: nothing else may arrive
    expect(c.collector.records).toHaveLength(2);
    const seeds = readFileSync(scenarioPath, 'utf8').split('\n').filter((l) => l.trim() !== '').map((l) => JSON.parse(l) as { source: string; payload: Record<string, unknown>; addresses: { source: string[]; localDestination: string[] } });
    for (const seed of seeds.filter((s) => s.source === 'qradar.offense')) {
      const id = seed.payload['id'] as number;
      const record = c.collector.records.find((r) => r.sourceId === String(id));
      expect(record, `offense ${id}`).toBeDefined();
      if (!record) continue;
      const payload = JSON.parse(record.payload) as Record<string, unknown>;
      // Every field of the reference payload is there, unchanged; the whole payload equals what the API serves.
      for (const [key, value] of Object.entries(seed.payload)) expect(payload[key], key).toEqual(value);
      expect(payload).toEqual(c.emu.state.getOffense(id));
      expect(record.kind).toBe('qradar_offense');
      expect(record.arrival).toBe('poll');
      expect(record.addresses).toEqual(seed.addresses);
      expect(record.events).not.toBeNull();
    }
    expect(c.collector.keys.sort()).toEqual(['15', '16']);
    expect(service.output()).not.toContain(TOKEN);
  });

  it('pages 10,000 offenses in with no gap and no duplicate', async () => {
    const c = await setup({ scenario: false });
    c.emu.state.generateSynthetic({ count: 10_000, firstId: 1, stepMs: 1000, startTime: Date.now() - 20_000_000 });
    run(c, { PAGE_SIZE: '500', EVENT_SAMPLE_SIZE: '0' });
    await c.collector.waitFor((r) => r.length >= 10_000, 90_000, '10,000 offenses');
    await sleep(1500);
    const ids = countBy(c.collector.records, (r) => r.sourceId);
    expect(ids.size).toBe(10_000);
    expect(c.collector.records).toHaveLength(10_000);
    for (let id = 1; id <= 10_000; id += 1) expect(ids.get(String(id))).toBe(1);
  }, 120_000);

  it('survives SIGKILL at random moments: 10,000 offenses, no gap, no duplicate', async () => {
    const c = await setup({ scenario: false });
    c.emu.state.generateSynthetic({ count: 10_000, firstId: 1, stepMs: 1000, startTime: Date.now() - 20_000_000 });
    const env = { PAGE_SIZE: '250', EVENT_SAMPLE_SIZE: '3' };
    let kills = 0;
    let distinctAtLastKill = 0;
    for (let round = 0; round < 3; round += 1) {
      const service = run(c, env);
      await service.port;
      const before = c.collector.records.length;
      await c.collector.waitFor((r) => r.length > before, 30_000, 'progress before kill');
      await sleep(100 + Math.floor(Math.random() * 700));
      await service.kill('SIGKILL');
      kills += 1;
      distinctAtLastKill = new Set(c.collector.records.map((r) => r.sourceId)).size;
    }
    expect(kills).toBe(3);
    // The kills really landed mid-ingest (else the test would prove nothing about restarts).
    expect(distinctAtLastKill).toBeGreaterThan(0);
    expect(distinctAtLastKill).toBeLessThan(10_000);
    run(c, env);
    await c.collector.waitFor((r) => new Set(r.map((x) => x.sourceId)).size >= 10_000, 150_000, 'all offenses after restarts');
    await sleep(2000);
    const ids = countBy(c.collector.records, (r) => r.sourceId);
    const duplicates = [...ids].filter(([, n]) => n > 1);
    expect(duplicates).toEqual([]);
    expect(ids.size).toBe(10_000);
  }, 240_000);

  it('picks up each change of an offense exactly once; webhook and poll never duplicate a version', async () => {
    const c = await setup({ scenario: true });
    const service = run(c, { POLL_NEW_INTERVAL_MS: '300', POLL_CHANGED_INTERVAL_MS: '300' });
    const port = await service.port;
    await c.collector.waitFor((r) => r.length >= 2, 30_000, 'reference offenses');

    c.emu.state.changeOffense(15, { assigned_to: 'analyst1' });
    await c.collector.waitFor((r) => r.length >= 3, 15_000, 'first change');
    c.emu.state.changeOffense(15, { follow_up: true });
    await c.collector.waitFor((r) => r.length >= 4, 15_000, 'second change');
    await sleep(1500);
    const fifteen = c.collector.records.filter((r) => r.sourceId === '15');
    expect(fifteen).toHaveLength(3);
    expect(new Set(fifteen.map(versionKey)).size).toBe(3);
    expect(JSON.parse(fifteen[2]?.payload ?? '{}')).toMatchObject({ assigned_to: 'analyst1', follow_up: true });

    const post = (body: string, headers: Record<string, string>) =>
      fetch(`http://127.0.0.1:${port}/webhook/qradar`, { method: 'POST', body, headers: { 'content-type': 'application/json', ...headers } });
    // Already produced by the poller: the webhook must not produce it again.
    const dup = await post(JSON.stringify({ offense_id: 16 }), { authorization: `Bearer ${WEBHOOK_TOKEN}` });
    expect(dup.status).toBe(202);
    expect(await dup.json()).toEqual({ offense_id: 16, result: 'duplicate' });
    // A new version, announced by webhook (HMAC-less bearer) right as it changes; the poller sees it too.
    c.emu.state.changeOffense(16, { status: 'HIDDEN' });
    const fresh = await post(JSON.stringify({ offense_id: 16, note: 'changed' }), { authorization: `Bearer ${WEBHOOK_TOKEN}` });
    expect(fresh.status).toBe(202);
    expect(await fresh.json()).toEqual({ offense_id: 16, result: 'produced' });
    await sleep(2000);
    const sixteen = c.collector.records.filter((r) => r.sourceId === '16');
    expect(sixteen.map(versionKey)).toHaveLength(2);
    expect(new Set(sixteen.map(versionKey)).size).toBe(2);
    expect(sixteen.map((r) => r.arrival).sort()).toEqual(['poll', 'webhook']);

    // Authentication and validation.
    expect((await post('{"offense_id":16}', {})).status).toBe(401);
    expect((await post('{"offense_id":16}', { authorization: 'Bearer wrong' })).status).toBe(401);
    const bad = await post('{"offense":"x"}', { authorization: `Bearer ${WEBHOOK_TOKEN}` });
    expect(bad.status).toBe(400);
    expect(await bad.json()).toHaveProperty('error');
    const missing = await post('{"offense_id":999999}', { authorization: `Bearer ${WEBHOOK_TOKEN}` });
    expect(missing.status).toBe(404);
    expect(service.output()).not.toContain(TOKEN);
    expect(service.output()).not.toContain(WEBHOOK_TOKEN);
  }, 90_000);

  it('accepts an HMAC-signed webhook and rejects a stale or forged one', async () => {
    const c = await setup({ scenario: true });
    const hmac = `hmac-${suffix()}`;
    const service = run(c, { WEBHOOK_HMAC_SECRET: hmac, POLL_NEW_INTERVAL_MS: '60000', POLL_CHANGED_INTERVAL_MS: '60000' });
    const port = await service.port;
    const body = JSON.stringify({ offense_id: 15 });
    const now = String(Math.floor(Date.now() / 1000));
    const send = (ts: string, sig: string) =>
      fetch(`http://127.0.0.1:${port}/webhook/qradar`, { method: 'POST', body, headers: { 'content-type': 'application/json', 'x-seam-timestamp': ts, 'x-seam-signature': sig } });
    expect((await send(now, signWebhook('forged', now, body))).status).toBe(401);
    const stale = String(Math.floor(Date.now() / 1000) - 3600);
    expect((await send(stale, signWebhook(hmac, stale, body))).status).toBe(401);
    const ok = await send(now, signWebhook(hmac, now, body));
    expect(ok.status).toBe(202);
    await c.collector.waitFor((r) => r.some((x) => x.sourceId === '15'), 15_000, 'webhook offense');
  }, 60_000);

  it('retries the Ariel sample while the events lag behind the offense (bounded)', async () => {
    const c = await setup({ scenario: false, eventLagMs: 5000 });
    const now = Date.now();
    c.emu.state.generateSynthetic({ count: 1, firstId: 500, startTime: now - 5000 });
    c.emu.state.changeOffense(500, { last_updated_time: now });
    c.emu.state.addEvents(500, [{ qidname_qid: 'lagging event', starttime: now - 4000 }]);
    c.emu.state.generateSynthetic({ count: 1, firstId: 501, startTime: now - 10_000_000 }); // old and event-less: no retries
    run(c, { EVENT_SAMPLE_RETRIES: '15', EVENT_SAMPLE_RETRY_DELAY_MS: '500', EVENT_LAG_WINDOW_MS: '60000' });
    await c.collector.waitFor((r) => r.length >= 2, 30_000, 'two offenses');
    const lagging = c.collector.records.find((r) => r.sourceId === '500');
    expect(JSON.parse(lagging?.events ?? '[]')).toEqual([{ qidname_qid: 'lagging event', starttime: now - 4000 }]);
    expect(c.collector.records.find((r) => r.sourceId === '501')?.events).toBe('[]');
  }, 60_000);

  it('backs off through 5xx, 401, 429 and slow answers, recovers and loses nothing', async () => {
    const c = await setup({ scenario: false });
    c.emu.state.generateSynthetic({ count: 300, firstId: 1, stepMs: 1000, startTime: Date.now() - 2_000_000 });
    c.emu.faults.set({ delayMs: 50, fail5xx: { next: 6, rate: 0.15, status: 503 }, unauthorizedNext: 3, rateLimit: { next: 2, retryAfterSeconds: 1 }, seed: 7 });
    const service = run(c, { PAGE_SIZE: '50', QRADAR_MAX_ATTEMPTS: '2', EVENT_SAMPLE_SIZE: '2' });
    await c.collector.waitFor((r) => new Set(r.map((x) => x.sourceId)).size >= 300, 90_000, '300 offenses through faults');
    c.emu.faults.set({});
    c.emu.state.generateSynthetic({ count: 20, firstId: 301, stepMs: 1000 });
    await c.collector.waitFor((r) => new Set(r.map((x) => x.sourceId)).size >= 320, 30_000, 'offenses after recovery');
    await sleep(1000);
    const ids = countBy(c.collector.records, (r) => r.sourceId);
    expect(ids.size).toBe(320);
    expect([...ids].filter(([, n]) => n > 1)).toEqual([]);
    expect(service.child.exitCode).toBeNull();
    expect(service.output()).toContain('QRadar poll failed; backing off');
    expect(service.output()).not.toContain(TOKEN);
  }, 120_000);
});
