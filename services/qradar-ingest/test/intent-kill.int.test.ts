import { startQradarEmulator } from '@seam/infra/qradar-emulator/index';
import { Redis } from 'ioredis';
import { Kafka, logLevel } from 'kafkajs';
import { afterEach, describe, expect, it } from 'vitest';
import { parseIntent } from '../src/domain/intent';
import { startRedisHoldProxy, respHead } from './redis-hold-proxy';
import { cleanupRedis, countBy, createTopic, deleteTopic, env, startService, suffix, TopicCollector } from './harness';

const TOKEN = `sec-${suffix()}`;
const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn();
});
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('qradar-ingest produce intent', () => {
  it('SIGKILL after the broker stored a page but before its commit: the restart recovers the intent, no gap, no duplicate', async () => {
    const emu = await startQradarEmulator({ token: TOKEN, seeds: [], state: { searchDurationMs: 0, eventLagMs: 0 } });
    cleanups.push(() => emu.close());
    emu.state.generateSynthetic({ count: 10_000, firstId: 1, stepMs: 1000, startTime: Date.now() - 20_000_000 });
    const id = suffix();
    const topic = `test.qradar-ingest.intent.${id}`;
    const prefix = `test:qi:int:${id}:`;
    await createTopic(topic);
    cleanups.push(() => deleteTopic(topic));
    const redis = new Redis(env('REDIS_URL'));
    cleanups.push(async () => {
      await cleanupRedis(prefix);
      redis.disconnect();
    });
    const collector = new TopicCollector();
    await collector.start(topic);
    cleanups.push(() => collector.stop());
    const intentKey = `${prefix}{qradar-ingest}:intent`;
    // The service reaches Redis through a proxy that, once armed, lets the next intent SET through
    // and then holds every later command: the page is produced (Kafka is not behind the proxy) while
    // its commit (which deletes the intent) never reaches Redis. Deterministic, no timing sweep.
    const proxy = await startRedisHoldProxy(env('REDIS_URL'), respHead('set', intentKey));
    cleanups.push(() => proxy.close());
    const base = { QRADAR_URL: emu.url, QRADAR_TOKEN: TOKEN, OFFENSES_RAW_TOPIC: topic, REDIS_KEY_PREFIX: prefix, PAGE_SIZE: '250', EVENT_SAMPLE_SIZE: '0' };

    const admin = new Kafka({ brokers: env('KAFKA_BROKERS').split(','), logLevel: logLevel.NOTHING }).admin();
    await admin.connect();
    cleanups.push(() => admin.disconnect());
    const service = startService({ ...base, REDIS_URL: proxy.url });
    cleanups.push(() => service.kill('SIGKILL'));
    await service.port;
    // Past the cold start (producer metadata, schema registration): this process has produced a page.
    const before = collector.records.length;
    await collector.waitFor((r) => r.length > before, 30_000, 'a first page');
    await proxy.arm();
    // The SET went out on the service's connection; read it back on ours (ordering across two
    // connections is not guaranteed, so allow a moment).
    let text: string | null = null;
    for (let i = 0; i < 100 && text === null; i += 1) {
      text = await redis.get(intentKey);
      if (text === null) await sleep(20);
    }
    expect(text).not.toBeNull();
    const recorded = new Map(parseIntent(text ?? '').offsets.map((o) => [o.partition, BigInt(o.offset)]));
    // Wait for the broker to hold the journaled page, then kill before the (held) commit can land.
    let window = false;
    const deadline = Date.now() + 30_000;
    while (!window && Date.now() < deadline) {
      const now = await admin.fetchTopicOffsets(topic);
      window = now.some((p) => BigInt(p.high) > (recorded.get(p.partition) ?? 0n));
      if (!window) await sleep(50);
    }
    await service.kill('SIGKILL');
    expect(await redis.get(intentKey)).toBe(text);
    expect(window).toBe(true);

    const second = startService(base);
    cleanups.push(() => second.kill('SIGTERM'));
    await second.port;
    expect(second.output()).toContain('recovered a produce intent');
    expect(Number(/"alreadyProduced":(\d+)/.exec(second.output())?.[1] ?? 0)).toBeGreaterThan(0);
    expect(await redis.exists(intentKey)).toBe(0);
    await collector.waitFor((r) => new Set(r.map((x) => x.sourceId)).size >= 10_000, 90_000, 'all offenses after the restart');
    await sleep(1500);
    const ids = countBy(collector.records, (r) => r.sourceId);
    expect([...ids].filter(([, n]) => n > 1)).toEqual([]);
    expect(ids.size).toBe(10_000);
  }, 240_000);
});
