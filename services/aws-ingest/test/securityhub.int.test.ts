import { BatchImportFindingsCommand, SecurityHubClient, type AwsSecurityFinding } from '@aws-sdk/client-securityhub';
import { DLQ_HEADERS, createLogger, type Logger } from '@seam/kit';
import { startAwsEmulator, type AsffFinding, type AwsEmulator } from '@seam/infra/aws-emulator/index';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { SecurityHubPoller } from '../src/securityhub-poller';
import type { RawSink } from '../src/sink';
import { RedisWatermarkStore } from '../src/watermark-store';
import { asffCurrentGeneration, asffReference, type Json } from './fixtures';
import { createHarness, duplicates, type Harness } from './harness';

const ACCESS_KEY = 'AKIDSEAMTEST';
const silent = { level: 'silent' } as const;

function generated(i: number, updatedAt: Date, tag = 'gen'): AsffFinding {
  const base = asffReference();
  return {
    ...base,
    Id: `arn:aws:guardduty:us-east-1:193043430472:detector/d4b040365221be2b54a6264dc9a4bc64/finding/${tag}-${String(i).padStart(5, '0')}`,
    CreatedAt: updatedAt.toISOString(),
    UpdatedAt: updatedAt.toISOString(),
  };
}

describe('Security Hub poller against the project AWS emulator', () => {
  let h: Harness;
  let emu: AwsEmulator;
  let client: SecurityHubClient;
  let logger: Logger;

  beforeAll(async () => {
    process.env.AWS_ACCESS_KEY_ID = ACCESS_KEY; // static keys from env, for tests only
    process.env.AWS_SECRET_ACCESS_KEY = 'test-secret-not-checked';
    h = await createHarness();
    logger = createLogger({ service: 'it', ...silent });
  });
  afterAll(async () => {
    await h.cleanup();
  });
  afterEach(async () => {
    client.destroy();
    await emu.close();
  });

  async function startEmu(findings: readonly AsffFinding[]): Promise<void> {
    emu = await startAwsEmulator({ accessKeyIds: [ACCESS_KEY], adminToken: 'admin-token-it', findings, faults: {} });
    client = new SecurityHubClient({ endpoint: emu.url, region: 'us-east-1', retryMode: 'adaptive', maxAttempts: 2 });
  }

  function poller(sink: RawSink, key: string, extra: Partial<ConstructorParameters<typeof SecurityHubPoller>[0]> = {}): SecurityHubPoller {
    return new SecurityHubPoller({
      client,
      sink,
      store: new RedisWatermarkStore(h.redis(), `${h.prefix}:${key}`),
      logger,
      backoff: { maxAttempts: 8, initialDelayMs: 50, maxDelayMs: 400, multiplier: 2, jitter: 0.2 },
      intervalMs: 60_000,
      ...extra,
    });
  }

  it('reference ASFF findings (both ProductFields generations) reach findings.raw unchanged, keyed by Id', async () => {
    const findings = [asffReference(), asffCurrentGeneration()] as unknown as AsffFinding[];
    await startEmu(findings);
    const { handle } = await h.start();
    const result = await poller(handle.sink, 'wm-ref').pollOnce();
    expect(result).toMatchObject({ produced: 2, dlq: 0 });
    const messages = await h.read(h.topic, 2, 20_000, 500);
    const mine = messages.filter((m) => findings.some((f) => f.Id === m.key));
    expect(mine).toHaveLength(2);
    for (const m of mine) {
      const raw = await h.decode(m);
      const original = findings.find((f) => f.Id === raw.sourceId) as unknown as Json;
      expect(raw).toMatchObject({ kind: 'securityhub_finding', arrival: 'poll', sourceUpdatedAt: Date.parse(String(original['UpdatedAt'])), origin: 'aws:193043430472:us-east-1' });
      expect(JSON.parse(raw.payload)).toEqual(original);
    }
    await handle.stop();
  });

  it('250 findings with tied UpdatedAt over pages of 100: no gap, no duplicate; a crash after one page resumes without loss', async () => {
    const t0 = Date.parse('2024-05-01T00:00:00.000Z');
    // 25 distinct timestamps, 10 findings each: page boundaries fall inside groups of equal UpdatedAt.
    const first = Array.from({ length: 250 }, (_, i) => generated(i, new Date(t0 + Math.floor(i / 10) * 1000)));
    await startEmu(first);
    const { handle } = await h.start();
    const wmKey = 'wm-many';
    const r1 = await poller(handle.sink, wmKey).pollOnce();
    expect(r1).toMatchObject({ produced: 250, pages: 3, dlq: 0 });

    // Every GetFindings call used the watermark filter shape, the sort and MaxResults 100.
    const calls = emu.state.calls.list({ operation: 'GetFindings' });
    expect(calls.length).toBeGreaterThanOrEqual(3);
    for (const call of calls) {
      expect(call.params).toMatchObject({ SortCriteria: [{ Field: 'UpdatedAt', SortOrder: 'asc' }], MaxResults: 100 });
    }

    // Nothing new: one page, nothing produced (the filter starts at the watermark).
    emu.state.calls.clear();
    const r2 = await poller(handle.sink, wmKey).pollOnce();
    expect(r2).toMatchObject({ produced: 0, pages: 1 });
    const lastCall = emu.state.calls.list({ operation: 'GetFindings' })[0];
    expect(lastCall?.params).toMatchObject({ Filters: { UpdatedAt: [{ Start: new Date(t0 + 24_000).toISOString() }] } });

    // 150 newer findings (some at the current watermark time); the sink fails on the second page.
    const more = Array.from({ length: 150 }, (_, i) => generated(i, new Date(t0 + 24_000 + Math.floor(i / 10) * 500), 'more'));
    for (const f of more) emu.state.securityHub.put(f, new Date());
    let calls2 = 0;
    const flaky = Object.create(handle.sink) as RawSink;
    flaky.produce = async (records) => {
      calls2 += 1;
      if (calls2 === 2) throw new Error('broker down (simulated)');
      return handle.sink.produce(records);
    };
    let beforeCrash = 0;
    await expect(poller(flaky, wmKey, { onPage: (page) => (beforeCrash += page.produced) }).pollOnce()).rejects.toThrow(/simulated/);
    // Page 1 (100 findings from the watermark on: the 10 already seen at it, 90 new) was acknowledged.
    expect(beforeCrash).toBe(90);
    await handle.stop();

    // "Restart": a new service process and a new poller on the same Redis watermark.
    const second = await h.start();
    const r3 = await poller(second.handle.sink, wmKey).pollOnce();
    expect(r3.produced).toBe(150 - beforeCrash);
    const r4 = await poller(second.handle.sink, wmKey).pollOnce();
    expect(r4.produced).toBe(0);

    const expected = new Set([...first, ...more].map((f) => f.Id));
    const messages = (await h.read(h.topic, 402, 30_000)).filter((m) => m.key !== null && expected.has(m.key));
    expect(duplicates(messages.map((m) => m.key))).toEqual([]);
    expect(new Set(messages.map((m) => m.key))).toEqual(expected);
    await second.handle.stop();
  });

  it('throttling (429 TooManyRequestsException) backs off, recovers and loses nothing', async () => {
    const t0 = Date.parse('2024-06-01T00:00:00.000Z');
    const findings = Array.from({ length: 120 }, (_, i) => generated(i, new Date(t0 + i * 10), 'thr'));
    await startEmu(findings);
    const { handle } = await h.start();
    // 5 throttled answers in a row: more than the SDK's 2 attempts, so our own backoff takes over.
    emu.faults.set({ throttle: { next: 5 }, operations: ['GetFindings'] });
    const started = Date.now();
    const r1 = await poller(handle.sink, 'wm-thr', { pageSize: 20 }).pollOnce();
    const elapsed = Date.now() - started;
    expect(r1.produced).toBe(120);
    expect(r1.retries).toBeGreaterThanOrEqual(2);
    const throttled = emu.state.calls.list({ operation: 'GetFindings', status: 429 });
    expect(throttled.length).toBe(5);
    expect(elapsed).toBeGreaterThanOrEqual(50); // it waited

    // Random throttling on every page of a second batch.
    const more = Array.from({ length: 100 }, (_, i) => generated(i, new Date(t0 + 10_000 + i), 'thr2'));
    for (const f of more) emu.state.securityHub.put(f, new Date());
    emu.faults.set({ throttle: { rate: 0.4 }, operations: ['GetFindings'], seed: 7 });
    const started2 = Date.now();
    const r2 = await poller(handle.sink, 'wm-thr', { pageSize: 20 }).pollOnce();
    console.log(`throttling: first cycle ${elapsed} ms (${r1.retries} retries of our own), random 40% throttling cycle ${Date.now() - started2} ms (${r2.retries} retries)`);
    expect(r2.produced).toBe(100);
    expect(emu.state.calls.list({ operation: 'GetFindings', status: 429 }).length).toBeGreaterThan(5);

    const expected = new Set([...findings, ...more].map((f) => f.Id));
    const messages = (await h.read(h.topic, 622, 20_000)).filter((m) => m.key !== null && expected.has(m.key));
    expect(duplicates(messages.map((m) => m.key))).toEqual([]);
    expect(messages).toHaveLength(220);
    await handle.stop();
  });

  it('an invalid finding goes to findings.raw.dlq with the reason; the valid ones pass', async () => {
    await startEmu([]);
    const good = generated(1, new Date('2024-07-01T00:00:00Z'), 'dlq');
    const { ProductArn: _p, ...bad } = generated(2, new Date('2024-07-01T00:00:01Z'), 'dlq');
    const fake = { send: () => Promise.resolve({ Findings: [good, bad] as unknown as AwsSecurityFinding[], $metadata: {} }) } as unknown as SecurityHubClient;
    const { handle } = await h.start();
    const p = new SecurityHubPoller({
      client: fake,
      sink: handle.sink,
      store: new RedisWatermarkStore(h.redis(), `${h.prefix}:wm-dlq`),
      logger,
      backoff: { maxAttempts: 2, initialDelayMs: 10, maxDelayMs: 10, multiplier: 2, jitter: 0 },
      intervalMs: 60_000,
    });
    expect(await p.pollOnce()).toMatchObject({ produced: 1, dlq: 1 });
    // The same page again: both are at or below the watermark now, nothing is re-sent.
    expect(await p.pollOnce()).toMatchObject({ produced: 0, dlq: 0 });
    const dlq = await h.read(h.dlqTopic, 1, 15_000, 500);
    expect(dlq).toHaveLength(1);
    expect(dlq[0]?.key).toBe(bad['Id']);
    expect(dlq[0]?.headers[DLQ_HEADERS.errorClass]).toBe('poison');
    expect(dlq[0]?.headers[DLQ_HEADERS.reason]).toMatch(/ProductArn/);
    expect(dlq[0]?.headers[DLQ_HEADERS.sourceTopic]).toBe('securityhub:GetFindings');
    expect(JSON.parse(dlq[0]?.value?.toString('utf8') ?? 'null')).toEqual(bad);
    await handle.stop();
  });

  it('the service polls on its own (BatchImportFindings in, findings.raw out) and resumes after a restart', async () => {
    await startEmu([]);
    const t0 = Date.parse('2024-08-01T00:00:00.000Z');
    const batch1 = Array.from({ length: 30 }, (_, i) => generated(i, new Date(t0 + i), 'svc'));
    const imported = await client.send(new BatchImportFindingsCommand({ Findings: batch1 as unknown as AwsSecurityFinding[] }));
    expect(imported.FailedCount).toBe(0);
    const env = { SECURITYHUB_POLL_ENABLED: 'true', SECURITYHUB_ENDPOINT: emu.url, SECURITYHUB_POLL_INTERVAL_MS: '200', REDIS_KEY_PREFIX: `${h.prefix}:svc` };
    const s1 = await h.start(env);
    const ids1 = new Set(batch1.map((f) => f.Id));
    const got1 = (await h.read(h.topic, 10_000, 5000, 0)).filter((m) => m.key !== null && ids1.has(m.key));
    expect(got1.length).toBe(30);
    await s1.handle.stop();

    const batch2 = Array.from({ length: 30 }, (_, i) => generated(i, new Date(t0 + 1000 + i), 'svc2'));
    await client.send(new BatchImportFindingsCommand({ Findings: batch2 as unknown as AwsSecurityFinding[] }));
    const s2 = await h.start(env);
    await new Promise((resolve) => setTimeout(resolve, 2000));
    await s2.handle.stop();
    const all = new Set([...ids1, ...batch2.map((f) => f.Id)]);
    const got = (await h.read(h.topic, 10_000, 3000, 0)).filter((m) => m.key !== null && all.has(m.key));
    expect(duplicates(got.map((m) => m.key))).toEqual([]);
    expect(got).toHaveLength(60);
  });
});
