import { mkdtemp, rm, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { createLogger, DLQ_HEADERS } from '@seam/kit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backfillCloudTrail } from '../src/cloudtrail-backfill';
import type { AwsIngestHandle } from '../src/service';
import { RedisFileLedger } from '../src/watermark-store';
import { asffCurrentGeneration, asffReference, cloudTrailReferenceRecords, fixture, toPascal, type Json } from './fixtures';
import { createHarness, duplicates, type Harness } from './harness';

const TOKEN = 'eventbridge-shared-secret-for-tests';

describe('EventBridge intake', () => {
  let h: Harness;
  let handle: AwsIngestHandle;
  let url: string;

  beforeAll(async () => {
    h = await createHarness();
    const started = await h.start({ EVENTBRIDGE_TOKEN: TOKEN, EVENTBRIDGE_API_KEY_HEADER: 'x-api-key' });
    handle = started.handle;
    url = `http://127.0.0.1:${handle.port}/eventbridge`;
  });
  afterAll(async () => {
    await handle.stop();
    await h.cleanup();
  });

  const post = (body: unknown, headers: Record<string, string> = { authorization: `Bearer ${TOKEN}` }) =>
    fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: typeof body === 'string' ? body : JSON.stringify(body) });

  const envelope = (detailType: string, detail: unknown): Json => ({
    version: '0',
    id: 'a1b2c3',
    'detail-type': detailType,
    source: 'aws.test',
    account: '123456789012',
    time: '2024-08-02T08:53:24Z',
    region: 'us-east-1',
    resources: [],
    detail,
  });

  it('401 without a token, with a wrong one, or with the token in the wrong header', async () => {
    const event = fixture<Json>('guardduty_eventbridge_camel.json');
    for (const headers of [{}, { authorization: 'Bearer wrong' }, { authorization: TOKEN }, { 'x-api-key': 'wrong' }, { 'x-other': TOKEN }]) {
      const res = await post(event, headers);
      expect(res.status).toBe(401);
      expect(await res.json()).toEqual({ error: 'unauthorized' });
    }
  });

  it('4xx with a reason for invalid payloads', async () => {
    const cases: [unknown, number, RegExp][] = [
      ['{not json', 400, /not valid JSON/],
      [{ hello: 'world' }, 400, /detail-type/],
      [envelope('EC2 Instance State-change Notification', {}), 400, /unsupported detail-type/],
      [envelope('Security Hub Findings - Imported', { findings: [{ ...asffReference(), Id: '' }] }), 400, /findings\[0\].*Id/],
      [envelope('GuardDuty Finding', { id: 'only-an-id' }), 400, /GuardDuty/],
      [envelope('AWS API Call via CloudTrail', { eventName: 'x' }), 400, /eventID/],
      ['x'.repeat(1_100_000), 413, /too large/],
    ];
    for (const [body, status, reason] of cases) {
      const res = await post(body);
      expect(res.status).toBe(status);
      const answer = (await res.json()) as { error: string; reason?: string };
      expect(`${answer.error} ${answer.reason ?? ''}`).toMatch(reason);
    }
  });

  it('every reference payload that can come through EventBridge passes unchanged (202 after the ack)', async () => {
    const gd = fixture<Json>('guardduty_eventbridge_camel.json');
    const gdPascal = { ...gd, detail: toPascal(gd['detail']) };
    const asff = [asffReference(), asffCurrentGeneration()];
    const trail = cloudTrailReferenceRecords().flatMap((f) => f.records);
    const sent: { key: string; payload: unknown; kind: string }[] = [];

    let res = await post(gd);
    expect(res.status).toBe(202);
    sent.push({ key: '46ba0ac2845071e23ccdeb2ae03bfdea', payload: gd['detail'], kind: 'guardduty_finding' });
    res = await post(gdPascal, { 'x-api-key': TOKEN }); // the API-destination header
    expect(res.status).toBe(202);
    expect(await res.json()).toEqual({ accepted: 1, ids: ['46ba0ac2845071e23ccdeb2ae03bfdea'] });
    sent.push({ key: '46ba0ac2845071e23ccdeb2ae03bfdea', payload: gdPascal.detail, kind: 'guardduty_finding' });

    res = await post(envelope('Security Hub Findings - Imported', { findings: asff }));
    expect(res.status).toBe(202);
    expect(((await res.json()) as { accepted: number }).accepted).toBe(2);
    for (const f of asff) sent.push({ key: String(f['Id']), payload: f, kind: 'securityhub_finding' });

    for (const record of trail) {
      const type = record['eventType'] === 'AwsConsoleSignIn' ? 'AWS Console Sign In via CloudTrail' : 'AWS API Call via CloudTrail';
      res = await post(envelope(type, record));
      expect(res.status).toBe(202);
      sent.push({ key: String(record['eventID']), payload: record, kind: 'cloudtrail_event' });
    }

    const messages = await h.read(h.topic, sent.length, 20_000);
    expect(messages).toHaveLength(sent.length);
    const got = await Promise.all(messages.map(async (m) => ({ key: m.key, raw: await h.decode(m) })));
    for (const s of sent) {
      const match = got.find((g) => g.key === s.key && g.raw.sourceId === s.key && JSON.stringify(JSON.parse(g.raw.payload)) === JSON.stringify(s.payload));
      expect(match, `record ${s.key}`).toBeDefined();
      expect(match?.raw.kind).toBe(s.kind);
      expect(match?.raw.arrival).toBe('eventbridge');
      expect(JSON.parse(match?.raw.payload ?? 'null')).toEqual(s.payload);
    }
  });
});

describe('CloudTrail backfill', () => {
  let h: Harness;
  let dir: string;

  beforeAll(async () => {
    h = await createHarness();
    dir = await mkdtemp(join(tmpdir(), 'seam-cloudtrail-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
    await h.cleanup();
  });

  it('produces every reference record keyed by eventID (plain and gzipped), invalid ones to the DLQ, and a rerun adds nothing', async () => {
    const refs = cloudTrailReferenceRecords();
    await mkdir(join(dir, 'AWSLogs/123/CloudTrail/us-east-1/2024/08/02'), { recursive: true });
    const sub = 'AWSLogs/123/CloudTrail/us-east-1/2024/08/02';
    // CloudTrail's own layout: {"Records": [...]}, gzipped; one plain, one bare array.
    await writeFile(join(dir, sub, 'a.json.gz'), gzipSync(JSON.stringify({ Records: refs[0]?.records })));
    await writeFile(join(dir, sub, 'b.json'), JSON.stringify({ Records: refs[1]?.records }));
    await writeFile(join(dir, 'c.json'), JSON.stringify(refs[2]?.records));
    const invalid = { eventName: 'NoId', eventTime: '2024-01-01T00:00:00Z', eventSource: 'x.amazonaws.com' };
    await writeFile(join(dir, 'd.json'), JSON.stringify({ Records: [invalid] }));
    await writeFile(join(dir, 'broken.json'), '{"Records": [');
    await writeFile(join(dir, 'ignored.txt'), 'not a log file');

    const { handle } = await h.start();
    const ledger = new RedisFileLedger(h.redis(), `${h.prefix}:{cloudtrail}:done`);
    const logger = createLogger({ service: 'it', level: 'silent' });
    const r1 = await backfillCloudTrail({ dir, sink: handle.sink, ledger, logger, batchSize: 2 });
    const expected = refs.flatMap((f) => f.records);
    expect(r1).toEqual({ files: 5, skipped: 0, produced: expected.length, dlq: 2 });

    const r2 = await backfillCloudTrail({ dir, sink: handle.sink, ledger, logger });
    expect(r2).toEqual({ files: 0, skipped: 5, produced: 0, dlq: 0 });

    const messages = await h.read(h.topic, expected.length, 20_000);
    expect(messages).toHaveLength(expected.length);
    expect(duplicates(messages.map((m) => m.key))).toEqual([]);
    for (const record of expected) {
      const m = messages.find((x) => x.key === record['eventID']);
      expect(m, String(record['eventID'])).toBeDefined();
      if (!m) continue;
      const raw = await h.decode(m);
      expect(raw).toMatchObject({ sourceId: record['eventID'], kind: 'cloudtrail_event', arrival: 'file', sourceUpdatedAt: null });
      expect(raw.origin).toMatch(/^file:/);
      expect(JSON.parse(raw.payload)).toEqual(record);
    }
    const dlq = await h.read(h.dlqTopic, 2, 10_000, 500);
    expect(dlq).toHaveLength(2);
    const reasons = dlq.map((d) => d.headers[DLQ_HEADERS.reason] ?? '').sort();
    expect(reasons[0]).toMatch(/Records\[0\] is not a CloudTrail record: eventID/);
    expect(reasons[1]).toMatch(/JSON/);
    expect(dlq.map((d) => d.headers[DLQ_HEADERS.sourceTopic]).sort()).toEqual(['cloudtrail:broken.json', 'cloudtrail:d.json']);
    await handle.stop();
  });

  it('the service runs the backfill from CLOUDTRAIL_DIR at startup, once', async () => {
    const svcDir = await mkdtemp(join(tmpdir(), 'seam-cloudtrail-svc-'));
    const records = cloudTrailReferenceRecords()[2]?.records ?? [];
    await writeFile(join(svcDir, 'x.json.gz'), gzipSync(JSON.stringify({ Records: records })));
    const env = { CLOUDTRAIL_DIR: svcDir, REDIS_KEY_PREFIX: `${h.prefix}:svc` };
    const s1 = await h.start(env);
    expect(await s1.handle.backfill).toEqual({ files: 1, skipped: 0, produced: records.length, dlq: 0 });
    await s1.handle.stop();
    const s2 = await h.start(env);
    expect(await s2.handle.backfill).toEqual({ files: 0, skipped: 1, produced: 0, dlq: 0 });
    await s2.handle.stop();
    await rm(svcDir, { recursive: true, force: true });
  });
});
