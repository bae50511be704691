import { readFileSync } from 'node:fs';
import { DLQ_HEADERS, type AvroSchemaJson, type Codec } from '@seam/kit';
import { schemas, securityEventSchema, type FindingRaw, type OffenseRaw, type SecurityEvent } from '@seam/schemas';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEnricher } from '../src/main';
import { mispLike, type TestServer } from './http-servers';
import { collect, createTopics, deleteTopics, plainKafka, testConfig, testKit, uniqueName, until, type Consumed } from './int-helpers';

const REF = '/work/shared/reference-payloads';
const ref = (path: string) => readFileSync(`${REF}/${path}`, 'utf8');
const avsc = (name: 'OffenseRaw' | 'FindingRaw' | 'SecurityEvent') => schemas[name].avsc as unknown as AvroSchemaJson;
const noExit = () => undefined;
const RECEIVED = 1_763_000_000_000;

function finding(kind: FindingRaw['kind'], sourceId: string, payload: string): FindingRaw {
  return { sourceId, kind, arrival: 'file', receivedAt: RECEIVED, sourceUpdatedAt: null, origin: null, payload };
}

/** The ASFF GuardDuty finding with its ids changed, so each use is a distinct event. */
function asffWithId(suffix: string): string {
  return ref('aws/asff_guardduty_sshbruteforce_awsdocs.json').replaceAll('46ba0ac2845071e23ccdeb2ae03bfdea', `46ba0ac2845071e23ccdeb2ae03b${suffix}`);
}

interface Harness {
  topics: { offenses: string; findings: string; enriched: string };
  offenseCodec: Codec<OffenseRaw>;
  findingCodec: Codec<FindingRaw>;
  eventCodec: Codec<SecurityEvent>;
  enriched: { records: Consumed[]; stop: () => Promise<void> };
  stop: () => Promise<void>;
  cachePrefix: string;
}

const misp: { server?: TestServer } = {};
const cleanups: (() => Promise<void>)[] = [];

async function startHarness(extra: Record<string, string> = {}): Promise<Harness> {
  const topics = { offenses: uniqueName('enr-offenses'), findings: uniqueName('enr-findings'), enriched: uniqueName('enr-enriched') };
  const all = [topics.offenses, topics.findings, topics.enriched, `${topics.offenses}.dlq`, `${topics.findings}.dlq`];
  await createTopics(all);
  const cachePrefix = uniqueName('seam-test:enrich');
  const config = testConfig({
    ENRICHER_OFFENSES_TOPIC: topics.offenses,
    ENRICHER_FINDINGS_TOPIC: topics.findings,
    ENRICHER_OUTPUT_TOPIC: topics.enriched,
    ENRICH_CACHE_PREFIX: cachePrefix,
    ENRICHER_MAX_PAYLOAD_BYTES: String(1024 * 1024),
    KAFKA_MAX_BYTES_PER_PARTITION: String(16 * 1024 * 1024),
    INTEL_BACKEND: 'misp',
    MISP_URL: misp.server?.url ?? '',
    MISP_API_KEY: 'misp-key',
    INTEL_TIMEOUT_MS: '300',
    BREAKER_FAILURE_THRESHOLD: '2',
    BREAKER_COOLDOWN_MS: '1000',
    ...extra,
  });
  const kit = testKit(config);
  const { handle } = await startEnricher(config, kit, { handleSignals: false, exit: noExit });
  const enriched = await collect(topics.enriched);
  const redis = testKit(config).redis();
  cleanups.push(async () => {
    const keys = await redis.keys(`${cachePrefix}:*`);
    if (keys.length > 0) await redis.del(...keys);
    await redis.quit();
    await deleteTopics(all);
  });
  return {
    topics,
    offenseCodec: kit.avro<OffenseRaw>(avsc('OffenseRaw')),
    findingCodec: kit.avro<FindingRaw>(avsc('FindingRaw')),
    eventCodec: kit.avro<SecurityEvent>(avsc('SecurityEvent')),
    enriched,
    cachePrefix,
    stop: async () => {
      await enriched.stop();
      expect((await handle.stop()).exitCode).toBe(0);
    },
  };
}

async function produce(topic: string, messages: { key: string; value: Buffer }[]): Promise<void> {
  const producer = plainKafka().producer();
  await producer.connect();
  await producer.send({ topic, messages });
  await producer.disconnect();
}

async function decodeAll(h: Harness): Promise<SecurityEvent[]> {
  return Promise.all(h.enriched.records.map(async (r) => securityEventSchema.parse(await h.eventCodec.decode(r.value, h.topics.enriched))));
}

beforeAll(async () => {
  misp.server = await mispLike();
});
afterAll(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup();
  await misp.server?.close();
});

describe('enricher on Kafka, the registry and Redis', () => {
  it('turns the reference payloads into enriched SecurityEvents keyed by eventId, with assets, vulns and intel from the demo data', async () => {
    // Generous timeout: this test is about content, and the first HTTP calls of a process are slow.
    const h = await startHarness({ INTEL_TIMEOUT_MS: '3000' });
    try {
      const offenses = JSON.parse(ref('qradar/xsoar_offenses_list_response.json')) as { id: number }[];
      const offense = offenses[0];
      const offenseValue: OffenseRaw = { sourceId: String(offense?.id), kind: 'qradar_offense', arrival: 'poll', receivedAt: RECEIVED, sourceUpdatedAt: null, origin: 'qradar.example', payload: JSON.stringify(offense), addresses: { source: ['192.168.0.1'], localDestination: ['192.168.0.1'] }, events: null };
      const ctFile = ref('aws/cloudtrail_invictus_aws_dataset_excerpt.json');
      const ctCount = (JSON.parse(ctFile) as { Records: unknown[] }).Records.length;
      await produce(h.topics.offenses, [{ key: offenseValue.sourceId, value: await h.offenseCodec.encode(offenseValue, h.topics.offenses) }]);
      await produce(h.topics.findings, [
        { key: 'asff', value: await h.findingCodec.encode(finding('securityhub_finding', 'asff', ref('aws/asff_guardduty_sshbruteforce_awsdocs.json')), h.topics.findings) },
        { key: 'ct-file', value: await h.findingCodec.encode(finding('cloudtrail_event', 'ct-file', ctFile), h.topics.findings) },
        { key: 'ct-steal', value: await h.findingCodec.encode(finding('cloudtrail_event', 'ct-steal', ref('aws/cloudtrail_stratus_ec2-steal-instance-credentials_excerpt.json')), h.topics.findings) },
      ]);
      const expected = 1 + 1 + ctCount + 3;
      await until(() => h.enriched.records.length >= expected, 30_000);
      const events = await decodeAll(h);
      expect(events).toHaveLength(expected);
      for (const [i, e] of events.entries()) expect(h.enriched.records[i]?.key).toBe(e.eventId);

      const gd = events.find((e) => e.eventId === 'guardduty:46ba0ac2845071e23ccdeb2ae03bfdea');
      expect(gd?.enrichment.assets.find((a) => a.key === '172.31.43.6')).toMatchObject({ owner: 'Dana Ito', criticality: 5, internetFacing: true });
      expect(gd?.entities.ips.find((ip) => ip.address === '172.31.43.6')?.namespace).toBe('aws-vpc-prod');
      expect(gd?.enrichment.vulns.map((v) => v.cve).sort()).toEqual(['CVE-2023-38408', 'CVE-2024-6387']);
      expect(gd?.enrichment.intel.map((i) => [i.source, i.verdict, i.score])).toEqual([['intel-feed', 'malicious', 85], ['misp', 'malicious', 90]]);
      expect(gd?.enrichment.missing).toEqual([]);

      const q = events.find((e) => e.eventId === `qradar:offense:${offense?.id}`);
      expect(q?.enrichment.assets.find((a) => a.key === '192.168.0.1')).toMatchObject({ owner: 'Sam Okafor', supportGroup: 'Identity Services' });
      expect(q?.enrichment.vulns).toEqual([{ cve: 'CVE-2020-1472', cvss: 10, exploitAvailable: true, host: '192.168.0.1', namespace: 'corp' }]);

      const steal = events.filter((e) => e.entities.ips.some((ip) => ip.address === '18.236.253.47'));
      expect(steal.length).toBeGreaterThan(0);
      for (const e of steal) expect(e.enrichment.intel.find((i) => i.source === 'intel-feed')).toMatchObject({ indicator: '18.236.253.47', score: 70 });
      expect(events.filter((e) => e.eventId.startsWith('cloudtrail:'))).toHaveLength(ctCount + 3);

      // The answers are cached in Redis under the provider + indicator key, with the namespace (`@`: a public address).
      const redis = testKit(testConfig({})).redis();
      try {
        expect(await redis.get(`${h.cachePrefix}:cmdb:ip:aws-vpc-prod:172.31.43.6`)).toContain('Dana Ito');
        expect(await redis.ttl(`${h.cachePrefix}:cmdb:ip:aws-vpc-prod:172.31.43.6`)).toBeGreaterThan(60);
        // No CI for the attacker's IP: a negative answer, kept briefly.
        expect(await redis.get(`${h.cachePrefix}:cmdb:ip:@:199.241.229.197`)).toBe('[]');
        expect(await redis.ttl(`${h.cachePrefix}:cmdb:ip:@:199.241.229.197`)).toBeLessThanOrEqual(60);
      } finally {
        await redis.quit();
      }
    } finally {
      await h.stop();
    }
  });

  it('a slow or down provider is listed as missing while events keep flowing; when it comes back, enrichment resumes without a restart', async () => {
    const h = await startHarness();
    const server = misp.server;
    if (server === undefined) throw new Error('no MISP server');
    try {
      server.mode = 'slow';
      await produce(h.topics.findings, [{ key: 'a', value: await h.findingCodec.encode(finding('securityhub_finding', 'a', asffWithId('00000a')), h.topics.findings) }]);
      await until(() => h.enriched.records.length >= 1);
      server.mode = 'down';
      await produce(h.topics.findings, [{ key: 'b', value: await h.findingCodec.encode(finding('securityhub_finding', 'b', asffWithId('00000b')), h.topics.findings) }]);
      await until(() => h.enriched.records.length >= 2);
      let events = await decodeAll(h);
      for (const e of events) {
        expect(e.enrichment.missing).toEqual(['intel']);
        // The other providers still answered.
        expect(e.enrichment.intel.map((i) => i.source)).toEqual(['intel-feed']);
        expect(e.enrichment.assets.length).toBeGreaterThan(0);
      }

      server.mode = 'up';
      // The circuit is open for 1 s after the failures; events produced meanwhile still flow.
      let n = 2;
      await until(async () => {
        n++;
        await produce(h.topics.findings, [{ key: `c${n}`, value: await h.findingCodec.encode(finding('securityhub_finding', `c${n}`, asffWithId(`0000${n.toString(16).padStart(2, '0')}`)), h.topics.findings) }]);
        await until(() => h.enriched.records.length >= n);
        events = await decodeAll(h);
        return events.at(-1)?.enrichment.missing.length === 0;
      }, 20_000, 300);
      const last = events.at(-1);
      expect(last?.enrichment.intel.map((i) => i.source)).toEqual(['intel-feed', 'misp']);
      expect(n).toBeLessThan(40);
    } finally {
      server.mode = 'up';
      await h.stop();
    }
  });

  it('sends bad records to the DLQ with a reason and keeps going', async () => {
    const h = await startHarness();
    const dlq = await collect(`${h.topics.findings}.dlq`);
    try {
      const asff = ref('aws/asff_guardduty_sshbruteforce_awsdocs.json');
      const bad: [string, FindingRaw, RegExp][] = [
        ['unknown', finding('unknown', 'unknown', '{}'), /^PoisonError: findings\.raw carries kind unknown/],
        ['truncated', finding('securityhub_finding', 'truncated', asff.slice(0, 300)), /^PoisonError: securityhub\.finding invalid-json/],
        ['wrong-type', finding('securityhub_finding', 'wrong-type', asff.replace('"UpdatedAt"', '"UpdatedAt": 12, "_old"')), /^PoisonError: .*invalid-payload.*UpdatedAt/],
        ['huge', finding('guardduty_finding', 'huge', `{"pad":"${'x'.repeat(5 * 1024 * 1024)}"}`), /^PoisonError: payload of \d+ bytes exceeds the 1048576-byte limit/],
      ];
      const messages = [];
      for (const [key, value] of bad) messages.push({ key, value: await h.findingCodec.encode(value, h.topics.findings) });
      messages.push({ key: 'good', value: await h.findingCodec.encode(finding('securityhub_finding', 'good', asffWithId('00good')), h.topics.findings) });
      messages.push({ key: 'not-avro', value: Buffer.from('{"sourceId": "x"}') });
      for (const m of messages) await produce(h.topics.findings, [m]);

      await until(() => h.enriched.records.length >= 1 && dlq.records.length >= 5, 40_000);
      const events = await decodeAll(h);
      expect(events.map((e) => e.eventId)).toEqual(['guardduty:46ba0ac2845071e23ccdeb2ae03b00good']);
      expect(dlq.records.map((r) => r.key)).toEqual(['unknown', 'truncated', 'wrong-type', 'huge', 'not-avro']);
      for (const [i, [, , reason]] of bad.entries()) {
        expect(dlq.records[i]?.headers[DLQ_HEADERS.errorClass]).toBe('poison');
        expect(dlq.records[i]?.headers[DLQ_HEADERS.reason]).toMatch(reason);
        expect(dlq.records[i]?.headers[DLQ_HEADERS.stage]).toBe('enricher');
      }
      expect(dlq.records[3]?.value.length).toBeGreaterThan(5 * 1024 * 1024);
      expect(dlq.records[4]?.headers[DLQ_HEADERS.reason]).toMatch(/^DecodeError/);
    } finally {
      await dlq.stop();
      await h.stop();
    }
  });
});

