import { startQradarEmulator } from '@seam/infra/qradar-emulator/index';
import { Redis } from 'ioredis';
import { Kafka, logLevel } from 'kafkajs';
import { afterEach, describe, expect, it } from 'vitest';
import { parseIntent } from '../src/domain/intent';
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
    const extra = { QRADAR_URL: emu.url, QRADAR_TOKEN: TOKEN, OFFENSES_RAW_TOPIC: topic, REDIS_KEY_PREFIX: prefix, PAGE_SIZE: '250', EVENT_SAMPLE_SIZE: '0' };
    const intentKey = `${prefix}{qradar-ingest}:intent`;

    // Freeze the process the moment an intent is pending (written before the produce, deleted by the
    // commit after the ack), let the broker finish any produce request already sent, then SIGKILL.
    // Retry (bounded) until the page reached the topic while its commit did not happen: the window
    // that used to duplicate the page on restart.
    const admin = new Kafka({ brokers: env('KAFKA_BROKERS').split(','), logLevel: logLevel.NOTHING }).admin();
    await admin.connect();
    cleanups.push(() => admin.disconnect());
    let window = false;
    // The window (page stored, intent not yet cleared) is a few ms wide and moves later under load:
    // sweep 0..68 ms in 18 tries (a loaded CI run once missed it with 12 tries over 0..33 ms).
    for (let attempt = 0; attempt < 18 && !window; attempt += 1) {
      const service = startService(extra);
      cleanups.push(() => service.kill('SIGKILL'));
      await service.port;
      // Past the cold start (producer metadata, schema registration): this process has produced a page.
      const before = collector.records.length;
      await collector.waitFor((r) => r.length > before, 30_000, 'a first page');
      const deadline = Date.now() + 30_000;
      while ((await redis.exists(intentKey)) === 0) {
        if (Date.now() > deadline) throw new Error('no produce intent was ever seen');
      }
      await sleep(attempt * 4); // sweep 0..68 ms into the produce
      service.child.kill('SIGSTOP');
      await sleep(500);
      await service.kill('SIGKILL');
      const text = await redis.get(intentKey);
      if (text === null) continue;
      const recorded = new Map(parseIntent(text).offsets.map((o) => [o.partition, BigInt(o.offset)]));
      const now = await admin.fetchTopicOffsets(topic);
      window = now.some((p) => BigInt(p.high) > (recorded.get(p.partition) ?? 0n));
    }
    expect(window).toBe(true);

    const second = startService(extra);
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
