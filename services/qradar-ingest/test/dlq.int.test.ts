import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { startQradarEmulator, type QradarEmulator } from '@seam/infra/qradar-emulator/index';
import { DLQ_HEADERS } from '@seam/kit';
import { Kafka, logLevel, type Consumer } from 'kafkajs';
import { afterEach, describe, expect, it } from 'vitest';
import { DLQ_SOURCE } from '../src/ingestor';
import { cleanupRedis, countBy, createTopic, deleteTopic, env, startService, suffix, TopicCollector, type ServiceHandle } from './harness';

const TOKEN = `sec-${suffix()}`;
const WEBHOOK_TOKEN = `wh-${suffix()}`;

/**
 * The emulator only stores well-formed offenses, so a loopback proxy in front of it rewrites the
 * offenses listed in `corrupt` (id → exact replacement JSON text) in every list and single answer.
 */
async function corruptingProxy(target: string, corrupt: ReadonlyMap<number, (o: Record<string, unknown>) => string>): Promise<Server> {
  const upstream = new URL(target);
  const rewrite = (value: unknown): string | undefined => {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
    const record = value as Record<string, unknown>;
    const fn = typeof record['id'] === 'number' ? corrupt.get(record['id']) : undefined;
    return fn?.(record);
  };
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const up = request({ host: upstream.hostname, port: upstream.port, path: req.url, method: req.method, headers: req.headers }, (ur) => {
        const body: Buffer[] = [];
        ur.on('data', (c: Buffer) => body.push(c));
        ur.on('end', () => {
          let text = Buffer.concat(body).toString('utf8');
          if ((ur.statusCode ?? 500) < 300 && /^\/api\/siem\/offenses(\/\d+)?(\?|$)/.test(req.url ?? '')) {
            const parsed = JSON.parse(text) as unknown;
            if (Array.isArray(parsed)) text = `[${parsed.map((o) => rewrite(o) ?? JSON.stringify(o)).join(',')}]`;
            else text = rewrite(parsed) ?? text;
          }
          const headers = { ...ur.headers };
          delete headers['content-length'];
          delete headers['transfer-encoding'];
          res.writeHead(ur.statusCode ?? 502, headers);
          res.end(text);
        });
      });
      up.on('error', () => res.destroy());
      up.end(Buffer.concat(chunks));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return server;
}

interface DlqRecord {
  key: string | null;
  value: string;
  headers: Record<string, string>;
}

async function collectDlq(topic: string, into: DlqRecord[]): Promise<Consumer> {
  const consumer = new Kafka({ brokers: env('KAFKA_BROKERS').split(','), logLevel: logLevel.NOTHING }).consumer({ groupId: `qradar-ingest-dlq-test-${suffix()}` });
  await consumer.connect();
  await consumer.subscribe({ topics: [topic], fromBeginning: true });
  await consumer.run({
    eachMessage: ({ message }) => {
      const headers: Record<string, string> = {};
      for (const [k, v] of Object.entries(message.headers ?? {})) headers[k] = Buffer.isBuffer(v) ? v.toString('utf8') : String(v);
      into.push({ key: message.key?.toString('utf8') ?? null, value: message.value?.toString('utf8') ?? '', headers });
      return Promise.resolve();
    },
  });
  return consumer;
}

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn().catch(() => undefined);
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('qradar-ingest: malformed offenses go to the DLQ and never block ingestion', () => {
  it('routes malformed offenses among valid ones to offenses.raw.dlq once each; valid ones and later offenses keep flowing', async () => {
    const emu: QradarEmulator = await startQradarEmulator({ token: TOKEN, seeds: [], state: { searchDurationMs: 0, eventLagMs: 0 } });
    cleanups.push(() => emu.close());
    emu.state.generateSynthetic({ count: 20, firstId: 1, stepMs: 1000, startTime: Date.now() - 2_000_000 });
    const corrupt = new Map<number, (o: Record<string, unknown>) => string>([
      [5, (o) => JSON.stringify({ ...o, id: 'five' })], // id a string: no usable id (valid ids after it advance)
      [8, (o) => JSON.stringify({ ...o, last_persisted_time: 'not-a-number' })], // bad time, usable id
      [12, () => '"not an offense"'], // not an object; the last element of a full page
      [20, (o) => JSON.stringify({ ...o, id: undefined })], // id missing, trailing: re-read on every poll
    ]);
    const proxy = await corruptingProxy(emu.url, corrupt);
    cleanups.push(() => new Promise<void>((resolve) => proxy.close(() => resolve())));
    const id = suffix();
    const topic = `test.qradar-ingest.${id}`;
    const dlqTopic = `${topic}.dlq`;
    await createTopic(topic);
    await createTopic(dlqTopic, 1);
    cleanups.push(() => deleteTopic(topic), () => deleteTopic(dlqTopic));
    const prefix = `test:qi:${id}:`;
    cleanups.push(() => cleanupRedis(prefix));
    const collector = new TopicCollector();
    await collector.start(topic);
    cleanups.push(() => collector.stop());
    const dead: DlqRecord[] = [];
    const dlqConsumer = await collectDlq(dlqTopic, dead);
    cleanups.push(() => dlqConsumer.disconnect());

    const service: ServiceHandle = startService({
      QRADAR_URL: `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`,
      QRADAR_TOKEN: TOKEN,
      OFFENSES_RAW_TOPIC: topic,
      REDIS_KEY_PREFIX: prefix,
      WEBHOOK_TOKEN,
      PAGE_SIZE: '4',
      EVENT_SAMPLE_SIZE: '0',
    });
    cleanups.push(async () => void (await service.kill('SIGTERM')));
    const port = await service.port;

    const validIds = (upTo: number) => Array.from({ length: upTo }, (_, i) => String(i + 1)).filter((x) => !['5', '8', '12', '20'].includes(x));
    await collector.waitFor((r) => new Set(r.map((x) => x.sourceId)).size >= 16, 30_000, '16 valid offenses');
    // Later offenses keep flowing past the malformed ones (including the trailing id-less one).
    emu.state.generateSynthetic({ count: 5, firstId: 21, stepMs: 1000 });
    await collector.waitFor((r) => new Set(r.map((x) => x.sourceId)).size >= 21, 30_000, 'offenses 21..25');
    await sleep(2000); // several more poll rounds of both pollers: the re-read trailing element must not be DLQ'd again

    const produced = countBy(collector.records, (r) => r.sourceId);
    expect([...produced.keys()].sort((a, b) => Number(a) - Number(b))).toEqual(validIds(25));
    expect([...produced.values()].every((n) => n === 1)).toBe(true);

    expect(dead).toHaveLength(4);
    const byValue = new Map(dead.map((d) => [d.value, d]));
    for (const [offenseId, fn] of corrupt) {
      const original = emu.state.getOffense(offenseId);
      const record = byValue.get(fn(original));
      expect(record, `DLQ record of offense ${offenseId}`).toBeDefined();
      if (!record) continue;
      expect(record.headers[DLQ_HEADERS.errorClass]).toBe('poison');
      expect(record.headers[DLQ_HEADERS.sourceTopic]).toBe(DLQ_SOURCE);
      expect(record.headers[DLQ_HEADERS.sourcePartition]).toBe('0');
      expect(record.headers[DLQ_HEADERS.sourceOffset]).toBe('0');
      expect(record.headers[DLQ_HEADERS.failedAt]).toMatch(/^\d{4}-\d\d-\d\dT/);
    }
    const reason = (offenseId: number) => byValue.get(corrupt.get(offenseId)?.(emu.state.getOffense(offenseId)) ?? '')?.headers[DLQ_HEADERS.reason] ?? '';
    expect(reason(5)).toMatch(/(^|[ ;])id: /);
    expect(reason(8)).toMatch(/last_persisted_time: /);
    expect(reason(12)).toMatch(/\(element\): /);
    expect(reason(20)).toMatch(/(^|[ ;])id: /);
    expect(byValue.get(corrupt.get(8)?.(emu.state.getOffense(8)) ?? '')?.key).toBe('8');

    // The webhook for an offense QRadar serves malformed: a clear 502 with the reason, no crash.
    const hook = await fetch(`http://127.0.0.1:${port}/webhook/qradar`, {
      method: 'POST',
      body: JSON.stringify({ offense_id: 8 }),
      headers: { 'content-type': 'application/json', authorization: `Bearer ${WEBHOOK_TOKEN}` },
    });
    expect(hook.status).toBe(502);
    const answer = (await hook.json()) as { error: string; reason: string };
    expect(answer.error).toContain('malformed offense 8');
    expect(answer.reason).toMatch(/last_persisted_time: /);

    const metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    const dlqTotal = [...metrics.matchAll(/^seam_qradar_offenses_dlq_total\{[^}]*\} (\d+)/gm)].reduce((sum, m) => sum + Number(m[1]), 0);
    expect(dlqTotal).toBe(4);
    expect(service.child.exitCode).toBeNull();
    expect(service.output()).toContain('malformed QRadar offenses sent to the DLQ');
    expect(service.output()).not.toContain('QRadar poll failed');
    expect(service.output()).not.toContain(TOKEN);
  }, 90_000);
});
